package parse_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

func TestNewResult(t *testing.T) {
	res := parse.NewResult("fstat")
	s := res.Snapshot
	if s.Source != "parse/fstat" || s.Schema != snapshot.SchemaVersion || s.Privilege.EUID != -1 || s.Sockets == nil || len(s.Sockets) != 0 {
		t.Errorf("NewResult(fstat).Snapshot = %+v", s)
	}
	res.Problem("in.txt", 3, "text", "want")
	want := []parse.LineError{{File: "in.txt", Line: 3, Text: "text", Expected: "want"}}
	if !slices.Equal(res.Problems, want) {
		t.Errorf("Problems = %+v, want %+v", res.Problems, want)
	}
}

func TestEachRow(t *testing.T) {
	long := strings.Repeat("y", parse.MaxLine+1)
	res := parse.NewResult("x")
	var got []string
	err := parse.EachRow(strings.NewReader("a\n"+long+"\nb\n"), "in", res, func(n int, line string) {
		got = append(got, line)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a", "b"}) || res.Lines != 3 {
		t.Errorf("rows %q, lines %d; want [a b], 3", got, res.Lines)
	}
	want := []parse.LineError{{File: "in", Line: 2, Text: long[:200], Expected: parse.ExpectShort}}
	if !slices.Equal(res.Problems, want) {
		t.Errorf("Problems = %+v", res.Problems)
	}
	boom := errors.New("boom")
	if err := parse.EachRow(iotest.ErrReader(boom), "in", parse.NewResult("x"), func(int, string) {}); !errors.Is(err, boom) {
		t.Errorf("read error: got %v", err)
	}
}

func TestCountRows(t *testing.T) {
	header := func(f []string) bool { return f[0] == "H" }
	hit := func(f []string) bool { return f[0] == "x" }
	tests := []struct {
		in                  string
		rows, headers, hits int
	}{
		{"", 0, 0, 0},
		{"\n  \n# x\n", 0, 0, 0},
		{"H a\nx 1\ny 2\nx 3\n", 4, 1, 2},
		{"H\nH\n", 2, 2, 0},
	}
	for _, tt := range tests {
		r, h, n := parse.CountRows([]byte(tt.in), header, hit)
		if r != tt.rows || h != tt.headers || n != tt.hits {
			t.Errorf("CountRows(%q) = %d, %d, %d; want %d, %d, %d", tt.in, r, h, n, tt.rows, tt.headers, tt.hits)
		}
	}
}

func TestNamedAddr(t *testing.T) {
	tests := []struct {
		host string
		v6   bool
		want netip.Addr
		ok   bool
	}{
		{"*", false, netip.IPv4Unspecified(), true},
		{"*", true, netip.IPv6Unspecified(), true},
		{"localhost", false, netip.MustParseAddr("127.0.0.1"), true},
		{"localhost", true, netip.IPv6Loopback(), true},
		{"ip6-localhost", true, netip.Addr{}, false},
		{"10.0.0.1", false, netip.Addr{}, false},
	}
	for _, tt := range tests {
		a, ok := parse.NamedAddr(tt.host, tt.v6)
		if a != tt.want || ok != tt.ok {
			t.Errorf("NamedAddr(%q, %v) = %v, %v; want %v, %v", tt.host, tt.v6, a, ok, tt.want, tt.ok)
		}
	}
}

func TestIsHostNameAndDigits(t *testing.T) {
	names := map[string]bool{
		"host.example": true, "smtp": true, "a_b-c.1": true, "x": true,
		"": false, "10.0.0.1": false, "12": false, "fe80::1": false, "a b": false,
		strings.Repeat("a", 253): true, strings.Repeat("a", 254): false,
	}
	for s, want := range names {
		if got := parse.IsHostName(s); got != want {
			t.Errorf("IsHostName(%.20q) = %v, want %v", s, got, want)
		}
	}
	digits := map[string]bool{"0": true, "12345678901": true, "": false, "1a": false, "-1": false, "+1": false}
	for s, want := range digits {
		if got := parse.IsDigits(s); got != want {
			t.Errorf("IsDigits(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIndexAndFlags(t *testing.T) {
	snap := &snapshot.Snapshot{}
	x := parse.Index[string]{}
	fresh := func(port uint16) func() snapshot.Socket {
		return func() snapshot.Socket {
			return snapshot.Socket{Local: netip.AddrPortFrom(netip.IPv4Unspecified(), port)}
		}
	}
	a, seen := x.Socket(snap, "a", fresh(1))
	if seen || a.Local.Port() != 1 {
		t.Fatalf("first a: seen %v, port %d", seen, a.Local.Port())
	}
	parse.AddFlags(a, "user", "user", "state")
	if _, seen := x.Socket(snap, "b", fresh(2)); seen {
		t.Error("b seen before it was added")
	}
	a, seen = x.Socket(snap, "a", fresh(3))
	if !seen || a.Local.Port() != 1 || len(snap.Sockets) != 2 {
		t.Errorf("second a: seen %v, port %d, %d sockets", seen, a.Local.Port(), len(snap.Sockets))
	}
	parse.AddFlags(a, "state", "process-name")
	if want := []string{"user", "state", "process-name"}; !slices.Equal(a.Truncated, want) {
		t.Errorf("Truncated = %q, want %q", a.Truncated, want)
	}
}

func FuzzNextField(f *testing.F) {
	f.Add("  tcp\t0 0  ")
	f.Add("\u00a0a\vb")
	f.Fuzz(func(t *testing.T, s string) {
		var got []string
		for rest := s; ; {
			var field string
			if field, rest = parse.NextField(rest); field == "" {
				break
			}
			got = append(got, field)
		}
		if want := strings.Fields(s); !slices.Equal(got, want) {
			t.Errorf("NextField splits %q into %q, strings.Fields into %q", s, got, want)
		}
	})
}
