//go:build linux

// Package nstest gives tests of the Linux socket sources a fresh network
// namespace of their own, so that they can bind known sockets and assert the
// exact set a source lists, without seeing or touching the host's sockets.
package nstest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// childEnv marks a test binary re-executed by Enter inside
// `unshare --user --map-root-user --net`.
const childEnv = "OPENPORTS_NSTEST_CHILD"

// Enter locks the calling goroutine to its OS thread and moves that thread
// into a new network namespace whose loopback interface is up and also
// holds the documentation addresses LoAddrs. The thread
// is never unlocked, so the Go runtime ends it with the goroutine and no
// other goroutine ever runs in the namespace. Only goroutine-local work
// (socket, bind, listen, connect) may be done between Enter and the end of
// the test; sockets created there stay in the namespace.
//
// It returns the namespace as an open file (closed at cleanup) and true.
// When the process may not create namespaces, Enter re-runs the top-level
// test in a child under `unshare --user --map-root-user --net`, reports
// the child's result, and returns false: the caller must then return at
// once. It skips the test, saying why, when neither works.
func Enter(t *testing.T) (*os.File, bool) {
	t.Helper()
	runtime.LockOSThread() // never unlocked: the thread's namespace is changed
	err := unix.Unshare(unix.CLONE_NEWNET)
	if errors.Is(err, unix.EPERM) && os.Getenv(childEnv) == "" {
		reexec(t)
		return nil, false
	}
	if err != nil {
		t.Skipf("cannot create a network namespace for this test: unshare(CLONE_NEWNET): %v", err)
	}
	if err := loUp(); err != nil {
		t.Fatalf("bring lo up in the test namespace: %v", err)
	}
	if err := addAddrs(); err != nil {
		t.Fatalf("add documentation addresses to lo in the test namespace: %v", err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		t.Fatalf("open the test namespace: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, true
}

func reexec(t *testing.T) {
	t.Helper()
	name := t.Name()
	if strings.Contains(name, "/") {
		t.Skipf("cannot create a network namespace (EPERM), and subtest %s cannot be re-run alone under unshare", name)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skipf("cannot create a network namespace (EPERM) and no unshare(1) to try a user namespace: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot create a network namespace (EPERM) and cannot find the test binary to re-run: %v", err)
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--net", "--", exe, "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		t.Logf("ran in a user and network namespace:\n%s", out)
	case strings.Contains(string(out), "unshare failed"):
		t.Skipf("cannot create a network namespace (EPERM), and unprivileged user namespaces are refused too:\n%s", out)
	default:
		t.Fatalf("test in a user and network namespace failed: %v\n%s", err, out)
	}
}

// LoAddrs are the addresses Enter adds to lo, besides 127.0.0.1/8 and ::1.
var LoAddrs = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::1/128")}

// addAddrs adds LoAddrs to lo (index 1 in a new namespace) in the calling
// thread's namespace.
func addAddrs() error {
	c, err := rtnetlink.Dial(nil) // NetNS 0: the calling thread's namespace
	if err != nil {
		return fmt.Errorf("dial rtnetlink: %w", err)
	}
	defer c.Close()
	for _, p := range LoAddrs {
		ip := net.IP(p.Addr().AsSlice())
		// IFA_FLAGS (always sent by rtnetlink) overrides ifa_flags: both
		// say NODAD, or the address stays tentative for a moment and a
		// bind to it fails.
		m := &rtnetlink.AddressMessage{Family: unix.AF_INET6, PrefixLength: uint8(p.Bits()), Index: 1,
			Flags: unix.IFA_F_NODAD, Attributes: &rtnetlink.AddressAttributes{Address: ip, Flags: unix.IFA_F_NODAD}}
		if p.Addr().Is4() {
			m.Family, m.Attributes.Local = unix.AF_INET, ip
		}
		if err := c.Address.New(m); err != nil {
			return fmt.Errorf("add %v: %w", p, err)
		}
	}
	return nil
}

// loUp sets IFF_UP on lo in the calling thread's namespace.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("ifreq lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", err)
	}
	return nil
}

// SocketID returns the inode number and the kernel cookie of the socket
// behind c (a *net.TCPListener, *net.UDPConn, ...).
func SocketID(c syscall.Conn) (inode, cookie uint64, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, fmt.Errorf("syscall conn: %w", err)
	}
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if serr = unix.Fstat(int(fd), &st); serr != nil {
			serr = fmt.Errorf("fstat: %w", serr)
			return
		}
		inode = st.Ino
		if cookie, serr = unix.GetsockoptUint64(int(fd), unix.SOL_SOCKET, unix.SO_COOKIE); serr != nil {
			serr = fmt.Errorf("SO_COOKIE: %w", serr)
		}
	})
	if cerr != nil {
		return 0, 0, fmt.Errorf("control: %w", cerr)
	}
	return inode, cookie, serr
}
