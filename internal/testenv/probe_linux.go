package testenv

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// InNetNS runs fn on an OS thread that has entered the namespace's network
// namespace, so that sockets fn creates belong to it (a socket keeps its
// namespace for life). It needs CAP_SYS_ADMIN over the namespace: as root,
// not in ModeUserNS. The thread returns to its own namespace afterwards
// and lives on: a thread that ended would kill, through Pdeathsig, any
// helper process it had started (the namespace holders among them).
func (n *NS) InNetNS(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		own, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer own.Close()
		f, err := os.Open(n.NetNSPath())
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open %s: %w", n.NetNSPath(), err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", n.NetNSPath(), err)
			return
		}
		err = fn()
		if unix.Setns(int(own.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and ends with this goroutine
		errc <- err
	}()
	return <-errc
}

// Target is one (address, port, protocol) a Probe tries to reach.
type Target struct {
	Proto string // "tcp" or "udp"
	Addr  netip.AddrPort
	// SourcePort, when not 0, is the probe's own port: tests that
	// change the firewall between probes use fresh ones, so that no
	// probe meets a connection-tracking entry an earlier one left.
	SourcePort uint16
}

func (t Target) String() string { return t.Proto + " " + t.Addr.String() }

// Serve opens, in the namespace, a dual-stack ([::], IPV6_V6ONLY off)
// listener for every TCP port and an echoing socket for every UDP port,
// kept until the test ends. TCP connections complete in the kernel's
// backlog without being accepted: a probe needs only the handshake.
func (n *NS) Serve(t testing.TB, tcp, udp []uint16) {
	t.Helper()
	var fds []int
	err := n.InNetNS(func() error {
		for _, spec := range []struct {
			typ   int
			ports []uint16
		}{{unix.SOCK_STREAM, tcp}, {unix.SOCK_DGRAM, udp}} {
			for _, port := range spec.ports {
				fd, err := unix.Socket(unix.AF_INET6, spec.typ|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("socket: %w", err)
				}
				fds = append(fds, fd)
				if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
					return fmt.Errorf("IPV6_V6ONLY: %w", err)
				}
				if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
					return fmt.Errorf("SO_REUSEADDR: %w", err)
				}
				if err := unix.Bind(fd, &unix.SockaddrInet6{Port: int(port)}); err != nil {
					return fmt.Errorf("bind port %d: %w", port, err)
				}
				if spec.typ == unix.SOCK_STREAM {
					if err := unix.Listen(fd, 4096); err != nil {
						return fmt.Errorf("listen port %d: %w", port, err)
					}
				} else {
					go echo(fd)
				}
			}
		}
		return nil
	})
	t.Cleanup(func() {
		for _, fd := range fds {
			_ = unix.Shutdown(fd, unix.SHUT_RDWR) // wakes the echo loop
			_ = unix.Close(fd)
		}
	})
	if err != nil {
		t.Fatalf("serve in namespace: %v", err)
	}
}

// echo sends every datagram on fd back to its sender until fd is shut down.
func echo(fd int) {
	buf := make([]byte, 2048)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil || n == 0 && from == nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		_ = unix.Sendto(fd, buf[:n], 0, from) // a lost echo is a failed probe, which is what it is
	}
}

// Probe tries every target from the namespace at once and says which were
// reached: a TCP SYN answered by a SYN-ACK, or a UDP datagram echoed back.
// A target that neither answers nor refuses within timeout is unreachable.
//
// For TCP targets with a SourcePort, the answer is read off the wire: a
// SYN-ACK to that port, seen by a packet socket in the namespace, proves
// that the SYN got through even when a rule resets the connection right
// after (rejecting its ACK).
func (n *NS) Probe(targets []Target, timeout time.Duration) ([]bool, error) {
	fds := make([]int, len(targets))
	for i := range fds {
		fds[i] = -1
	}
	wire := -1
	defer func() {
		for _, fd := range fds {
			if fd >= 0 {
				_ = unix.Close(fd)
			}
		}
		if wire >= 0 {
			_ = unix.Close(wire)
		}
	}()
	err := n.InNetNS(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		wire = fd
		// A large buffer: every answer of one round must fit.
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = n.InNetNS(func() error {
		for i, tg := range targets {
			typ := unix.SOCK_STREAM
			if tg.Proto == "udp" {
				typ = unix.SOCK_DGRAM
			}
			fam := unix.AF_INET6
			if tg.Addr.Addr().Is4() {
				fam = unix.AF_INET
			}
			fd, err := unix.Socket(fam, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("socket: %w", err)
			}
			fds[i] = fd
			if tg.SourcePort != 0 {
				var sa unix.Sockaddr = &unix.SockaddrInet6{Port: int(tg.SourcePort)}
				if fam == unix.AF_INET {
					sa = &unix.SockaddrInet4{Port: int(tg.SourcePort)}
				}
				if err := unix.Bind(fd, sa); err != nil {
					return fmt.Errorf("bind source port %d: %w", tg.SourcePort, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	reached := make([]bool, len(targets))
	done := make([]bool, len(targets))
	for i, tg := range targets {
		var sa unix.Sockaddr
		if a := tg.Addr.Addr(); a.Is4() {
			sa = &unix.SockaddrInet4{Port: int(tg.Addr.Port()), Addr: a.As4()}
		} else {
			sa = &unix.SockaddrInet6{Port: int(tg.Addr.Port()), Addr: a.As16()}
		}
		err := unix.Connect(fds[i], sa)
		switch {
		case tg.Proto == "udp" && err == nil:
			if _, err := unix.Write(fds[i], []byte("probe")); err != nil {
				done[i] = true
			}
		case errors.Is(err, unix.EINPROGRESS):
		case err == nil:
			reached[i], done[i] = true, true
		default:
			done[i] = true
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		var pfds []unix.PollFd
		var idx []int
		for i := range targets {
			if done[i] {
				continue
			}
			ev := int16(unix.POLLOUT)
			if targets[i].Proto == "udp" {
				ev = unix.POLLIN
			}
			pfds = append(pfds, unix.PollFd{Fd: int32(fds[i]), Events: ev})
			idx = append(idx, i)
		}
		left := time.Until(deadline)
		if len(pfds) == 0 || left <= 0 {
			synAcks(wire, targets, reached)
			return reached, nil
		}
		if _, err := unix.Poll(pfds, int(left/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
			return nil, fmt.Errorf("poll: %w", err)
		}
		for j, p := range pfds {
			if p.Revents == 0 {
				continue
			}
			i := idx[j]
			done[i] = true
			if targets[i].Proto == "udp" {
				buf := make([]byte, 64)
				nr, err := unix.Read(fds[i], buf)
				reached[i] = err == nil && nr > 0
				continue
			}
			// Writable without an error event: the SYN was answered
			// by a SYN-ACK. SO_ERROR is not asked: it also reports a
			// soft error, such as an ICMP port unreachable that a
			// rule sent for a later packet of the connection, which
			// says nothing about the first one.
			reached[i] = p.Revents&(unix.POLLERR|unix.POLLHUP) == 0
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// synAcks reads the packets the packet socket saw and marks every TCP
// target with a SourcePort that got a SYN-ACK to that port.
func synAcks(fd int, targets []Target, reached []bool) {
	want := map[uint16]int{}
	for i, t := range targets {
		if t.Proto == "tcp" && t.SourcePort != 0 {
			want[t.SourcePort] = i
		}
	}
	buf := make([]byte, 2048)
	for range 1 << 16 {
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			return
		}
		pkt := buf[:n]
		var tcp []byte
		switch {
		case n >= 20 && pkt[0]>>4 == 4 && pkt[9] == 6:
			ihl := int(pkt[0]&0x0f) * 4
			if n >= ihl+14 {
				tcp = pkt[ihl:]
			}
		case n >= 40 && pkt[0]>>4 == 6 && pkt[6] == 6:
			if n >= 40+14 {
				tcp = pkt[40:]
			}
		}
		if tcp == nil || tcp[13]&0x12 != 0x12 { // SYN and ACK
			continue
		}
		if i, ok := want[uint16(tcp[2])<<8|uint16(tcp[3])]; ok {
			reached[i] = true
		}
	}
}
