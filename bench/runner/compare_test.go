package main

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func TestParseFloor(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Holdings
		wantErr bool
	}{
		{"sockets", "tcp 0.0.0.0:22 11 5,7\nudp [::]:53 12 -\ntcp [::ffff:192.0.2.1]:80 13 9\n",
			Holdings{"tcp 0.0.0.0:22": {5, 7}, "udp [::]:53": nil, "tcp 192.0.2.1:80": {9}}, false},
		{"empty", "", Holdings{}, false},
		{"blank lines", "\n\ntcp 127.0.0.1:1 1 2\n", Holdings{"tcp 127.0.0.1:1": {2}}, false},
		{"too few fields", "tcp 0.0.0.0:22 11\n", nil, true},
		{"bad address", "tcp 0.0.0.0 11 5\n", nil, true},
		{"bad pid", "tcp 0.0.0.0:22 11 5,x\n", nil, true},
		{"zero pid", "tcp 0.0.0.0:22 11 0\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFloor([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseGopsutil(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Holdings
		wantErr bool
	}{
		{"sockets", "tcp 0.0.0.0:22 5\ntcp 0.0.0.0:22 7\nudp [::1]:53 0\n",
			Holdings{"tcp 0.0.0.0:22": {5, 7}, "udp [::1]:53": nil}, false},
		{"negative pid", "tcp 0.0.0.0:22 -1\n", nil, true},
		{"extra field", "tcp 0.0.0.0:22 1 2\n", nil, true},
		{"bad address", "tcp [::1:22 1\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGopsutil([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFromSnapshotAndReport(t *testing.T) {
	listen := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("[::]:22"), State: snapshot.Listen,
		Owners: []snapshot.Owner{{PID: 9}, {PID: 3}, {PID: 9}}}
	udp := snapshot.Socket{Proto: snapshot.UDP, Local: netip.MustParseAddrPort("192.0.2.1:53"), State: snapshot.Unconnected}
	estab := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("127.0.0.1:5"), State: snapshot.Established,
		Owners: []snapshot.Owner{{PID: 1}}}
	connUDP := snapshot.Socket{Proto: snapshot.UDP, Local: netip.MustParseAddrPort("127.0.0.1:6"), State: snapshot.Established}
	want := Holdings{"tcp [::]:22": {3, 9}, "udp 192.0.2.1:53": nil}

	got := FromSnapshot(&snapshot.Snapshot{Sockets: []snapshot.Socket{listen, udp, estab, connUDP}})
	if !equal(got, want) {
		t.Errorf("FromSnapshot: got %v, want %v", got, want)
	}
	rep := &report.Report{Rows: []report.Row{
		{Sockets: []report.Socket{{Socket: listen}}},
		{Sockets: []report.Socket{{Socket: udp}, {Socket: estab}}},
	}}
	if got := FromReport(rep); !equal(got, want) {
		t.Errorf("FromReport: got %v, want %v", got, want)
	}
}

func TestCompare(t *testing.T) {
	ref := Holdings{"tcp 0.0.0.0:22": {5, 7}, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}
	tests := []struct {
		name   string
		got    Holdings
		owners Owners
		want   []string // substrings of the differences, in order
	}{
		{"identical, all owners", Holdings{"tcp 0.0.0.0:22": {5, 7}, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}, AllOwners, nil},
		{"missing holder", Holdings{"tcp 0.0.0.0:22": {5}, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}, AllOwners,
			[]string{"tcp 0.0.0.0:22: holders [5]"}},
		{"missing and extra socket", Holdings{"tcp 0.0.0.0:22": {5, 7}, "udp [::]:53": {9}, "udp [::]:54": nil}, AllOwners,
			[]string{"missing tcp 127.0.0.1:25", "extra udp [::]:54"}},
		{"one owner of two is fine", Holdings{"tcp 0.0.0.0:22": {7}, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}, OneOwner, nil},
		{"one owner, wrong", Holdings{"tcp 0.0.0.0:22": {8}, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}, OneOwner,
			[]string{"tcp 0.0.0.0:22: holder [8]"}},
		{"one owner, none", Holdings{"tcp 0.0.0.0:22": nil, "udp [::]:53": {9}, "tcp 127.0.0.1:25": nil}, OneOwner,
			[]string{"tcp 0.0.0.0:22: no holder"}},
		{"sockets only ignores owners", Holdings{"tcp 0.0.0.0:22": nil, "udp [::]:53": nil, "tcp 127.0.0.1:25": {1}}, NoOwners, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(ref, tt.got, tt.owners)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %d differences like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("difference %d: %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
	if d := Compare(ref, ref.Proto("tcp"), AllOwners); len(d) != 1 || !strings.Contains(d[0], "missing udp") {
		t.Errorf("Proto(tcp) compared with all: %q, want the UDP socket missing", d)
	}
}

func equal(a, b Holdings) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func FuzzParseFloor(f *testing.F) {
	f.Add([]byte("tcp 0.0.0.0:22 11 5,7\nudp [::]:53 12 -\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseFloor(b)
		if err == nil {
			for k, pids := range h {
				if !slices.IsSorted(pids) || slices.Contains(pids, 0) {
					t.Fatalf("%s: holders %v not sorted positive PIDs", k, pids)
				}
			}
		}
	})
}

func FuzzParseGopsutil(f *testing.F) {
	f.Add([]byte("tcp 0.0.0.0:22 5\nudp [::1]:53 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseGopsutil(b)
		if err == nil {
			for k, pids := range h {
				if !slices.IsSorted(pids) || slices.Contains(pids, 0) {
					t.Fatalf("%s: holders %v not sorted positive PIDs", k, pids)
				}
			}
		}
	})
}
