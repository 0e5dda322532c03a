package fdscan

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdingsOf returns, for the fake processes, what another mechanism would
// have seen: every descriptor that points at a wanted socket.
func holdingsOf(procs []fakeProc) []Holding {
	var hs []Holding
	for _, p := range procs {
		h := Holding{PID: p.pid, StartTime: p.start}
		for fd, target := range p.fds {
			if ino, ok := parseSocketInode([]byte(target)); ok {
				if _, ok := wanted[ino]; ok {
					h.Sockets = append(h.Sockets, SocketFD{Inode: ino, FD: fd})
				}
			}
		}
		if len(h.Sockets) > 0 {
			hs = append(hs, h)
		}
	}
	return hs
}

func TestVerify(t *testing.T) {
	full := map[uint64][]ownerKey{
		1000: {{master.pid, 3}, {smtpd1.pid, 5}, {smtpd2.pid, 5}},
		1001: {{smtpd2.pid, 9}},
		3000: {{odd.pid, 3}, {odd.pid, 8}},
	}
	tests := []struct {
		name     string
		edit     func(root string, hs []Holding) []Holding
		hooks    func(root string) hooks
		owners   map[uint64][]ownerKey
		vanished int
		changed  int
		unread   []int
	}{
		{name: "all hold", owners: full},
		{
			name: "duplicate descriptors are reported once",
			edit: func(_ string, hs []Holding) []Holding {
				hs[0].Sockets = append(hs[0].Sockets, hs[0].Sockets...)
				return hs
			},
			owners: full,
		},
		{
			name: "start time differs: another process",
			edit: func(_ string, hs []Holding) []Holding {
				for i := range hs {
					if hs[i].PID == smtpd2.pid {
						hs[i].StartTime++
					}
				}
				return hs
			},
			owners:   map[uint64][]ownerKey{1000: {{master.pid, 3}, {smtpd1.pid, 5}}, 3000: full[3000]},
			vanished: 1,
		},
		{
			name: "process gone",
			edit: func(root string, hs []Holding) []Holding {
				must(t, os.RemoveAll(filepath.Join(root, itoa(smtpd1.pid))))
				return hs
			},
			owners:   map[uint64][]ownerKey{1000: {{master.pid, 3}, {smtpd2.pid, 5}}, 1001: full[1001], 3000: full[3000]},
			vanished: 1,
		},
		{
			name: "a descriptor seen elsewhere no longer points at the socket",
			edit: func(root string, hs []Holding) []Holding {
				relink(t, root, odd.pid, 8, "socket:[5555]")
				relink(t, root, smtpd2.pid, 9, "/dev/null")
				return hs
			},
			owners:  map[uint64][]ownerKey{1000: full[1000], 3000: {{odd.pid, 3}}},
			changed: 1,
		},
		{
			name: "fd directory refused",
			hooks: func(string) hooks {
				return hooks{openFDs: func(pid int) error {
					if pid == master.pid {
						return os.ErrPermission
					}
					return nil
				}}
			},
			owners: map[uint64][]ownerKey{1000: {{smtpd1.pid, 5}, {smtpd2.pid, 5}}, 1001: full[1001], 3000: full[3000]},
			unread: []int{master.pid},
		},
		{
			// /proc refuses (EACCES) what the kernel showed: the
			// holding stands, its identity checked (the next case),
			// and master is not unreadable, unlike with ErrPermission
			// above.
			name: "fd directory refused with EACCES: the kernel's view is adopted",
			hooks: func(string) hooks {
				return hooks{openFDs: func(pid int) error {
					if pid == master.pid {
						return unix.EACCES
					}
					return nil
				}}
			},
			owners: full,
		},
		{
			name: "adopted, but the PID was reused",
			edit: func(root string, hs []Holding) []Holding {
				rewriteStat(t, root, master, master.start+1)
				return hs
			},
			hooks: func(string) hooks {
				return hooks{openFDs: func(pid int) error {
					if pid == master.pid {
						return unix.EACCES
					}
					return nil
				}}
			},
			owners:   map[uint64][]ownerKey{1000: {{smtpd1.pid, 5}, {smtpd2.pid, 5}}, 1001: full[1001], 3000: full[3000]},
			vanished: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, allProcs)
			hs := holdingsOf(allProcs)
			if tt.edit != nil {
				hs = tt.edit(root, hs)
			}
			for _, workers := range []int{1, 3} {
				s := &Scanner{ProcRoot: root, Workers: workers, LookupUser: fakeLookup}
				if tt.hooks != nil {
					s.hooks = tt.hooks(root)
				}
				res, err := verifyOnly(s, hs)
				if err != nil {
					t.Fatal(err)
				}
				if got := keysOf(res); !reflect.DeepEqual(got, tt.owners) {
					t.Errorf("workers %d: owners %v, want %v", workers, got, tt.owners)
				}
				if res.Vanished != tt.vanished || res.Changed != tt.changed {
					t.Errorf("workers %d: vanished %d changed %d, want %d %d", workers, res.Vanished, res.Changed, tt.vanished, tt.changed)
				}
				var unread []int
				for _, u := range res.Unreadable {
					unread = append(unread, u.PID)
				}
				if !slices.Equal(unread, tt.unread) {
					t.Errorf("workers %d: unreadable %v, want %v", workers, unread, tt.unread)
				}
			}
		})
	}
}

// TestVerifyMatchesScan checks that verifying what Scan would find gives
// Scan's result, owner details included.
func TestVerifyMatchesScan(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, allProcs)
	s := &Scanner{ProcRoot: root, LookupUser: fakeLookup}
	want, err := s.Scan(wanted)
	if err != nil {
		t.Fatal(err)
	}
	got, err := verifyOnly(s, holdingsOf(allProcs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Owners, want.Owners) {
		t.Errorf("Verify owners\n%s\nwant (Scan)\n%s", jsonOf(t, got.Owners), jsonOf(t, want.Owners))
	}
	if !reflect.DeepEqual(got.Gaps, want.Gaps) {
		t.Errorf("Verify gaps %v, want %v", got.Gaps, want.Gaps)
	}
}

func TestVerifyMissingRoot(t *testing.T) {
	s := &Scanner{ProcRoot: filepath.Join(t.TempDir(), "absent")}
	if _, err := verifyOnly(s, nil); err == nil {
		t.Fatal("Verify of a missing root: no error")
	}
}

// ownerKey is one (pid, fd) holding of a socket.
type ownerKey struct{ pid, fd int }

// keysOf reduces a Result to the (pid, fd) holdings of each socket.
func keysOf(r *Result) map[uint64][]ownerKey {
	m := map[uint64][]ownerKey{}
	for ino, owners := range r.Owners {
		for _, o := range owners {
			for _, fd := range o.FDs {
				m[ino] = append(m[ino], ownerKey{o.PID, fd})
			}
		}
	}
	return m
}

// TestVerifierMatchesVerifyAndScanUnseen checks that holdings verified as
// they come (Add) and at the end (Finish) give what VerifyAndScanUnseen
// gives for them all, wherever the split; and that the early result of a
// PID in redo is dropped (here a holding under a wrong start time, which
// would otherwise count as a vanished process). Finish shares the
// holdings still queued among the workers: every number of them gives the
// same result.
func TestVerifierMatchesVerifyAndScanUnseen(t *testing.T) {
	for _, workers := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { testVerifierSplits(t, workers) })
	}
}

func testVerifierSplits(t *testing.T, workers int) {
	root := t.TempDir()
	writeTree(t, root, allProcs)
	s := &Scanner{ProcRoot: root, LookupUser: fakeLookup, Workers: workers}
	hs := holdingsOf(allProcs)
	seen := map[int]struct{}{}
	for _, h := range hs {
		seen[h.PID] = struct{}{}
	}
	want, err := s.VerifyAndScanUnseen(hs, seen, wanted)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) < 2 || len(allProcs) <= len(seen) {
		t.Fatalf("the fake tree should have several holders and a process not seen: %d holdings, %d processes", len(hs), len(allProcs))
	}
	for split := range len(hs) + 1 {
		v, err := s.StartVerify()
		if err != nil {
			t.Fatal(err)
		}
		stale := hs[len(hs)-1]
		stale.StartTime++
		v.Add(stale)
		for _, h := range hs[:split] {
			v.Add(h)
		}
		rest := slices.Clone(hs[split:])
		if split == len(hs) {
			rest = append(rest, hs[len(hs)-1])
		}
		redo := map[int]struct{}{stale.PID: {}}
		got, err := v.Finish(rest, redo, seen, wanted)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Owners, want.Owners) {
			t.Errorf("split %d: owners\n%s\nwant\n%s", split, jsonOf(t, got.Owners), jsonOf(t, want.Owners))
		}
		if !reflect.DeepEqual(got.Gaps, want.Gaps) || got.Vanished != want.Vanished || got.Changed != want.Changed ||
			got.Processes != want.Processes || !reflect.DeepEqual(got.Unreadable, want.Unreadable) {
			t.Errorf("split %d: gaps %v, vanished %d, changed %d, processes %d, unreadable %v; want %v, %d, %d, %d, %v", split,
				got.Gaps, got.Vanished, got.Changed, got.Processes, got.Unreadable,
				want.Gaps, want.Vanished, want.Changed, want.Processes, want.Unreadable)
		}
	}
}

// TestFinishSharesQueue: the holdings still queued when the mechanism ends
// are verified by more goroutines than the one that verified beside it
// (that one is held at its first holding until another verifier reaches
// one), and give what VerifyAndScanUnseen gives.
func TestFinishSharesQueue(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, allProcs)
	hs := holdingsOf(allProcs)
	seen := map[int]struct{}{}
	for _, h := range hs {
		seen[h.PID] = struct{}{}
	}
	want, err := (&Scanner{ProcRoot: root, LookupUser: fakeLookup}).VerifyAndScanUnseen(hs, seen, wanted)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) < 3 {
		t.Fatalf("%d holdings: the fake tree should leave several queued behind the first", len(hs))
	}
	s := &Scanner{ProcRoot: root, LookupUser: fakeLookup, Workers: 2}
	var calls atomic.Int32
	another := make(chan struct{})
	var once sync.Once
	shared := false // set by the first verifier, read after Finish
	s.hooks.afterFDs = func(int) {
		if calls.Add(1) == 1 {
			select {
			case <-another:
				shared = true
			case <-time.After(10 * time.Second): // no other verifier came
			}
			return
		}
		once.Do(func() { close(another) })
	}
	v, err := s.StartVerify()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		v.Add(h)
	}
	got, err := v.Finish(nil, nil, seen, wanted)
	if err != nil {
		t.Fatal(err)
	}
	if !shared {
		t.Error("the holdings queued behind the first were verified by the same goroutine, after it")
	}
	if !reflect.DeepEqual(got.Owners, want.Owners) || !reflect.DeepEqual(got.Gaps, want.Gaps) ||
		got.Vanished != want.Vanished || got.Changed != want.Changed || got.Processes != want.Processes {
		t.Errorf("owners\n%s\ngaps %v, vanished %d, changed %d, processes %d; want\n%s\n%v, %d, %d, %d",
			jsonOf(t, got.Owners), got.Gaps, got.Vanished, got.Changed, got.Processes,
			jsonOf(t, want.Owners), want.Gaps, want.Vanished, want.Changed, want.Processes)
	}
}
