package bpfowners

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/testenv"
)

// helperEnv makes the re-executed test binary print Available's answer.
const helperEnv = "BPFOWNERS_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		relocCacheFile = "" // helpers leave no cache behind
	}
	switch os.Getenv(helperEnv) {
	case "available":
		if err := Available(); err != nil {
			fmt.Println("unavailable:", err)
		} else {
			fmt.Println("available")
		}
		os.Exit(0)
	case "listen":
		os.Exit(helperListen())
	case "complete":
		os.Exit(helperComplete())
	}
	testenv.ServeRole()
	// The tests keep the relocation cache in a directory of their own,
	// not the host's.
	dir, err := os.MkdirTemp("", "bpfowners-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	relocCacheFile = filepath.Join(dir, "task_file.reloc")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helperListen listens on a loopback port, prints "PID INODE" and waits
// for stdin to close.
func helperListen() int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	}
	if err == nil {
		err = unix.Listen(fd, 1)
	}
	var st unix.Stat_t
	if err == nil {
		err = unix.Fstat(fd, &st)
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(os.Getpid(), st.Ino)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// completeReport is what helperComplete prints.
type completeReport struct {
	ProcUnreadable []int    `json:"proc_unreadable"`
	Owners         []int    `json:"owners"`
	Unreadable     []int    `json:"unreadable"`
	Error          string   `json:"error,omitempty"`
	Complete       bool     `json:"complete"`
	Gaps           []string `json:"gaps"`
}

// helperComplete scans for the socket inode in $INODE with /proc and with
// the iterator, and prints a completeReport.
func helperComplete() int {
	var r completeReport
	ino, _ := strconv.ParseUint(os.Getenv("INODE"), 10, 64)
	wanted := map[uint64]struct{}{ino: {}}
	proc, err := (&fdscan.Scanner{}).Scan(wanted)
	if err == nil {
		for _, u := range proc.Unreadable {
			r.ProcUnreadable = append(r.ProcUnreadable, u.PID)
		}
		var res *fdscan.Result
		if res, err = Scan(wanted, ""); err == nil {
			for _, o := range res.Owners[ino] {
				r.Owners = append(r.Owners, o.PID)
			}
			for _, u := range res.Unreadable {
				r.Unreadable = append(r.Unreadable, u.PID)
			}
			r.Complete = res.Complete()
		}
	}
	if err != nil {
		r.Error = err.Error()
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	return 0
}

// openSocket opens a socket closed at the end of t, and returns its
// descriptor and inode.
func openSocket(t *testing.T, domain, typ int) (int, uint64) {
	t.Helper()
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return fd, st.Ino
}

// requireBPF skips t when this run cannot use the iterator.
func requireBPF(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		tb.Skipf("eBPF owner mapping unavailable (needs root or CAP_BPF+CAP_PERFMON, kernel BTF, the initial PID namespace): %v", err)
	}
}

// allSocketInodes lists every socket inode held on the host, read from
// /proc by os.ReadDir and os.Readlink: a third way, independent of the two
// compared.
func allSocketInodes(tb testing.TB) map[uint64]struct{} {
	tb.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	set := map[uint64]struct{}{}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		// Every thread's table: a thread may have one of its own.
		dirs := []string{"/proc/" + e.Name() + "/fd"}
		tasks, _ := os.ReadDir("/proc/" + e.Name() + "/task")
		for _, task := range tasks {
			dirs = append(dirs, "/proc/"+e.Name()+"/task/"+task.Name()+"/fd")
		}
		for _, dir := range dirs {
			fds, err := os.ReadDir(dir)
			if err != nil {
				continue // exited, or closed to root (the sandbox's PID 1)
			}
			for _, fd := range fds {
				l, err := os.Readlink(dir + "/" + fd.Name())
				if err != nil {
					continue
				}
				if s, ok := strings.CutPrefix(l, "socket:["); ok {
					if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
						set[ino] = struct{}{}
					}
				}
			}
		}
	}
	return set
}

// holding is one process's descriptors for one socket, as compared.
type holding struct {
	pid   int
	start uint64
}

func holdingsOf(r *fdscan.Result, ino uint64) map[holding][]int {
	m := map[holding][]int{}
	for _, o := range r.Owners[ino] {
		m[holding{o.PID, o.StartTime}] = o.FDs
	}
	return m
}

// stillHolds reports whether process h still exists and holds ino through
// exactly fds: if so, a scan that disagreed was wrong; if not, the
// difference is churn of the host.
func stillHolds(h holding, ino uint64, fds []int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 20 || f[19] != strconv.FormatUint(h.start, 10) {
		return false
	}
	want := fmt.Sprintf("socket:[%d]", ino)
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", h.pid, fd)); err != nil || l != want {
			return false
		}
	}
	return true
}

// bootTicks is the time since boot in the unit of /proc/PID/stat start
// times (USER_HZ ticks, from CLOCK_BOOTTIME).
func bootTicks(tb testing.TB) uint64 {
	tb.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		tb.Fatal(err)
	}
	return ticks(uint64(ts.Nano()), 0, userHZ())
}

// compareHost compares the owners of every wanted socket as the /proc scan
// and the iterator found them, the /proc scan having started at tick
// started. A difference that the host's churn explains (a process that
// exited or started since, a descriptor closed since) is logged; any other
// fails the test. It returns how many sockets had owners in both.
func compareHost(t *testing.T, wanted map[uint64]struct{}, proc, bpf *fdscan.Result, started uint64) int {
	t.Helper()
	// A process that started after the /proc scan began may hold
	// sockets the scan could not see (one tick of margin for rounding).
	young := func(h holding) bool { return h.start+1 >= started }
	matched := 0
	for ino := range wanted {
		p, b := holdingsOf(proc, ino), holdingsOf(bpf, ino)
		if len(p) > 0 && reflect.DeepEqual(p, b) {
			matched++
			continue
		}
		for _, h := range slices.Collect(maps.Keys(p)) {
			if fds, ok := b[h]; !ok || !slices.Equal(fds, p[h]) {
				if stillHolds(h, ino, p[h]) {
					t.Errorf("socket %d: /proc scan: pid %d fds %v; eBPF: fds %v", ino, h.pid, p[h], b[h])
				} else {
					t.Logf("socket %d: pid %d fds %v changed during the scans (churn)", ino, h.pid, p[h])
				}
			}
		}
		for _, h := range slices.Collect(maps.Keys(b)) {
			if _, ok := p[h]; !ok {
				if stillHolds(h, ino, b[h]) && !young(h) {
					t.Errorf("socket %d: eBPF: pid %d fds %v; /proc scan: none", ino, h.pid, b[h])
				} else {
					t.Logf("socket %d: pid %d fds %v changed during the scans (churn)", ino, h.pid, b[h])
				}
			}
		}
	}
	return matched
}

// TestScanMatchesProcScan starts helpers holding sockets in a private
// namespace (one socket shared by a parent and forked children, v4, v6,
// TCP, UDP), then requires the iterator to find the same owners as the
// /proc scan: exactly, with every detail, for the helpers' sockets; and
// for every other socket of the host, up to the host's churn.
func TestScanMatchesProcScan(t *testing.T) {
	requireBPF(t)
	env := testenv.New(t)
	specs := []testenv.ListenSpec{
		{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)},
		{Proto: "tcp", Addr: netip.MustParseAddrPort("127.0.0.1:0"), Children: 3},
		{Proto: "tcp", Addr: netip.MustParseAddrPort("[::]:0"), V6Only: snapshot.Bool(true)},
		{Proto: "udp", Addr: netip.AddrPortFrom(testenv.MainAddr6, 0), Children: 1},
		{Proto: "udp", Addr: netip.MustParseAddrPort("0.0.0.0:0")},
		// Held only by a thread with a descriptor table of its own.
		{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0), OwnThread: true},
	}
	var ls []*testenv.Listener
	for _, s := range specs {
		ls = append(ls, env.Listen(t, s))
	}

	wanted := allSocketInodes(t)
	for _, l := range ls {
		if _, ok := wanted[l.Inode]; !ok {
			t.Fatalf("helper socket %d (%v) not found in /proc", l.Inode, l.Local)
		}
	}
	started := bootTicks(t)
	proc, bpf := scanBoth(t, wanted)

	for _, l := range ls {
		po, bo := proc.Owners[l.Inode], bpf.Owners[l.Inode]
		var pids []int
		for _, o := range bo {
			pids = append(pids, o.PID)
			if len(o.FDs) != 1 {
				t.Errorf("%s %v: pid %d holds it by fds %v, want one", l.Spec.Proto, l.Local, o.PID, o.FDs)
			}
		}
		if !slices.Equal(pids, l.PIDs()) {
			t.Errorf("%s %v: eBPF owners %v, want %v", l.Spec.Proto, l.Local, pids, l.PIDs())
		}
		if !reflect.DeepEqual(bo, po) {
			t.Errorf("%s %v: eBPF owners\n%+v\n/proc scan\n%+v", l.Spec.Proto, l.Local, bo, po)
		}
		for _, o := range bo {
			if o.Name == "" || o.Exe == "" || len(o.Cmdline) == 0 || o.UID == nil || o.StartTime == 0 || o.PPID == 0 || o.Cgroup == "" {
				t.Errorf("pid %d: owner details missing: %+v", o.PID, o)
			}
		}
	}
	matched := compareHost(t, wanted, proc, bpf, started)
	if matched < len(ls) {
		t.Errorf("%d sockets matched, want at least the %d of the helpers", matched, len(ls))
	}
	// The helpers' namespace is listed with their PIDs.
	ns, err := env.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		for _, pid := range l.PIDs() {
			if !slices.Contains(bpf.NetNS[ns], pid) {
				t.Errorf("NetNS[%d] = %v, want it to hold %d", ns, bpf.NetNS[ns], pid)
			}
		}
	}
	t.Logf("%d wanted sockets, %d with the same owners; eBPF saw %d processes with open files, /proc scan read %d processes", len(wanted), matched, bpf.Processes, proc.Processes)
}

// TestScanOwnSocket checks the start-time conversion and the descriptor on
// this process itself: the owner of a socket it opened is this PID, with
// the start time of /proc/self/stat and the socket's descriptor.
func TestScanOwnSocket(t *testing.T) {
	requireBPF(t)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(map[uint64]struct{}{st.Ino: {}}, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := []snapshot.Owner{{PID: os.Getpid(), StartTime: start, FDs: []int{fd}}}
	got := res.Owners[st.Ino]
	if len(got) != 1 || got[0].PID != want[0].PID || got[0].StartTime != start || !slices.Equal(got[0].FDs, want[0].FDs) {
		t.Fatalf("owners %+v, want pid %d start %d fds [%d]", got, os.Getpid(), start, fd)
	}
	// Processes closed to this run (the sandbox's PID 1) are a gap on
	// both paths; TestScanSameBlindSpots compares them.
	gaps := slices.DeleteFunc(slices.Clone(res.Gaps), func(g snapshot.Gap) bool { return g.Reason == "permission" })
	if res.Vanished != 0 || res.Changed != 0 || len(gaps) != 0 {
		t.Errorf("vanished %d changed %d gaps %v, want none", res.Vanished, res.Changed, gaps)
	}
	// Unwanted sockets are not reported.
	res, err = Scan(map[uint64]struct{}{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Owners) != 0 {
		t.Errorf("no socket wanted, owners %v", res.Owners)
	}
}

// scanBoth scans for wanted with /proc, then with the iterator.
func scanBoth(t *testing.T, wanted map[uint64]struct{}) (proc, bpf *fdscan.Result) {
	t.Helper()
	proc, err := (&fdscan.Scanner{}).Scan(wanted)
	if err != nil {
		t.Fatal(err)
	}
	if bpf, err = Scan(wanted, "/proc"); err != nil {
		t.Fatal(err)
	}
	return proc, bpf
}

// TestScanSameBlindSpots: every process whose descriptor table /proc
// refuses is unreadable for the eBPF path too, whether or not the iterator
// reported it (on the development machine it does not report PID 1, whose
// table is closed even to root), so that neither path calls a socket of
// that uid a kernel socket. The two scans run one after the other; a
// process that exits in between may be in one list only.
func TestScanSameBlindSpots(t *testing.T) {
	requireBPF(t)
	proc, bpf := scanBoth(t, allSocketInodes(t))
	hidden := func(r *fdscan.Result) map[int]bool {
		m := map[int]bool{}
		for _, u := range r.Unreadable {
			if u.Hidden() {
				m[u.PID] = true
			}
		}
		return m
	}
	p, b := hidden(proc), hidden(bpf)
	if len(p) == 0 {
		t.Logf("no process here is closed to this run: the iterator's blind spots cannot be compared")
	}
	for pid := range p {
		if !b[pid] && exists(pid) {
			t.Errorf("pid %d: unreadable through /proc, but not for the eBPF path", pid)
		}
		if bpf.Complete() {
			t.Errorf("eBPF result complete while pid %d is unreadable", pid)
		}
	}
	for pid := range b {
		if !p[pid] && exists(pid) {
			t.Errorf("pid %d: unreadable for the eBPF path only", pid)
		}
	}
	// That the processes the iterator did not report are read through
	// /proc is shown by TestScanTruncated.
	if bpf.Processes == 0 {
		t.Errorf("eBPF path listed %d processes", bpf.Processes)
	}
}

func exists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// running reports whether process pid exists and has not exited: its
// state in /proc/PID/stat, after the command name, is not zombie (Z) or
// dead (X).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// TestScanAdoptsRefused: a process whose descriptor table /proc refuses
// (another user's, read by root without CAP_SYS_PTRACE and
// CAP_DAC_READ_SEARCH) but that the iterator reports is named as its
// socket's owner, its identity confirmed through stat,
// while the /proc scan can only call it unreadable. This is what lets
// --owners auto complete a refused /proc view.
func TestScanAdoptsRefused(t *testing.T) {
	requireBPF(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a helper as another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skipf("setpriv (util-linux) not found: %v", err)
	}
	exe := testenv.WorldExecutable(t)
	holder := exec.Command(exe, "-test.run=^$")
	holder.Env = append(os.Environ(), helperEnv+"=listen")
	holder.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}, Pdeathsig: syscall.SIGKILL}
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = holder.Wait()
	})
	var pid int
	var ino uint64
	if _, err := fmt.Fscan(out, &pid, &ino); err != nil {
		t.Fatalf("holder ready line: %v", err)
	}

	scan := exec.Command(setpriv, "--bounding-set", "-sys_ptrace,-dac_read_search", "--", exe, "-test.run=^$")
	scan.Env = append(os.Environ(), helperEnv+"=complete", "INODE="+strconv.FormatUint(ino, 10))
	scan.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	b, err := scan.CombinedOutput()
	if err != nil {
		t.Fatalf("scanner: %v\n%s", err, b)
	}
	var r completeReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("scanner output %q: %v", b, err)
	}
	if r.Error != "" {
		t.Fatalf("scanner: %s", r.Error)
	}
	if !slices.Contains(r.ProcUnreadable, pid) {
		t.Fatalf("/proc scan without CAP_SYS_PTRACE read pid %d's table (unreadable %v): the test cannot show adoption", pid, r.ProcUnreadable)
	}
	// The kernel's view, adopted: the owner /proc could not read, not
	// unreadable.
	if !slices.Equal(r.Owners, []int{pid}) || slices.Contains(r.Unreadable, pid) {
		t.Errorf("eBPF path: owners %v unreadable %v, want owner %d, not unreadable", r.Owners, r.Unreadable, pid)
	}
}

// TestScanProcRoot refuses a procRoot that is not this PID namespace's
// procfs.
func TestScanProcRoot(t *testing.T) {
	requireBPF(t)
	if _, err := Scan(map[uint64]struct{}{}, t.TempDir()); err == nil {
		t.Fatal("Scan with an empty directory as procRoot: no error")
	}
}

// TestAvailableRefuses re-executes the test binary where the iterator may
// not be used: without capabilities, and in a new PID namespace.
func TestAvailableRefuses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop privileges or make a PID namespace")
	}
	if _, err := os.Stat(kernelBTF); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	exe := testenv.WorldExecutable(t)
	dir := filepath.Dir(exe)
	tests := []struct {
		name string
		attr *syscall.SysProcAttr
		want string
	}{
		{name: "no capabilities", attr: &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}, want: "CAP_BPF"},
		{name: "PID namespace", attr: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}, want: "PID namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=available")
			cmd.Dir = dir
			cmd.SysProcAttr = tt.attr
			cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), "unavailable:") || !strings.Contains(string(out), tt.want) {
				t.Fatalf("helper says %q, want unavailable because of %s", out, tt.want)
			}
		})
	}
}

// TestKernelFilter checks that the kernel reports only wanted sockets while
// the wanted set fits its map, every socket when it does not, and that the
// owners are the same either way.
func TestKernelFilter(t *testing.T) {
	requireBPF(t)
	// Three sockets to want, five more not to.
	var inodes []uint64
	for range 8 {
		_, ino := openSocket(t, unix.AF_INET6, unix.SOCK_DGRAM)
		inodes = append(inodes, ino)
	}
	it, err := load(0)
	if err != nil {
		t.Fatal(err)
	}
	run := func(wanted map[uint64]struct{}) *grouper {
		g := newGrouper(wanted)
		if err := it.read(wanted, g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	two := map[uint64]struct{}{inodes[0]: {}, inodes[1]: {}}
	// Filter on, then a changed set (one key removed, one added).
	if g := run(two); g.sockets != 2 || len(g.held) != 1 {
		t.Errorf("filter on, 2 wanted: %d socket records, %d holders; want 2 and 1", g.sockets, len(g.held))
	}
	next := map[uint64]struct{}{inodes[1]: {}, inodes[2]: {}}
	g := run(next)
	if g.sockets != 2 {
		t.Errorf("filter on, changed set: %d socket records, want 2", g.sockets)
	}
	if !maps.Equal(it.inMap, next) {
		t.Errorf("wanted map mirror %v, want %v", it.inMap, next)
	}
	for _, socks := range g.held {
		for _, s := range socks {
			if s.Inode == inodes[0] {
				t.Errorf("inode %d reported after it left the wanted set", s.Inode)
			}
		}
	}
	// A set larger than the map: the filter is off, every socket comes.
	if it.capacity != 1<<12 {
		t.Errorf("wanted map capacity %d, want 4096 as bpf/task_file.bpf.c says", it.capacity)
	}
	old := it.capacity
	it.capacity = 1
	defer func() { it.capacity = old }()
	if g := run(next); g.sockets < len(inodes) || len(g.held) != 1 {
		t.Errorf("filter off: %d socket records, %d holders; want at least this process's %d and 1", g.sockets, len(g.held), len(inodes))
	}
	res, err := Scan(next, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ino := range inodes[1:3] {
		if o := res.Owners[ino]; len(o) != 1 || o[0].PID != os.Getpid() {
			t.Errorf("filter off: owners of %d: %+v, want this process", ino, o)
		}
	}
}

// TestScanTruncated holds more wanted sockets than the program reports for
// one table: the iterator says so, and the scan reads this process through
// /proc instead, finding every socket on its descriptor.
func TestScanTruncated(t *testing.T) {
	requireBPF(t)
	const n = maxRecords + 100
	wanted := make(map[uint64]struct{}, n)
	fdOf := make(map[uint64]int, n)
	for range n {
		fd, ino := openSocket(t, unix.AF_INET, unix.SOCK_DGRAM)
		wanted[ino], fdOf[ino] = struct{}{}, fd
	}
	it, err := load(0)
	if err != nil {
		t.Fatal(err)
	}
	g := newGrouper(wanted)
	if err := it.read(wanted, g); err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	if _, ok := g.truncated[uint32(pid)]; !ok {
		t.Fatalf("this process's table, with %d wanted sockets, is not reported truncated", n)
	}
	if _, ok := g.seen()[pid]; ok {
		t.Error("a truncated process counts as seen")
	}
	res, err := Scan(wanted, "")
	if err != nil {
		t.Fatal(err)
	}
	// Every socket on its descriptor, more than the iterator reports for
	// one table: this process was read through /proc.
	for ino, fd := range fdOf {
		if o := res.Owners[ino]; len(o) != 1 || o[0].PID != pid || !slices.Equal(o[0].FDs, []int{fd}) {
			t.Fatalf("owners of %d: %+v, want this process on fd %d", ino, o, fd)
		}
	}
}

// TestFallbackProgram loads each program after the first (task_fds, for
// kernels without bpf_rdonly_cast; task_file, for kernels without
// bpf_loop) and checks that it reports what the first reports: this
// process's wanted sockets on their descriptors, and the same processes.
func TestFallbackProgram(t *testing.T) {
	requireBPF(t)
	wanted := map[uint64]struct{}{}
	for range 3 {
		_, ino := openSocket(t, unix.AF_INET6, unix.SOCK_STREAM)
		wanted[ino] = struct{}{}
	}
	primary, err := load(0)
	if err != nil {
		t.Fatal(err)
	}
	if primary.program != programs[0].name {
		t.Errorf("loaded %s, want %s on this kernel", primary.program, programs[0].name)
	}
	read := func(it *iterator) *grouper {
		g := newGrouper(wanted)
		if err := it.read(wanted, g); err != nil {
			t.Fatalf("%s: %v", it.program, err)
		}
		return g
	}
	for _, prog := range programs[1:] {
		fallback, _, err := deriveAndLoad(prog)
		if err != nil {
			t.Fatalf("%s: %v", prog.name, err)
		}
		// The fallback is read first: a process it reports that still
		// runs after the first program's read ran during that read
		// too (one started between the reads is the first's alone,
		// and is not checked).
		gFallback, gPrimary := read(fallback), read(primary)
		if cerr := fallback.close(); cerr != nil {
			t.Error(cerr)
		}
		if !reflect.DeepEqual(gPrimary.held, gFallback.held) || len(gPrimary.held) != 1 {
			t.Errorf("holders: %s %+v, %s %+v; want this process alone, the same", primary.program, gPrimary.held, fallback.program, gFallback.held)
		}
		// The task_fds programs report every process with a descriptor
		// table, task_file those with an open file: every process the
		// one reports, the other does too, unless it exited in between
		// (a zombie has no descriptor table).
		for pid := range gFallback.procs {
			if _, ok := gPrimary.procs[pid]; !ok && running(int(pid)) {
				t.Errorf("%s reported pid %d, %s did not", fallback.program, pid, primary.program)
			}
		}
	}
	// A kernel that refuses the first program gets the second.
	defer func(saved []program, cache string) { programs, relocCacheFile = saved, cache }(programs, relocCacheFile)
	programs, relocCacheFile = []program{{programs[0].name, "bpf_iter_no_such_target"}, programs[1]}, ""
	it, err := loadIter(0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.close()
	if it.program != programs[1].name {
		t.Errorf("with %s refused, loaded %s, want %s", programs[0].name, it.program, programs[1].name)
	}
}

// TestScanConcurrent runs scans with different wanted sets from several
// goroutines: they share the kernel map, so each must still see its own.
func TestScanConcurrent(t *testing.T) {
	requireBPF(t)
	const n = 4
	var inodes, fds [n]uint64
	for i := range n {
		fd, ino := openSocket(t, unix.AF_INET, unix.SOCK_STREAM)
		inodes[i], fds[i] = ino, uint64(fd)
	}
	errs := make(chan error, n*10)
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 10 {
				res, err := Scan(map[uint64]struct{}{inodes[i]: {}}, "")
				if err != nil {
					errs <- err
					return
				}
				if len(res.Owners) != 1 || len(res.Owners[inodes[i]]) != 1 || res.Owners[inodes[i]][0].FDs[0] != int(fds[i]) {
					errs <- fmt.Errorf("scan for inode %d: owners %+v", inodes[i], res.Owners)
					return
				}
			}
		}()
	}
	for range n {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestProgramsFor(t *testing.T) {
	names := func(ps []program) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.name)
		}
		return out
	}
	walkFirst := []string{"task_fds_cast", "task_fds", "task_file"}
	quickFirst := []string{"task_file", "task_fds_cast", "task_fds"}
	for _, tt := range []struct {
		files int
		want  []string
	}{
		{0, walkFirst}, {-1, walkFirst}, {1, quickFirst}, {fewFiles - 1, quickFirst}, {fewFiles, walkFirst}, {500000, walkFirst},
	} {
		if got := names(programsFor(tt.files)); !slices.Equal(got, tt.want) {
			t.Errorf("programsFor(%d) = %v, want %v", tt.files, got, tt.want)
		}
	}
	if got := names(programs); !slices.Equal(got, walkFirst) {
		t.Errorf("programsFor changed programs: %v", got)
	}
}

// TestLoadForFewFiles checks that a host with few open files gets the
// program quickest to load, with a cached plan of its own that leaves the
// other order's plan alone.
func TestLoadForFewFiles(t *testing.T) {
	requireBPF(t)
	dir := t.TempDir()
	defer func(saved string) { relocCacheFile = saved }(relocCacheFile)
	relocCacheFile = filepath.Join(dir, "task_file.plan")
	for round, wantCached := range []bool{false, true} {
		it, err := loadIter(100)
		if err != nil {
			t.Fatal(err)
		}
		if it.program != "task_file" || it.relocCached != wantCached {
			t.Errorf("round %d: loaded %s (cached %v), want task_file (cached %v)", round, it.program, it.relocCached, wantCached)
		}
		if err := it.close(); err != nil {
			t.Error(err)
		}
	}
	it, err := loadIter(fewFiles)
	if err != nil {
		t.Fatal(err)
	}
	defer it.close()
	if it.program != programs[0].name || it.relocCached {
		t.Errorf("many files: loaded %s (cached %v), want %s derived afresh", it.program, it.relocCached, programs[0].name)
	}
}
