//go:build linux

package sockdiag

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Sizes of the benchmark namespace, as in the bench/ scenario: listening TCP
// sockets and bound UDP sockets besides the connections.
const (
	benchListeners = 50
	benchUDP       = 20
	// connsPerChild is how many connections one helper process holds:
	// both ends, 2 descriptors each, below the usual limit of 20,000
	// descriptors, and below the ~28k ephemeral ports of one destination.
	connsPerChild = 9_000
)

// childConnsEnv makes the test binary a helper that holds connections
// (see holdConnections).
const childConnsEnv = "OPENPORTS_SOCKDIAG_BENCH_CONNS"

func init() {
	if v := os.Getenv(childConnsEnv); v != "" {
		os.Exit(holdConnections(v))
	}
}

// BenchmarkDumpEstablished shows what the kernel-side state filter buys: the
// cost of the collector's dump (listening TCP, unconnected UDP and UDP-Lite,
// both families) with 0, 10k and 50k established loopback connections in
// the namespace (both ends, so 2 sockets each), beside the same dump of
// every state. The listening dump should stay within noise of its
// 0-connection cost; the every-state dump grows with the connections.
//
// It needs root (a network namespace of its own) and skips otherwise. The
// connections are held by helper processes (the test binary itself) of up
// to 9,000 connections each, so that no process needs more than 20,000
// descriptors. Run it with
//
//	go test ./internal/source/linux/sockdiag -run '^$' -bench DumpEstablished -benchmem
func BenchmarkDumpEstablished(b *testing.B) {
	ns := newBenchNS(b)
	for _, conns := range []int{0, 10_000, 50_000} {
		if err := ns.connectUpTo(b, conns); err != nil {
			b.Fatalf("make %d connections: %v", conns, err)
		}
		// Each helper listens on one port of its own.
		fixed := benchListeners + benchUDP + len(ns.children)
		for _, q := range []struct {
			name  string
			query Query
			want  int
		}{
			{"listening", Query{}, fixed},
			{"all-states", Query{AllStates: true}, fixed + 2*conns},
		} {
			b.Run(fmt.Sprintf("conns=%d/%s", conns, q.name), func(b *testing.B) {
				c, err := Open(ns.fd)
				if err != nil {
					b.Fatalf("Open: %v", err)
				}
				defer c.Close()
				var n int
				for b.Loop() {
					res, err := c.Dump(q.query)
					if err != nil {
						b.Fatalf("Dump: %v", err)
					}
					n = len(res.Sockets)
				}
				if n != q.want {
					b.Fatalf("dump listed %d sockets, want %d", n, q.want)
				}
				b.ReportMetric(float64(n), "sockets/op")
			})
		}
	}
}

// benchNS is a network namespace of the benchmark's own. One goroutine,
// locked to an OS thread that entered the namespace and never leaves it,
// makes the listeners and starts the helpers (which inherit the thread's
// namespace); the sockets, the helpers (by PID) and the namespace's file
// descriptor are closed at cleanup, and the thread ends with its goroutine.
type benchNS struct {
	fd       int           // the namespace, for Open
	ops      chan func()   // run on the namespace thread
	fds      []int         // sockets of this process, closed at cleanup
	children []*benchChild // helpers holding connections
	conns    int           // connections made so far
	done     chan struct{} // closed when the thread has ended
}

// benchChild is a helper process holding connections.
type benchChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// newBenchNS makes the namespace with its listeners and UDP sockets, or
// skips the benchmark when this run may not.
func newBenchNS(b *testing.B) *benchNS {
	b.Helper()
	ns := &benchNS{fd: -1, ops: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	go ns.serve(ready)
	if err := <-ready; err != nil {
		<-ns.done
		if errors.Is(err, unix.EPERM) {
			b.Skipf("cannot make a network namespace: %v (run as root)", err)
		}
		b.Fatalf("make the benchmark namespace: %v", err)
	}
	b.Cleanup(ns.close)
	if err := ns.do(ns.bindFixed); err != nil {
		b.Fatalf("bind listeners: %v", err)
	}
	return ns
}

// serve enters a new network namespace on a locked thread, reports on
// ready, then runs ops until the channel is closed.
func (ns *benchNS) serve(ready chan<- error) {
	defer close(ns.done)
	runtime.LockOSThread() // never unlocked: the thread's namespace changed
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		ready <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
		return
	}
	if err := loopbackUp(); err != nil {
		ready <- err
		return
	}
	fd, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		ready <- fmt.Errorf("open the namespace: %w", err)
		return
	}
	ns.fd = fd
	ready <- nil
	for op := range ns.ops {
		op()
	}
}

// do runs f on the namespace thread and returns its error.
func (ns *benchNS) do(f func() error) error {
	errc := make(chan error, 1)
	ns.ops <- func() { errc <- f() }
	return <-errc
}

// close ends the helpers, closes every socket and the namespace, and ends
// the thread.
func (ns *benchNS) close() {
	for _, c := range ns.children {
		c.stop()
	}
	ns.children = nil
	close(ns.ops)
	<-ns.done
	for _, fd := range ns.fds {
		unix.Close(fd)
	}
	ns.fds = nil
	if ns.fd >= 0 {
		unix.Close(ns.fd)
	}
}

// stop closes the helper's stdin, which makes it exit, and waits for it;
// a helper that does not exit is killed by its PID.
func (c *benchChild) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-timeAfter():
		unix.Kill(c.cmd.Process.Pid, unix.SIGKILL)
		<-done
	}
}

// loopbackUp sets lo up in the calling thread's namespace.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket for ioctl: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

// bindLoopback makes a socket bound to 127.0.0.1 or ::1 on an ephemeral
// port and returns the descriptor and the port.
func bindLoopback(family, typ int) (int, uint16, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if family == unix.AF_INET6 {
		sa = &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind: %w", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("getsockname: %w", err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		return fd, uint16(a.Port), nil
	case *unix.SockaddrInet6:
		return fd, uint16(a.Port), nil
	}
	unix.Close(fd)
	return -1, 0, fmt.Errorf("getsockname: address %T", got)
}

// bindFixed makes the listeners (IPv4 and IPv6) and the UDP sockets. It
// runs on the namespace thread.
func (ns *benchNS) bindFixed() error {
	for i := range benchListeners {
		fam := unix.AF_INET
		if i%5 == 0 {
			fam = unix.AF_INET6
		}
		fd, _, err := bindLoopback(fam, unix.SOCK_STREAM)
		if err != nil {
			return err
		}
		ns.fds = append(ns.fds, fd)
		if err := unix.Listen(fd, 16); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	for range benchUDP {
		fd, _, err := bindLoopback(unix.AF_INET, unix.SOCK_DGRAM)
		if err != nil {
			return err
		}
		ns.fds = append(ns.fds, fd)
	}
	return nil
}

// connectUpTo starts helpers until n connections are held.
func (ns *benchNS) connectUpTo(b *testing.B, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the test binary: %w", err)
	}
	for ns.conns < n {
		k := min(connsPerChild, n-ns.conns)
		err := ns.do(func() error {
			// Started from the namespace thread, the helper is
			// born in the namespace.
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), childConnsEnv+"="+strconv.Itoa(k))
			stdin, err := cmd.StdinPipe()
			if err != nil {
				return err
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				return err
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				return fmt.Errorf("start helper: %w", err)
			}
			c := &benchChild{cmd: cmd, stdin: stdin}
			ns.children = append(ns.children, c)
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || line != "ready\n" {
				return fmt.Errorf("helper %d: %q, %v", cmd.Process.Pid, line, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ns.conns += k
	}
	return nil
}

// holdConnections is the helper's main: it makes arg established loopback
// connections to a listener of its own, keeps both ends, says "ready" and
// waits for its stdin to close. It returns the exit code.
func holdConnections(arg string) int {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > connsPerChild {
		fmt.Fprintf(os.Stderr, "helper: bad connection count %q\n", arg)
		return 2
	}
	ln, port, err := bindLoopback(unix.AF_INET, unix.SOCK_STREAM)
	if err == nil {
		err = unix.Listen(ln, 128)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper: listen: %v\n", err)
		return 1
	}
	to := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(port)}
	for i := range n {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Connect(c, to)
		}
		if err == nil {
			_, _, err = unix.Accept4(ln, unix.SOCK_CLOEXEC)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "helper: connection %d: %v\n", i, err)
			return 1
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes it
	return 0
}

// timeAfter bounds the wait for a helper to exit.
func timeAfter() <-chan time.Time { return time.After(10 * time.Second) }
