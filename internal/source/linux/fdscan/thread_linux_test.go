package fdscan

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/testenv"
)

// ownTableSocket opens a listening loopback socket in an OS thread of this
// process that first unshared its descriptor table (unshare(CLONE_FILES)),
// so that no /proc/PID/fd of the process holds it, only
// /proc/PID/task/TID/fd. It returns the thread id and the socket's inode;
// the thread exits, and its table with the socket goes, at the end of the
// test.
func ownTableSocket(t *testing.T) (tid int, ino uint64) {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	err := testenv.InOwnFileTable(func(id int) error {
		var err error
		tid = id
		_, ino, err = loopbackSocket(unix.SOCK_STREAM)
		return err
	}, release)
	if err != nil {
		t.Fatalf("socket in a thread with its own descriptor table: %v", err)
	}
	return tid, ino
}

// TestScanThreadTable: a socket held only by a thread with its own
// descriptor table is found, and named with its process, by Scan; and by
// Verify when another mechanism reports it under the thread.
func TestScanThreadTable(t *testing.T) {
	tid, ino := ownTableSocket(t)
	wanted := map[uint64]struct{}{ino: {}}
	s := &Scanner{}
	res, err := s.Scan(wanted)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, o := range res.Owners[ino] {
		pids = append(pids, o.PID)
	}
	if !slices.Equal(pids, []int{os.Getpid()}) {
		t.Fatalf("Scan: owners of the thread's socket %v, want this process %d (thread %d); gaps %v", pids, os.Getpid(), tid, res.Gaps)
	}
	fds := res.Owners[ino][0].FDs

	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	hold := Holding{PID: os.Getpid(), StartTime: st.StartTime, Sockets: []SocketFD{{Inode: ino, FD: fds[0], TID: tid}}}
	vres, err := verifyOnly(s, []Holding{hold})
	if err != nil {
		t.Fatal(err)
	}
	if got := vres.Owners[ino]; len(got) != 1 || got[0].PID != os.Getpid() || !slices.Equal(got[0].FDs, fds) {
		t.Errorf("Verify under thread %d: owners %+v, want pid %d fds %v; gaps %v", tid, got, os.Getpid(), fds, vres.Gaps)
	}
	// Under the leader's table the descriptor is not that socket.
	hold.Sockets[0].TID = 0
	if vres, err = verifyOnly(s, []Holding{hold}); err != nil {
		t.Fatal(err)
	}
	if got := vres.Owners[ino]; len(got) != 0 {
		t.Errorf("Verify under the leader: owners %+v, want none", got)
	}
}
