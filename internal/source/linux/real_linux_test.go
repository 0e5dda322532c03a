package linux

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/testenv"
)

// collectRoleEnv makes the re-executed test binary run the collector and
// print its snapshot as JSON, after what collectSpec asks for.
const collectRoleEnv = "OPENPORTS_LINUX_COLLECT"

// collectSpec is what the collect role does before it collects.
type collectSpec struct {
	// FailSyscall and Errno: a seccomp filter makes every call of this
	// syscall ("sendmsg", "recvmsg") fail with Errno, in every thread.
	FailSyscall string `json:"fail_syscall,omitempty"`
	Errno       int    `json:"errno,omitempty"`
	// Listen is a TCP address the role listens on itself first.
	Listen string `json:"listen,omitempty"`
	// NoOwners skips the owner scan (a test about sockets need not pay
	// for a pass over every descriptor of the host).
	NoOwners bool `json:"no_owners,omitempty"`
	// InFlight is a TCP address the role listens on as uid InFlightUID
	// and then holds only in flight: it sends the listener over a Unix
	// socket pair of its own (SCM_RIGHTS) and closes its descriptor.
	InFlight    string `json:"in_flight,omitempty"`
	InFlightUID int    `json:"in_flight_uid,omitempty"`
	// IgnoreUnreadable runs the real owner scan and leaves out the
	// processes it could not read, as on a host where root reads every
	// descriptor table (this machine's PID 1 refuses even root).
	IgnoreUnreadable bool `json:"ignore_unreadable,omitempty"`
}

func TestMain(m *testing.M) {
	if path := os.Getenv(mainThreadEnv); path != "" {
		if err := mainThreadRole(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if spec := os.Getenv(collectRoleEnv); spec != "" {
		if err := collectRole(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testenv.Main(m)
}

func collectRole(js string) error {
	var spec collectSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	if spec.Listen != "" {
		ap := netip.MustParseAddrPort(spec.Listen)
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
			return fmt.Errorf("bind: %w", err)
		}
		if err := unix.Listen(fd, 1); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		defer unix.Close(fd)
	}
	if spec.InFlight != "" {
		pair, err := listenInFlight(netip.MustParseAddrPort(spec.InFlight), spec.InFlightUID)
		if err != nil {
			return err
		}
		defer unix.Close(pair[0])
		defer unix.Close(pair[1])
	}
	if spec.FailSyscall != "" {
		if err := failSyscall(spec.FailSyscall, spec.Errno); err != nil {
			return err
		}
	}
	c := New(source.Options{Owners: source.OwnersProc})
	if spec.NoOwners {
		c.findOwners = fakeOwners(nil, nil)
	}
	if spec.IgnoreUnreadable {
		c.findOwners = func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
			f, err := c.ownerFinder(choice, openFiles, users)
			if err != nil {
				return f, err
			}
			scan := f.scan
			f.scan = func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
				res, err := scan(wanted)
				if res != nil {
					res.Unreadable, res.Gaps = nil, nil
				}
				return res, err
			}
			return f, nil
		}
	}
	snap, err := c.Snapshot(context.Background())
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(snap)
}

// listenInFlight makes a TCP listener on addr as uid (the socket's owner is
// the creating thread's fsuid), sends it over a Unix socket pair to itself
// and closes its descriptor: no descriptor table holds the listener, which
// still completes handshakes. It returns the pair that keeps it alive.
func listenInFlight(addr netip.AddrPort, uid int) ([2]int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Setfsuid(uid) // this thread only
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Setfsuid(0)
	if err != nil {
		return [2]int{}, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: addr.Addr().As4(), Port: int(addr.Port())}); err != nil {
		return [2]int{}, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		return [2]int{}, fmt.Errorf("listen: %w", err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return [2]int{}, fmt.Errorf("socketpair: %w", err)
	}
	if err := unix.Sendmsg(pair[0], []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
		unix.Close(pair[0])
		unix.Close(pair[1])
		return [2]int{}, fmt.Errorf("send the listener: %w", err)
	}
	return pair, nil
}

// failSyscall installs a seccomp filter, on every thread of the process,
// that makes the named syscall fail with errno.
func failSyscall(name string, errno int) error {
	nr := map[string]uint32{"sendmsg": unix.SYS_SENDMSG, "recvmsg": unix.SYS_RECVMSG}[name]
	if nr == 0 {
		return fmt.Errorf("unknown syscall %q", name)
	}
	arch := map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}[runtime.GOARCH]
	const (
		ldAbs   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq     = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret     = unix.BPF_RET | unix.BPF_K
		retErr  = 0x00050000 // SECCOMP_RET_ERRNO
		retOK   = 0x7fff0000 // SECCOMP_RET_ALLOW
		archOff = 4          // offsetof(struct seccomp_data, arch)
	)
	prog := []unix.SockFilter{
		{Code: ldAbs, K: archOff},
		{Code: jeq, K: arch, Jt: 1, Jf: 0},
		{Code: ret, K: retOK},
		{Code: ldAbs, K: 0}, // nr
		{Code: jeq, K: nr, Jt: 0, Jf: 1},
		{Code: ret, K: retErr | uint32(errno)},
		{Code: ret, K: retOK},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	const setModeFilter, flagTSync = 1, 1
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, setModeFilter, flagTSync, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	return nil
}

// collectIn runs the collect role with spec through cmd (a command that
// runs the test binary) and returns its snapshot.
func collectIn(t *testing.T, cmd *exec.Cmd, spec collectSpec) *snapshot.Snapshot {
	t.Helper()
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), collectRoleEnv+"="+string(js))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("collect role: %v\n%s", err, stderr.String())
	}
	var snap snapshot.Snapshot
	if err := json.Unmarshal(stdout.Bytes(), &snap); err != nil {
		t.Fatalf("decode snapshot: %v\n%s", err, stdout.String())
	}
	return &snap
}

func findPort(snap *snapshot.Snapshot, proto snapshot.Proto, port uint16) *snapshot.Socket {
	for i := range snap.Sockets {
		if snap.Sockets[i].Proto == proto && snap.Sockets[i].Local.Port() == port {
			return &snap.Sockets[i]
		}
	}
	return nil
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root: %s", why)
	}
}

// TestDumpFailsInKernel: sock_diag dumps made to fail by seccomp (the
// netlink socket opens, sending or receiving the dump fails) end in the
// /proc/net fall-back with a gap, and the listener is still listed.
// Before, the failure was swallowed: no sockets, no gap, exit 0.
func TestDumpFailsInKernel(t *testing.T) {
	env := testenv.New(t)
	l := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("0.0.0.0:7301")})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		call   string
		errno  syscall.Errno
		reason string
	}{
		{"sendmsg", unix.EPERM, ReasonNetlinkRefused},
		{"sendmsg", unix.EIO, ReasonDumpFailed},
		{"recvmsg", unix.ENOBUFS, ReasonDumpFailed},
	} {
		t.Run(tt.call+" "+tt.errno.Error(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			snap := collectIn(t, env.NS.Command(ctx, exe), collectSpec{FailSyscall: tt.call, Errno: int(tt.errno), NoOwners: true})
			if !hasGap(snap, "sockets", tt.reason) {
				t.Errorf("gaps %v, want sockets/%s", gapReasons(snap), tt.reason)
			}
			s := findPort(snap, snapshot.TCP, 7301)
			if s == nil || s.Inode != l.Inode {
				t.Fatalf("listener on 7301 (inode %d) not listed: %+v", l.Inode, snap.Sockets)
			}
			if snap.Source != "linux/procfs" {
				t.Errorf("source %q, want linux/procfs", snap.Source)
			}
		})
	}
}

// TestInFlightListenerInKernel: a user's listener held only in flight (sent
// over a Unix socket with SCM_RIGHTS, its descriptor closed: a new user can
// do it, and take it back at will) is in no descriptor table, yet
// connections complete on it. On a host where every descriptor table is
// read, its owner is unknown (code unheld, with a gap: exit 3), not "held
// by no process" (none: a kernel socket), which made an all-clear of it.
// Fails on the code before: owner state none, no gap.
func TestInFlightListenerInKernel(t *testing.T) {
	needRoot(t, "a socket of another uid, and a complete owner scan")
	env := testenv.New(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := collectIn(t, env.NS.Command(ctx, exe), collectSpec{InFlight: "0.0.0.0:7303", InFlightUID: 1000, IgnoreUnreadable: true})
	s := findPort(snap, snapshot.TCP, 7303)
	if s == nil {
		t.Fatalf("listener on 7303 not listed: %+v", snap.Sockets)
	}
	if s.UID == nil || *s.UID != 1000 {
		t.Fatalf("listener's uid %v, want 1000", s.UID)
	}
	if len(s.Owners) != 0 {
		t.Fatalf("the listener in flight has holders %+v: the test did not hide it", s.Owners)
	}
	if s.OwnerState != snapshot.OwnersUnknown || s.OwnerReasonCode != ReasonUnheld {
		t.Errorf("owner state %q (code %q: %s), want unknown (code %s)", s.OwnerState, s.OwnerReasonCode, s.OwnerReason, ReasonUnheld)
	}
	if !hasGap(snap, "owners", ReasonUnheld) {
		t.Errorf("gaps %v, want owners/%s", gapReasons(snap), ReasonUnheld)
	}
}

// TestRouteLocalnetInKernel: with route_localnet on the test namespace's
// veth (as kube-proxy turns it on), a peer that routes 127.0.0.1 to it
// completes a handshake with a listener on 127.0.0.1: the collector marks
// that interface RouteLocalnet (analysis then shows the listener as
// reachable through it), and leaves lo and a namespace without the
// setting unmarked. Before, nothing was read and the listener was hidden
// as loopback-only: "nothing reachable", exit 0.
func TestRouteLocalnetInKernel(t *testing.T) {
	env := testenv.New(t)
	local := netip.MustParseAddrPort("127.0.0.1:7304")
	env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: local})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	collect := func() *snapshot.Snapshot {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return collectIn(t, env.NS.Command(ctx, exe), collectSpec{NoOwners: true})
	}
	marked := func(snap *snapshot.Snapshot) map[string]bool {
		m := map[string]bool{}
		for _, ifc := range snap.Interfaces {
			m[ifc.Name] = ifc.RouteLocalnet
		}
		return m
	}
	if m := marked(collect()); m[testenv.VethMain] || m["lo"] {
		t.Errorf("route_localnet off: interfaces marked %v", m)
	}

	env.NS.Run(t, "sysctl", "-qw", "net.ipv4.conf."+testenv.VethMain+".route_localnet=1")
	// The peer sends to 127.0.0.1 through the veth: its local table
	// (its own loopback) is looked up after a rule that routes that
	// address out.
	env.Peer.Run(t, "sysctl", "-qw", "net.ipv4.conf."+testenv.VethPeer+".route_localnet=1")
	env.Peer.Run(t, "ip", "route", "add", "127.0.0.1/32", "via", testenv.MainAddr4.String(), "dev", testenv.VethPeer, "table", "50")
	env.Peer.Run(t, "ip", "rule", "add", "pref", "10", "to", "127.0.0.1", "lookup", "50")
	env.Peer.Run(t, "ip", "rule", "add", "pref", "100", "lookup", "local")
	env.Peer.Run(t, "ip", "rule", "del", "pref", "0", "lookup", "local")
	reached, err := env.Peer.Probe([]testenv.Target{{Proto: "tcp", Addr: local}}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !reached[0] {
		t.Fatal("the peer did not reach 127.0.0.1:7304 through route_localnet: the test proves nothing")
	}
	snap := collect()
	if s := findPort(snap, snapshot.TCP, local.Port()); s == nil || s.Local != local {
		t.Fatalf("listener on %s not listed: %+v", local, snap.Sockets)
	}
	if m := marked(snap); !m[testenv.VethMain] || m["lo"] {
		t.Errorf("route_localnet on %s: interfaces marked %v, want %s alone", testenv.VethMain, m, testenv.VethMain)
	}
	if len(snap.Gaps) > 0 {
		t.Errorf("gaps %v", gapReasons(snap))
	}
}

// TestUnlistedNamespaceInKernel: a network namespace no process lives in
// and no `ip netns` name pins, kept alive by a listener in it and wired by
// a veth to the test namespace, from which its listener is reached. --netns
// all cannot list it, and says so: a namespaces/netns-unlisted gap names
// its NSID in the test namespace (exit 3). Before, the listener was
// simply missing, and nothing said the view was incomplete.
func TestUnlistedNamespaceInKernel(t *testing.T) {
	needRoot(t, "a network namespace wired to another by a veth")
	env := testenv.New(t)
	testNS, err := env.NS.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}
	hidden := netip.MustParseAddrPort("198.51.100.9:7305")
	collect := func() *snapshot.Snapshot {
		c := New(source.Options{AllNamespaces: true})
		c.findOwners = fakeOwners(nil, nil) // owners are not the subject
		snap, err := c.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	unlisted := func(snap *snapshot.Snapshot) string {
		for _, g := range snap.Gaps {
			// The test namespace is unnamed: labelled by its inode.
			if g.Area == "namespaces" && g.Reason == ReasonNetNSUnlisted && strings.Contains(g.Args["nsids"], fmt.Sprintf(" in %d", testNS)) {
				return g.Detail
			}
		}
		return ""
	}
	if d := unlisted(collect()); d != "" {
		t.Fatalf("before the hidden namespace: %s", d)
	}

	// A thread makes the namespace, which ip(8) then wires through the
	// thread's /proc entry; the thread listens in it and goes back to its
	// own namespace: no task stays in the new one, and the listener (kept
	// open here) keeps it alive. (A thread left to end would kill, through
	// Pdeathsig, the namespace holders it may have started.)
	type made struct {
		fd  int
		err error
	}
	tids, wired, ch := make(chan int, 1), make(chan struct{}), make(chan made, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			close(tids)
			ch <- made{-1, err}
			return
		}
		defer unix.Close(own)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			close(tids)
			ch <- made{-1, fmt.Errorf("unshare: %w", err)}
			return
		}
		tids <- unix.Gettid()
		<-wired
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			if err = unix.Bind(fd, &unix.SockaddrInet4{Addr: hidden.Addr().As4(), Port: int(hidden.Port())}); err == nil {
				err = unix.Listen(fd, 4)
			}
		}
		if serr := unix.Setns(own, unix.CLONE_NEWNET); serr != nil {
			ch <- made{fd, fmt.Errorf("back to own namespace: %w", serr)} // the thread stays locked, and ends
			return
		}
		runtime.UnlockOSThread()
		ch <- made{fd, err}
	}()
	tid, ok := <-tids
	if !ok {
		t.Fatal((<-ch).err)
	}
	hiddenNS := fmt.Sprintf("--net=/proc/%d/task/%d/ns/net", os.Getpid(), tid)
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "veth-hid0", "type", "veth", "peer", "name", "veth-hid1", "netns", strconv.Itoa(env.NS.HolderPID())},
		{"addr", "add", hidden.Addr().String() + "/24", "dev", "veth-hid0"},
		{"link", "set", "veth-hid0", "up"},
	} {
		if out, err := exec.Command("nsenter", append([]string{hiddenNS, "--", "ip"}, args...)...).CombinedOutput(); err != nil {
			close(wired)
			t.Fatalf("ip %s in the hidden namespace: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	close(wired)
	m := <-ch
	if m.err != nil {
		t.Fatal(m.err)
	}
	defer unix.Close(m.fd)
	env.NS.Run(t, "ip", "addr", "add", "198.51.100.10/24", "dev", "veth-hid1")
	env.NS.Run(t, "ip", "link", "set", "veth-hid1", "up")
	reached, err := env.NS.Probe([]testenv.Target{{Proto: "tcp", Addr: hidden}}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !reached[0] {
		t.Fatal("the hidden namespace's listener was not reached: the test proves nothing")
	}
	snap := collect()
	for _, s := range snap.Sockets {
		if s.Local == hidden {
			t.Fatalf("the hidden namespace's listener was listed (netns %d): nothing is hidden", s.NetNS)
		}
	}
	if unlisted(snap) == "" {
		var listed []uint64
		for _, ns := range snap.Namespaces {
			listed = append(listed, ns.ID)
		}
		var details []string
		for _, g := range snap.Gaps {
			details = append(details, g.Detail)
		}
		t.Errorf("no namespaces/%s gap naming an NSID in the test namespace %d; namespaces %v; gaps %q", ReasonNetNSUnlisted, testNS, listed, details)
	}
}

// TestTransparentLoopbackInKernel: a TPROXY rule hands the peer's
// connection to port 80 to a listener on 127.0.0.1 with IP_TRANSPARENT
// (as Envoy or Squid in transparent mode are set up); the collector lists
// that listener with Transparent set, which analysis shows as reachable.
// Before, it looked loopback-only and was hidden: "nothing reachable".
func TestTransparentLoopbackInKernel(t *testing.T) {
	needRoot(t, "IP_TRANSPARENT, and entering the test namespace")
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed: run make test-deps")
	}
	env := testenv.New(t)
	local := netip.MustParseAddrPort("127.0.0.1:7306")
	env.TProxyListener(t, local)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := collectIn(t, env.NS.Command(ctx, exe), collectSpec{NoOwners: true})
	s := findPort(snap, snapshot.TCP, local.Port())
	if s == nil || s.Local != local {
		t.Fatalf("listener on %s not listed: %+v", local, snap.Sockets)
	}
	if !s.Transparent {
		t.Errorf("listener on %s that took the peer's connection: Transparent not set", local)
	}
}

// TestPIDNamespaceInKernel: run inside a new PID namespace (with its own
// /proc) that shares the network namespace of a listener held by a
// process outside it: the listener's owner is unknown, with the PID
// namespace as the reason, not "held by no process".
func TestPIDNamespaceInKernel(t *testing.T) {
	env := testenv.New(t)
	l := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("0.0.0.0:7302")})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := collectIn(t, env.NS.Command(ctx, "unshare", "--pid", "--fork", "--mount-proc", exe), collectSpec{})
	s := findPort(snap, snapshot.TCP, 7302)
	if s == nil || s.Inode != l.Inode {
		t.Fatalf("listener on 7302 not listed: %+v", snap.Sockets)
	}
	if s.OwnerState != snapshot.OwnersUnknown || !strings.Contains(s.OwnerReason, "owners outside this PID namespace are invisible") {
		t.Errorf("listener held by PID %d outside: owner state %q (%s), want unknown with the PID namespace reason", l.PID, s.OwnerState, s.OwnerReason)
	}
	if !hasGap(snap, "owners", "pid-namespace") || !snap.Privilege.PIDNamespace {
		t.Errorf("gaps %v, privilege %+v: want the PID namespace", gapReasons(snap), snap.Privilege)
	}
}

// TestUserNamespaceInKernel: a collector in a user namespace where uid 0
// stands for host uid 100000 reports the socket its own process holds
// under uid 100000, not as root.
func TestUserNamespaceInKernel(t *testing.T) {
	needRoot(t, "a user namespace mapping uids other than the caller's")
	exe := testenv.WorldExecutable(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 1000}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 1000}},
		// Become namespace uid 0 (host uid 100000): without it the
		// child stays host root, which the namespace cannot name.
		Credential: &syscall.Credential{Uid: 0, Gid: 0},
	}
	snap := collectIn(t, cmd, collectSpec{Listen: "0.0.0.0:7303"})
	s := findPort(snap, snapshot.TCP, 7303)
	if s == nil {
		t.Fatalf("listener on 7303 not listed: %+v", snap.Sockets)
	}
	if s.UID == nil || *s.UID != 100000 {
		t.Errorf("uid %v, want 100000 (namespace uid 0 mapped out)", ptrVal(s.UID))
	}
	if s.User == "root" {
		t.Error("user named root: the namespace uid was looked up in the host's passwd")
	}
	found := false
	for _, o := range s.Owners {
		if o.UID != nil && *o.UID == 100000 && o.User != "root" {
			found = true
		}
	}
	if !found {
		t.Errorf("owners %+v: want the role process under uid 100000", s.Owners)
	}
	if !snap.Privilege.UserNamespace {
		t.Error("privilege does not record the user namespace")
	}
}

// TestAllNamespacesUnderChurn: --netns all while network namespaces are
// made and dropped (processes that unshare one and exit at once): a
// namespace that vanished during the run is not a gap, so no run reports
// a namespace or socket gap.
func TestAllNamespacesUnderChurn(t *testing.T) {
	needRoot(t, "entering other processes' network namespaces")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed: run make test-deps")
	}
	const (
		runs    = 25
		workers = 3
	)
	// What is missing before the churn (here: PID 1, whose namespace even
	// root may not read) is not the churn's doing.
	before := map[string]bool{}
	// Owners are not the subject: no pass over the host's descriptors.
	collector := func() *Collector {
		c := New(source.Options{AllNamespaces: true})
		c.findOwners = fakeOwners(nil, nil)
		return c
	}
	base, err := collector().Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range base.Gaps {
		before[g.Detail] = true
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var started atomic.Int64
	go func() {
		defer close(done)
		// Each worker keeps one short-lived namespace coming and going,
		// each holder living a few milliseconds; bounded by stop and by
		// a count.
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var cmds []*exec.Cmd
			for range workers {
				cmd := exec.Command("unshare", "--net", "--", "sleep", "0.01")
				if cmd.Start() == nil {
					cmds = append(cmds, cmd)
					started.Add(1)
				}
			}
			for _, cmd := range cmds {
				_ = cmd.Wait()
			}
		}
	}()
	defer func() { close(stop); <-done }()
	time.Sleep(50 * time.Millisecond)
	for i := range runs {
		snap, err := collector().Snapshot(context.Background())
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		for _, g := range snap.Gaps {
			if (g.Area == "namespaces" || g.Area == "sockets" || g.Area == "interfaces") && !before[g.Detail] {
				t.Errorf("run %d: gap %s/%s: %s", i, g.Area, g.Reason, g.Detail)
			}
		}
	}
	t.Logf("%d runs while %d namespace holders were started", runs, started.Load())
}

// TestNamedNotNamespace: a file in the `ip netns` directory that is not a
// namespace (one being added or deleted) is neither listed nor opened.
func TestNamedNotNamespace(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/half", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l := &liveNetNS{proc: "/proc", run: dir}
	if names := l.Named(); len(names) != 0 {
		t.Errorf("Named = %v, want nothing", names)
	}
	if fd, err := l.Open(NetNSRef{Name: "half"}); err == nil || !Vanished(err) {
		if err == nil {
			unix.Close(fd)
		}
		t.Errorf("Open of a plain file: %v, want a vanished namespace", err)
	}
	self, err := l.Self()
	if err != nil {
		t.Fatal(err)
	}
	byNS, _, err := l.ByProcess()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, pid := range byNS[self] {
		if pid == os.Getpid() {
			found = true
		}
	}
	if !found {
		t.Errorf("ByProcess does not place this process (%d) in its namespace %d", os.Getpid(), self)
	}
	fd, err := l.Open(NetNSRef{PID: os.Getpid()})
	if err != nil {
		t.Fatalf("open own namespace by PID: %v", err)
	}
	l.Close(fd)
}

// TestProcNetChecksTheNamespace: the /proc/PID/net fall-back reads a
// namespace through a process found in it. A process that has left it
// (exited; its PID reused by a process of another namespace) must not
// make another namespace's sockets pass for this one's.
func TestProcNetChecksTheNamespace(t *testing.T) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		t.Skipf("cannot stat /proc/self/ns/net: %v", err)
	}
	p := liveProc{root: "/proc"}
	protos := []snapshot.Proto{snapshot.TCP}
	if _, err := p.NetSockets(os.Getpid(), st.Ino, protos, false); err != nil {
		t.Fatalf("own process in its own namespace: %v", err)
	}
	// The same PID taken for another namespace: what a reused PID is.
	_, err := p.NetSockets(os.Getpid(), st.Ino+1, protos, false)
	if err == nil || !strings.Contains(err.Error(), "left network namespace") {
		t.Errorf("PID in another namespace: err %v, want it refused", err)
	}
	// A process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.NetSockets(cmd.Process.Pid, st.Ino, protos, false); err == nil {
		t.Errorf("exited process %d: read its namespace's tables", cmd.Process.Pid)
	}
}
