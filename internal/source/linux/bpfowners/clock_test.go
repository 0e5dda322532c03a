package bpfowners

import (
	"math"
	"testing"
)

func TestTicks(t *testing.T) {
	tests := []struct {
		name   string
		ns     uint64
		offset int64
		hz     uint64
		want   uint64
	}{
		{name: "zero", ns: 0, hz: 100, want: 0},
		{name: "truncates like nsec_to_clock_t", ns: 19_999_999, hz: 100, want: 1},
		{name: "exact tick", ns: 20_000_000, hz: 100, want: 2},
		{name: "an hour after boot", ns: 3600 * nsPerSec, hz: 100, want: 360_000},
		{name: "other USER_HZ", ns: 3 * nsPerSec, hz: 1000, want: 3000},
		{name: "USER_HZ not dividing 1e9 falls back to 100", ns: 3 * nsPerSec, hz: 1024, want: 300},
		{name: "unknown USER_HZ falls back to 100", ns: 3 * nsPerSec, hz: 0, want: 300},
		{name: "positive time namespace offset", ns: 5 * nsPerSec, offset: 10 * nsPerSec, hz: 100, want: 1500},
		{name: "negative offset", ns: 50 * nsPerSec, offset: -10*nsPerSec - 5_000_000, hz: 100, want: 3999},
		{name: "negative offset beyond the start", ns: 5, offset: -10, hz: 100, want: 0},
		{name: "offset overflowing saturates", ns: math.MaxUint64 - 1, offset: 10, hz: 100, want: math.MaxUint64 / 10_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ticks(tt.ns, tt.offset, tt.hz); got != tt.want {
				t.Fatalf("ticks(%d, %d, %d) = %d, want %d", tt.ns, tt.offset, tt.hz, got, tt.want)
			}
		})
	}
}

func TestParseBoottimeOffset(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  bool
	}{
		{name: "initial namespace", in: "monotonic           0         0\nboottime            0         0\n", want: 0},
		{name: "set offsets", in: "monotonic 100 5\nboottime -7 250000000\n", want: -7*nsPerSec + 250_000_000},
		{name: "clock by number", in: "1 0 0\n7 3 1\n", want: 3*nsPerSec + 1},
		{name: "no boottime line", in: "monotonic 1 0\n", want: 0},
		{name: "empty", in: "", want: 0},
		{name: "blank lines", in: "\n\nboottime 1 0", want: nsPerSec},
		{name: "missing field", in: "boottime 1\n", err: true},
		{name: "bad seconds", in: "boottime x 0\n", err: true},
		{name: "nanoseconds out of range", in: "boottime 1 1000000000\n", err: true},
		{name: "negative nanoseconds", in: "boottime 1 -1\n", err: true},
		{name: "seconds overflow", in: "boottime 9223372036854775807 0\n", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBoottimeOffset([]byte(tt.in))
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseBoottimeOffset(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func FuzzParseBoottimeOffset(f *testing.F) {
	f.Add([]byte("monotonic 0 0\nboottime 0 0\n"))
	f.Add([]byte("boottime -9223372036 999999999\n"))
	f.Add([]byte("7 1 2 3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		off, err := parseBoottimeOffset(b)
		if err != nil && off != 0 {
			t.Fatalf("error %v with offset %d", err, off)
		}
		_ = ticks(uint64(len(b))*nsPerSec, off, 100) // never panics
	})
}
