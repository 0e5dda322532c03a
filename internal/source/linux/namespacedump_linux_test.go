package linux

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// TestNamespaceDump: watch's polls of another namespace (fd 5, PID 42 in
// it). A dump that fails reads /proc/42/net with a gap, and the next dump
// opens sock_diag again; a working socket is kept between dumps; when
// /proc/net fails too, the dump is an error (the sockets are unknown), not
// an empty list; Close closes the namespace's file.
func TestNamespaceDump(t *testing.T) {
	diagSock, procSock := tcp("0.0.0.0:22", 7, 0), tcp("0.0.0.0:22", 7, 0)
	diag := &fakeDiag{dumps: map[int][]fakeConn{5: {
		{err: unix.EIO},
		{res: &sockdiag.Result{Sockets: []snapshot.Socket{diagSock}}},
		{err: unix.ENOBUFS},
	}}}
	proc := &fakeProc{net: map[int][]snapshot.Socket{42: {procSock}}}
	netns := &fakeNetNS{}
	in := Inputs{Diag: diag, Proc: proc, NetNS: netns}
	d, err := OpenNamespaceDump(source.Options{}, in, NamespaceTarget{ID: 4026532000, Name: "blue", FD: 5, PID: 42})
	if err != nil {
		t.Fatal(err)
	}
	q := sockdiag.Query{Protos: []snapshot.Proto{snapshot.TCP}}
	check := func(step string, wantGap string, wantReads []int) {
		t.Helper()
		socks, gaps, err := d.Dump(q)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(socks) != 1 || socks[0].Inode != 7 || socks[0].NetNS != 4026532000 {
			t.Errorf("%s: sockets %+v, want inode 7 tagged with the namespace", step, socks)
		}
		var reasons []string
		for _, g := range gaps {
			reasons = append(reasons, g.Reason)
		}
		if (wantGap == "") != (len(gaps) == 0) || (wantGap != "" && !slices.Equal(reasons, []string{wantGap})) {
			t.Errorf("%s: gaps %v, want %q", step, reasons, wantGap)
		}
		if !slices.Equal(proc.reads, wantReads) {
			t.Errorf("%s: /proc/net read for PIDs %v, want %v", step, proc.reads, wantReads)
		}
	}
	check("failed dump", ReasonDumpFailed, []int{42})
	check("sock_diag opened again", "", []int{42})
	check("socket kept", "", []int{42})
	if diag.calls[5] != 2 {
		t.Errorf("sock_diag opened %d times, want 2 (once at the start, once after the failure)", diag.calls[5])
	}

	// The kept socket fails now, and /proc/net cannot be read either.
	diag.dumps[5][1] = fakeConn{err: unix.ENOBUFS}
	d.conn = diag.dumps[5][1]
	proc.netErr = unix.EACCES
	socks, _, err := d.Dump(q)
	if err == nil || socks != nil || !errors.Is(err, unix.EACCES) {
		t.Errorf("nothing readable: sockets %+v, error %v; want an error naming /proc/net's", socks, err)
	}
	d.Close()
	if !slices.Equal(netns.closed, []int{5}) {
		t.Errorf("closed %v, want the namespace's fd 5", netns.closed)
	}
}
