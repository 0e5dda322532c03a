package fdscan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The processes of the fake tree: a Postfix-like master with two children
// sharing its listener, a process with odd names holding one socket twice,
// and processes holding only unwanted or malformed links.
var (
	master = fakeProc{
		pid: 100, comm: "master", ppid: 1, start: 500,
		cmdline: "/usr/libexec/postfix/master\x00-w\x00", exe: "/usr/libexec/postfix/master",
		fds: map[int]string{0: "/dev/null", 1: "/dev/null", 3: "socket:[1000]", 4: "pipe:[77]", 6: "socket:[2000]"},
		// cgroup v1 and v2 mounted side by side, as on the development
		// machine: the unified hierarchy's path is the one kept.
		cgroup:     "9:name=systemd:/init.scope\n8:pids:/system.slice/postfix.service\n0::/system.slice/postfix.service\n",
		cgroupPath: "/system.slice/postfix.service",
	}
	smtpd1 = fakeProc{
		pid: 101, comm: "smtpd", ppid: 100, start: 600, ruid: 33, euid: 33,
		cmdline: "smtpd\x00-n\x00smtp\x00-t\x00inet\x00", exe: "/usr/libexec/postfix/smtpd",
		fds: map[int]string{0: "/dev/null", 5: "socket:[1000]", 7: "anon_inode:[eventfd]"},
		// cgroup v1 only: the name=systemd hierarchy's path.
		cgroup:     "4:memory:/\n1:name=systemd:/system.slice/postfix@-.service\n",
		cgroupPath: "/system.slice/postfix@-.service",
	}
	smtpd2 = fakeProc{
		pid: 102, comm: "smtpd", ppid: 100, start: 601, ruid: 33, euid: 33,
		cmdline: "smtpd\x00-n\x00smtp\x00-t\x00inet\x00", exe: "/usr/libexec/postfix/smtpd",
		fds: map[int]string{5: "socket:[1000]", 9: "socket:[1001]"},
	}
	odd = fakeProc{
		pid: 200, comm: "a b) (c\n", ppid: 1, start: 700, ruid: 1000, euid: 0,
		cmdline: "/opt/we ird\xff/x\x00--name=\n\x00\x00", exe: "/opt/we ird\xff/x (deleted)",
		fds: map[int]string{3: "socket:[3000]", 8: "socket:[3000]", 10: "/tmp/socket:[1000]"},
	}
	other = fakeProc{
		pid: 300, comm: "other", ppid: 1, start: 800, ruid: 1000, euid: 1000,
		cmdline: "other\x00", exe: "/usr/bin/other",
		fds: map[int]string{3: "socket:[9999]", 4: "socket:[abc]", 5: "socket:[1000", 6: "socket:[01000] "},
	}
	allProcs = []fakeProc{master, smtpd1, smtpd2, odd, other}
	wanted   = map[uint64]struct{}{1000: {}, 1001: {}, 3000: {}, 4000: {}}
	names    = map[uint32]string{0: "root", 33: "www-data"}
)

// fakeLookup names the users of the fake tree.
func fakeLookup(uid uint32) (string, error) {
	if n, ok := names[uid]; ok {
		return n, nil
	}
	return "", user.UnknownUserIdError(int(uid))
}

// ownerOf is the Owner the scan should report for p holding a socket by fds.
func ownerOf(p fakeProc, fds ...int) snapshot.Owner {
	return snapshot.Owner{
		PID: p.pid, StartTime: p.start, PPID: p.ppid, Name: p.comm,
		Cmdline: splitCmdline([]byte(p.cmdline)), Exe: p.exe,
		UID: snapshot.Uint32(p.euid), User: names[p.euid], FDs: fds,
		Cgroup: p.cgroupPath,
	}
}

func TestScanFakeTree(t *testing.T) {
	uid := uint32(os.Getuid())
	full := map[uint64][]snapshot.Owner{
		1000: {ownerOf(master, 3), ownerOf(smtpd1, 5), ownerOf(smtpd2, 5)},
		1001: {ownerOf(smtpd2, 9)},
		3000: {ownerOf(odd, 3, 8)},
	}
	tests := []struct {
		name       string
		procs      []fakeProc
		hooks      func(root string) hooks
		owners     map[uint64][]snapshot.Owner
		unreadable []Unreadable // Err is not compared
		vanished   int
		changed    int
		states     map[uint64]snapshot.OwnerState
		gaps       []string // Area/Reason of each gap
	}{
		{
			name:   "shared, inherited and odd names",
			procs:  allProcs,
			owners: full,
			states: map[uint64]snapshot.OwnerState{1000: snapshot.OwnersComplete, 4000: snapshot.OwnersNone},
		},
		{
			name:  "holder vanishes after the fd pass",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == smtpd1.pid {
						must(t, os.RemoveAll(filepath.Join(root, itoa(pid))))
					}
				}}
			},
			owners:   map[uint64][]snapshot.Owner{1000: {ownerOf(master, 3), ownerOf(smtpd2, 5)}, 1001: full[1001], 3000: full[3000]},
			vanished: 1,
			gaps:     []string{"owners/vanished"},
		},
		{
			// The process exits after its descriptors were read and
			// another one takes its PID before /proc/PID is opened:
			// the new process's details must not be named with the
			// old one's sockets.
			name:  "PID reused during the scan",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == smtpd2.pid {
						reuse := smtpd2
						reuse.start, reuse.comm, reuse.fds = 9999, "reused", map[int]string{5: "/dev/null", 9: "socket:[1000]"}
						replaceProc(t, root, reuse)
					}
				}}
			},
			owners:   map[uint64][]snapshot.Owner{1000: {ownerOf(master, 3), ownerOf(smtpd1, 5)}, 3000: full[3000]},
			vanished: 1,
			states:   map[uint64]snapshot.OwnerState{1001: snapshot.OwnersNone},
			gaps:     []string{"owners/vanished"},
		},
		{
			name:  "one of two descriptors moves",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == odd.pid {
						relink(t, root, pid, 8, "socket:[5555]")
					}
				}}
			},
			owners: map[uint64][]snapshot.Owner{1000: full[1000], 1001: full[1001], 3000: {ownerOf(odd, 3)}},
		},
		{
			name:  "descriptor closed and reused",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == master.pid {
						relink(t, root, pid, 3, "/dev/null")
					}
				}}
			},
			owners:  map[uint64][]snapshot.Owner{1000: {ownerOf(smtpd1, 5), ownerOf(smtpd2, 5)}, 1001: full[1001], 3000: full[3000]},
			changed: 1,
			gaps:    []string{"owners/changed"},
		},
		{
			name:  "descriptor closed",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == smtpd2.pid {
						must(t, os.Remove(filepath.Join(root, itoa(pid), "fd", "9")))
					}
				}}
			},
			owners:  map[uint64][]snapshot.Owner{1000: full[1000], 3000: full[3000]},
			changed: 1,
			states:  map[uint64]snapshot.OwnerState{1001: snapshot.OwnersNone},
			gaps:    []string{"owners/changed"},
		},
		{
			name:  "one of two sockets of a process closed",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{afterFDs: func(pid int) {
					if pid == smtpd2.pid {
						must(t, os.Remove(filepath.Join(root, itoa(pid), "fd", "5")))
					}
				}}
			},
			owners:  map[uint64][]snapshot.Owner{1000: {ownerOf(master, 3), ownerOf(smtpd1, 5)}, 1001: full[1001], 3000: full[3000]},
			changed: 1,
			gaps:    []string{"owners/changed"},
		},
		{
			name:  "fd directory refused",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{openFDs: func(pid int) error {
					if pid == smtpd1.pid {
						return unix.EACCES
					}
					return nil
				}}
			},
			owners:     map[uint64][]snapshot.Owner{1000: {ownerOf(master, 3), ownerOf(smtpd2, 5)}, 1001: full[1001], 3000: full[3000]},
			unreadable: []Unreadable{{PID: smtpd1.pid, UID: &uid, Name: "smtpd", StartTime: smtpd1.start, Reason: ReasonPermission}},
			states:     map[uint64]snapshot.OwnerState{1000: snapshot.OwnersPartial, 4000: snapshot.OwnersUnknown},
			gaps:       []string{"owners/permission"},
		},
		{
			name:  "process exits before its fd directory is read",
			procs: allProcs,
			hooks: func(root string) hooks {
				return hooks{beforeFDs: func(pid int) {
					if pid == smtpd2.pid {
						must(t, os.RemoveAll(filepath.Join(root, itoa(pid))))
					}
				}}
			},
			owners: map[uint64][]snapshot.Owner{1000: {ownerOf(master, 3), ownerOf(smtpd1, 5)}, 3000: full[3000]},
			// /proc/PID is opened only for holders, so nothing of the
			// vanished process is left to take its uid from.
			unreadable: []Unreadable{{PID: smtpd2.pid, Reason: ReasonVanished}},
			states:     map[uint64]snapshot.OwnerState{1000: snapshot.OwnersComplete, 4000: snapshot.OwnersNone},
			gaps:       []string{"processes/vanished"},
		},
		{
			name:   "no processes",
			procs:  nil,
			owners: map[uint64][]snapshot.Owner{},
			states: map[uint64]snapshot.OwnerState{1000: snapshot.OwnersNone},
		},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 3} {
			t.Run(tt.name+"/workers="+itoa(workers), func(t *testing.T) {
				root := t.TempDir()
				writeTree(t, root, tt.procs)
				s := &Scanner{ProcRoot: root, Workers: workers, LookupUser: fakeLookup}
				if tt.hooks != nil {
					s.hooks = tt.hooks(root)
				}
				res, err := s.Scan(wanted)
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if !reflect.DeepEqual(res.Owners, tt.owners) {
					t.Errorf("Owners:\n got %s\nwant %s", jsonOf(t, res.Owners), jsonOf(t, tt.owners))
				}
				var got []Unreadable
				for _, u := range res.Unreadable {
					if u.Err == nil {
						t.Errorf("unreadable %d has no error", u.PID)
					}
					u.Err = nil
					got = append(got, u)
				}
				if !reflect.DeepEqual(got, tt.unreadable) {
					t.Errorf("Unreadable = %+v, want %+v", got, tt.unreadable)
				}
				if res.Vanished != tt.vanished || res.Changed != tt.changed {
					t.Errorf("Vanished, Changed = %d, %d; want %d, %d", res.Vanished, res.Changed, tt.vanished, tt.changed)
				}
				if res.Processes != len(tt.procs) {
					t.Errorf("Processes = %d, want %d", res.Processes, len(tt.procs))
				}
				for ino, want := range tt.states {
					if got := res.State(ino); got != want {
						t.Errorf("State(%d) = %s, want %s", ino, got, want)
					}
				}
				var gaps []string
				for _, g := range res.Gaps {
					gaps = append(gaps, g.Area+"/"+g.Reason)
					if g.Detail == "" || g.Count == 0 {
						t.Errorf("gap %+v lacks detail or count", g)
					}
				}
				if !slices.Equal(gaps, tt.gaps) {
					t.Errorf("Gaps = %q, want %q", gaps, tt.gaps)
				}
				if res.NetNS != nil {
					t.Errorf("NetNS = %v from the /proc scan", res.NetNS)
				}
			})
		}
	}
}

func TestScanBadStat(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, []fakeProc{master})
	bad := master
	bad.pid = 400
	writeProc(t, root, bad)
	must(t, os.WriteFile(filepath.Join(root, "400", "stat"), []byte("400 (x) S 1\n"), 0o444))
	s := &Scanner{ProcRoot: root, Workers: 1, LookupUser: fakeLookup}
	res, err := s.Scan(wanted)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unreadable) != 1 || res.Unreadable[0].PID != 400 || res.Unreadable[0].Reason != ReasonError {
		t.Fatalf("Unreadable = %+v, want pid 400 with reason error", res.Unreadable)
	}
	if got := res.Owners[1000]; len(got) != 1 || got[0].PID != master.pid {
		t.Errorf("Owners[1000] = %+v, want only the master", got)
	}
	if res.Complete() {
		t.Error("Complete() = true with an unreadable process")
	}
}

func TestScanMissingRoot(t *testing.T) {
	s := &Scanner{ProcRoot: filepath.Join(t.TempDir(), "nope")}
	if _, err := s.Scan(wanted); err == nil {
		t.Fatal("Scan of a missing root succeeded")
	}
}

func TestScanUserCache(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, allProcs)
	calls := map[uint32]int{}
	s := &Scanner{ProcRoot: root, LookupUser: func(uid uint32) (string, error) {
		calls[uid]++
		return fakeLookup(uid)
	}, Workers: 1}
	for range 2 {
		if _, err := s.Scan(wanted); err != nil {
			t.Fatal(err)
		}
	}
	if want := map[uint32]int{0: 1, 33: 1}; !reflect.DeepEqual(calls, want) {
		t.Errorf("lookups = %v, want %v", calls, want)
	}
}

// TestScanGolden pins the whole result for the fake tree, including the
// lossless JSON of odd names.
func TestScanGolden(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, allProcs)
	s := &Scanner{ProcRoot: root, Workers: 1, LookupUser: fakeLookup}
	res, err := s.Scan(wanted)
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(t, struct {
		Owners    map[uint64][]snapshot.Owner `json:"owners"`
		Processes int                         `json:"processes"`
		Gaps      []snapshot.Gap              `json:"gaps"`
	}{res.Owners, res.Processes, res.Gaps})
	path := filepath.Join("testdata", "fake_tree.golden.json")
	if *update {
		must(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("result differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

func jsonOf(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
