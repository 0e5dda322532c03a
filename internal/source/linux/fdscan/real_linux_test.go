package fdscan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// helperEnv selects a helper role when the test binary re-executes itself.
const helperEnv = "FDSCAN_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(runHolder())
	case "scan":
		os.Exit(runScanner())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// loopbackSocket opens a socket of the given type bound to 127.0.0.1:0
// (listening for stream sockets) and returns its descriptor and inode.
func loopbackSocket(typ int) (int, uint64, error) {
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind: %w", err)
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, 1); err != nil {
			unix.Close(fd)
			return -1, 0, fmt.Errorf("listen: %w", err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("fstat: %w", err)
	}
	return fd, st.Ino, nil
}

// runHolder is a child that keeps the descriptor it inherited as fd 3,
// opens a UDP socket of its own, prints "FD INODE" and waits for EOF on
// standard input.
func runHolder() int {
	fd, ino, err := loopbackSocket(unix.SOCK_DGRAM)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d %d\n", fd, ino)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// scanReport is what runScanner prints.
type scanReport struct {
	PID        int                         `json:"pid"`
	FD         int                         `json:"fd"`
	Inode      uint64                      `json:"inode"`
	Owners     map[uint64][]snapshot.Owner `json:"owners"`
	Unreadable []struct {
		PID    int     `json:"pid"`
		UID    *uint32 `json:"uid"`
		Reason string  `json:"reason"`
	} `json:"unreadable"`
	States map[string]snapshot.OwnerState `json:"states"`
}

// runScanner is a child (run without privileges) that opens a socket of
// its own, scans /proc for it and for the inode in argument 1, and prints
// a scanReport as JSON.
func runScanner() int {
	fd, ino, err := loopbackSocket(unix.SOCK_DGRAM)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	other, err := strconv.ParseUint(os.Getenv("FDSCAN_INODE"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	res, err := (&Scanner{}).Scan(map[uint64]struct{}{ino: {}, other: {}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rep := scanReport{PID: os.Getpid(), FD: fd, Inode: ino, Owners: res.Owners, States: map[string]snapshot.OwnerState{
		"own": res.State(ino), "other": res.State(other),
	}}
	for _, u := range res.Unreadable {
		rep.Unreadable = append(rep.Unreadable, struct {
			PID    int     `json:"pid"`
			UID    *uint32 `json:"uid"`
			Reason string  `json:"reason"`
		}{u.PID, u.UID, u.Reason})
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// holder is a running helper child.
type holder struct {
	pid   int
	fd    int    // its own UDP socket
	inode uint64 // of that socket
}

// startHolder starts a helper that inherits f as descriptor 3.
func startHolder(t *testing.T, f *os.File) holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=hold")
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("holder %d: %v", cmd.Process.Pid, err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read from holder %d: %v", cmd.Process.Pid, err)
	}
	h := holder{pid: cmd.Process.Pid}
	if _, err := fmt.Sscanf(line, "%d %d", &h.fd, &h.inode); err != nil {
		t.Fatalf("holder said %q: %v", line, err)
	}
	return h
}

// TestScanRealProcesses forks two children that share the test's
// listening socket (as descriptor 3) and each hold a UDP socket of their
// own, then scans the real /proc and checks the exact owners.
func TestScanRealProcesses(t *testing.T) {
	lfd, lino, err := loopbackSocket(unix.SOCK_STREAM)
	if err != nil {
		t.Skipf("cannot open a loopback socket: %v", err)
	}
	lf := os.NewFile(uintptr(lfd), "listener")
	defer lf.Close()
	kids := []holder{startHolder(t, lf), startHolder(t, lf)}

	self := os.Getpid()
	exe, err := os.Executable()
	must(t, err)
	want := map[uint64][]int{lino: {self, kids[0].pid, kids[1].pid}}
	wantFDs := map[[2]uint64][]int{{lino, uint64(self)}: {lfd}}
	for _, k := range kids {
		want[k.inode] = []int{k.pid}
		wantFDs[[2]uint64{lino, uint64(k.pid)}] = []int{3}
		wantFDs[[2]uint64{k.inode, uint64(k.pid)}] = []int{k.fd}
	}
	wantedSet := map[uint64]struct{}{}
	for ino := range want {
		wantedSet[ino] = struct{}{}
		slices.Sort(want[ino])
	}

	for _, workers := range []int{1, 0} {
		t.Run("workers="+itoa(workers), func(t *testing.T) {
			res, err := (&Scanner{Workers: workers}).Scan(wantedSet)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Owners) != len(want) {
				t.Errorf("owners of %d sockets, want %d: %v", len(res.Owners), len(want), res.Owners)
			}
			for ino, pids := range want {
				var got []int
				for _, o := range res.Owners[ino] {
					got = append(got, o.PID)
					if w := wantFDs[[2]uint64{ino, uint64(o.PID)}]; !slices.Equal(o.FDs, w) {
						t.Errorf("socket %d, pid %d: FDs %v, want %v", ino, o.PID, o.FDs, w)
					}
					checkRealOwner(t, o, self, exe)
				}
				if !slices.Equal(got, pids) {
					t.Errorf("socket %d: owners %v, want %v", ino, got, pids)
				}
				// Even root may be refused some tables (this test
				// host's init is), so the state follows Complete.
				wantState := snapshot.OwnersComplete
				if !res.Complete() {
					wantState = snapshot.OwnersPartial
				}
				if s := res.State(ino); s != wantState {
					t.Errorf("socket %d: state %s, want %s", ino, s, wantState)
				}
			}
			for _, u := range res.Unreadable {
				t.Logf("unreadable: pid %d, reason %s: %v", u.PID, u.Reason, u.Err)
			}
			if res.Processes < 3 {
				t.Errorf("Processes = %d, want at least 3", res.Processes)
			}
		})
	}
}

// checkRealOwner checks the details of an owner that is the test process
// or one of its children.
func checkRealOwner(t *testing.T, o snapshot.Owner, self int, exe string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", itoa(o.PID), "stat"))
	must(t, err)
	st, err := parseStat(b)
	must(t, err)
	if o.StartTime != st.StartTime || o.StartTime == 0 {
		t.Errorf("pid %d: StartTime %d, /proc says %d", o.PID, o.StartTime, st.StartTime)
	}
	if o.PID != self && o.PPID != self {
		t.Errorf("pid %d: PPID %d, want %d", o.PID, o.PPID, self)
	}
	if base := filepath.Base(exe); !strings.HasPrefix(base, o.Name) || o.Name == "" {
		t.Errorf("pid %d: Name %q is not a prefix of %q", o.PID, o.Name, base)
	}
	if o.Exe != exe {
		t.Errorf("pid %d: Exe %q, want %q", o.PID, o.Exe, exe)
	}
	if len(o.Cmdline) == 0 || o.Cmdline[0] != os.Args[0] {
		t.Errorf("pid %d: Cmdline %q, want it to start with %q", o.PID, o.Cmdline, os.Args[0])
	}
	if o.UID == nil || *o.UID != uint32(os.Geteuid()) {
		t.Errorf("pid %d: UID %v, want %d", o.PID, o.UID, os.Geteuid())
	}
}

// TestScanUnprivileged runs a scan as user nobody: it must see its own
// socket, and report the test process (root) as unreadable for lack of
// permission rather than as holding nothing.
func TestScanUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a child as another user")
	}
	lfd, lino, err := loopbackSocket(unix.SOCK_STREAM)
	if err != nil {
		t.Skipf("cannot open a loopback socket: %v", err)
	}
	defer unix.Close(lfd)

	// The test binary lives in a private build directory; copy it where
	// nobody can run it.
	dir, err := os.MkdirTemp("", "fdscan-unpriv-")
	must(t, err)
	defer os.RemoveAll(dir)
	must(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "fdscan.test")
	src, err := os.ReadFile(os.Args[0])
	must(t, err)
	must(t, os.WriteFile(bin, src, 0o755))

	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), helperEnv+"=scan", "FDSCAN_INODE="+strconv.FormatUint(lino, 10))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("unprivileged scan: %v", err)
	}
	var rep scanReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	own := rep.Owners[rep.Inode]
	if len(own) != 1 || own[0].PID != rep.PID || !slices.Equal(own[0].FDs, []int{rep.FD}) {
		t.Errorf("own socket owners = %+v, want pid %d fd %d", own, rep.PID, rep.FD)
	}
	if len(rep.Owners[lino]) != 0 {
		t.Errorf("root's socket has owners %+v seen without privilege", rep.Owners[lino])
	}
	found := false
	for _, u := range rep.Unreadable {
		if u.PID == os.Getpid() {
			found = true
			if u.Reason != ReasonPermission || u.UID == nil || *u.UID != 0 {
				t.Errorf("test process unreadable as %+v, want permission, uid 0", u)
			}
		}
	}
	if !found {
		t.Errorf("test process %d not among %d unreadable processes", os.Getpid(), len(rep.Unreadable))
	}
	if rep.States["other"] != snapshot.OwnersUnknown || rep.States["own"] != snapshot.OwnersPartial {
		t.Errorf("states = %v, want other unknown, own partial", rep.States)
	}
}
