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

// TestGrouperStream: holdings are emitted when the next process's records
// begin; a process with records after that (its PID reused, a thread with
// a table of its own visited later, a truncated thread table) is in redo
// and given again, complete, by holdings; a truncated one is never
// emitted; the last process waits for holdings.
func TestGrouperStream(t *testing.T) {
	const ns = 4026531840
	recs := []Record{
		{Process: true, TGID: 100, StartBoottime: 5_000_000_000, NetNS: ns, Leader: true},
		{TGID: 100, FD: 3, Inode: 1000, StartBoottime: 5_000_000_000, Leader: true},
		{Process: true, TGID: 101, StartBoottime: 6_000_000_000, NetNS: ns, Leader: true},
		{TGID: 101, FD: 5, Inode: 1001, StartBoottime: 6_000_000_000, Leader: true},
		{Process: true, TGID: 102, StartBoottime: 6_000_000_000, NetNS: ns, Leader: true, Truncated: true},
		{TGID: 102, FD: 5, Inode: 1002, StartBoottime: 6_000_000_000, Leader: true},
		{Process: true, TGID: 103, StartBoottime: 6_000_000_000, NetNS: ns, Leader: true},
		{TGID: 103, FD: 6, Inode: 1003, StartBoottime: 6_000_000_000, Leader: true},
		{Process: true, TGID: 200, StartBoottime: 7_000_000_000, NetNS: ns, Leader: true},
		{TGID: 200, FD: 4, Inode: 3000, StartBoottime: 7_000_000_000, Leader: true},
		// Thread 250 of process 101, with a table of its own.
		{Process: true, TGID: 101, TID: 250, StartBoottime: 6_000_000_000, NetNS: ns},
		{TGID: 101, TID: 250, FD: 7, Inode: 2000, StartBoottime: 6_000_000_000},
		// Thread 260 of process 103: its table is truncated.
		{Process: true, TGID: 103, TID: 260, StartBoottime: 6_000_000_000, NetNS: ns, Truncated: true},
		{Process: true, TGID: 300, StartBoottime: 8_000_000_000, NetNS: ns, Leader: true},
		{TGID: 300, FD: 3, Inode: 4000, StartBoottime: 8_000_000_000, Leader: true},
	}
	g := newGrouper(map[uint64]struct{}{1000: {}, 1001: {}, 1002: {}, 1003: {}, 2000: {}, 3000: {}, 4000: {}})
	toTicks := func(ns uint64) uint64 { return ns / 10_000_000 }
	var emitted []fdscan.Holding
	g.stream(toTicks, func(h fdscan.Holding) { emitted = append(emitted, h) })
	for _, r := range recs {
		if err := g.add(r); err != nil {
			t.Fatal(err)
		}
	}
	wantEmitted := []fdscan.Holding{
		{PID: 100, StartTime: 500, Sockets: []fdscan.SocketFD{{Inode: 1000, FD: 3}}},
		{PID: 101, StartTime: 600, Sockets: []fdscan.SocketFD{{Inode: 1001, FD: 5}}},
		{PID: 103, StartTime: 600, Sockets: []fdscan.SocketFD{{Inode: 1003, FD: 6}}},
		{PID: 200, StartTime: 700, Sockets: []fdscan.SocketFD{{Inode: 3000, FD: 4}}},
	}
	if !reflect.DeepEqual(emitted, wantEmitted) {
		t.Errorf("emitted\n%+v\nwant\n%+v", emitted, wantEmitted)
	}
	wantRedo := map[int]struct{}{101: {}, 103: {}}
	if redo := g.redo(); !reflect.DeepEqual(redo, wantRedo) {
		t.Errorf("redo %v, want %v", redo, wantRedo)
	}
	wantHoldings := []fdscan.Holding{
		{PID: 101, StartTime: 600, Sockets: []fdscan.SocketFD{{Inode: 1001, FD: 5}, {Inode: 2000, FD: 7, TID: 250}}},
		{PID: 300, StartTime: 800, Sockets: []fdscan.SocketFD{{Inode: 4000, FD: 3}}},
	}
	if got := g.holdings(toTicks); !reflect.DeepEqual(got, wantHoldings) {
		t.Errorf("holdings\n%+v\nwant\n%+v", got, wantHoldings)
	}
	wantSeen := map[int]struct{}{100: {}, 101: {}, 200: {}, 300: {}}
	if seen := g.seen(); !reflect.DeepEqual(seen, wantSeen) {
		t.Errorf("seen %v, want %v (not 102 and 103, truncated)", seen, wantSeen)
	}
}
