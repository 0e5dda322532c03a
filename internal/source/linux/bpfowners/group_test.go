package bpfowners

import (
	"reflect"
	"testing"

	"github.com/openports/openports/internal/source/linux/fdscan"
)

func TestGrouper(t *testing.T) {
	const ns1, ns2 = 4026531840, 4026532001
	recs := []Record{
		{Process: true, TGID: 100, StartBoottime: 5_000_000_000, NetNS: ns1, Leader: true},
		{TGID: 100, FD: 3, Inode: 1000, StartBoottime: 5_000_000_000, Leader: true},
		{TGID: 100, FD: 4, Inode: 77, StartBoottime: 5_000_000_000, Leader: true}, // unwanted
		{Process: true, TGID: 101, StartBoottime: 6_000_000_000, NetNS: ns1, Leader: true},
		{TGID: 101, FD: 5, Inode: 1000, StartBoottime: 6_000_000_000, Leader: true},
		{Process: true, TGID: 200, StartBoottime: 7_000_000_000, NetNS: ns2, Leader: true},
		{TGID: 200, FD: 8, Inode: 3000, StartBoottime: 7_000_000_000, Leader: true},
		{TGID: 200, FD: 3, Inode: 3000, StartBoottime: 7_000_000_000, Leader: true},
		{TGID: 200, FD: 3, Inode: 3000, StartBoottime: 7_000_000_000, Leader: true},        // repeated
		{Process: true, TGID: 300, StartBoottime: 8_000_000_000, NetNS: 0, Leader: true},   // exiting: no namespace
		{Process: true, TGID: 400, StartBoottime: 8_000_000_000, NetNS: ns2, Leader: true}, // holds no socket
		{Process: true, TGID: 0, NetNS: ns1, Leader: true},                                 // idle task: ignored
		{TGID: 0, FD: 1, Inode: 1000, StartBoottime: 0, Leader: true},                      // idem
		// PID 101 reused by a new process during the iteration: two
		// identities, two holdings, one process.
		{Process: true, TGID: 101, StartBoottime: 9_000_000_000, NetNS: ns2, Leader: true},
		{TGID: 101, FD: 9, Inode: 1001, StartBoottime: 9_000_000_000, Leader: true},
		// A table with more wanted sockets than the program reports:
		// what came is dropped, the process is read through /proc.
		{Process: true, TGID: 500, StartBoottime: 8_000_000_000, NetNS: ns2, Leader: true, Truncated: true},
		{TGID: 500, FD: 3, Inode: 4000, StartBoottime: 8_000_000_000, Leader: true},
	}
	g := newGrouper(map[uint64]struct{}{1000: {}, 1001: {}, 3000: {}, 4000: {}})
	for _, r := range recs {
		if err := g.add(r); err != nil {
			t.Fatal(err)
		}
	}
	got := g.holdings(func(ns uint64) uint64 { return ns / 10_000_000 })
	want := []fdscan.Holding{
		{PID: 100, StartTime: 500, Sockets: []fdscan.SocketFD{{Inode: 1000, FD: 3}}},
		{PID: 101, StartTime: 600, Sockets: []fdscan.SocketFD{{Inode: 1000, FD: 5}}},
		{PID: 101, StartTime: 900, Sockets: []fdscan.SocketFD{{Inode: 1001, FD: 9}}},
		{PID: 200, StartTime: 700, Sockets: []fdscan.SocketFD{{Inode: 3000, FD: 3}, {Inode: 3000, FD: 8}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("holdings\n%+v\nwant\n%+v", got, want)
	}
	wantNS := map[uint64][]int{ns1: {100, 101}, ns2: {200, 400, 500}}
	if gotNS := g.netNS(); !reflect.DeepEqual(gotNS, wantNS) {
		t.Errorf("netNS %v, want %v", gotNS, wantNS)
	}
	wantSeen := map[int]struct{}{100: {}, 101: {}, 200: {}, 300: {}, 400: {}}
	if seen := g.seen(); !reflect.DeepEqual(seen, wantSeen) {
		t.Errorf("seen %v, want %v (not 500, truncated)", seen, wantSeen)
	}
}
