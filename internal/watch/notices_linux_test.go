package watch

import (
	"errors"
	"testing"

	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// TestNoticeReader opens a destroy-notice socket in the test's own
// namespace, binds and closes UDP sockets on 127.0.0.1 (no traffic), and checks that one drain returns a notice
// for each of them, tagged with the namespace, without blocking (the
// socket is non-blocking), and that a read failure is reported.
func TestNoticeReader(t *testing.T) {
	ns, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ns)
	nfd, err := openNoticeSocket(ns)
	if err != nil {
		t.Skipf("no destroy notices here: %v", err)
	}
	defer unix.Close(nfd)

	const n = 50
	ports := map[uint16]bool{}
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			t.Fatal(err)
		}
		ports[uint16(sa.(*unix.SockaddrInet4).Port)] = true
		unix.Close(fd)
	}
	// The kernel sends the notices from a work queue after an RCU grace
	// period: wait for them (bounded), draining whatever has come. Other
	// sockets of the host close too; only the tag of every notice and
	// the ports of ours are checked.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	var r noticeReader
	pfd := []unix.PollFd{{Fd: int32(nfd), Events: unix.POLLIN}}
	lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	for deadline := time.Now().Add(3 * time.Second); len(ports) > 0 && time.Now().Before(deadline); {
		if _, err := unix.Poll(pfd, 100); err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatal(err)
		}
		r.batch = r.batch[:0]
		r.drain(nfd, 42, fail)
		for _, s := range r.batch {
			if s.NetNS != 42 {
				t.Errorf("notice %v: netns %d, want 42", s.Local, s.NetNS)
			}
			if s.Local.Addr() == lo {
				delete(ports, s.Local.Port())
			}
		}
	}
	if len(ports) > 0 {
		t.Errorf("no notice for %d of the %d closed sockets: ports %v", len(ports), n, ports)
	}
	if len(errs) != 0 {
		t.Errorf("drain errors: %v", errs)
	}

	// A read failure other than "nothing more" is reported, not dropped.
	bad := -1
	r.drain(bad, 42, fail)
	if len(errs) != 1 || !errors.Is(errs[0], unix.EBADF) {
		t.Errorf("drain of a bad descriptor: errors %v, want one EBADF", errs)
	}
}
