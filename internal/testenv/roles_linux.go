package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// runRole plays one helper role and returns the exit code.
func runRole(role, spec string) int {
	var err error
	switch role {
	case "holder":
		err = roleHolder(spec)
	case "listen":
		err = roleListen(spec)
	case "hold":
		err = roleHold()
	case "churn":
		err = roleChurn(spec)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv %s: %v\n", role, err)
		return 1
	}
	return 0
}

// waitStdinEOF blocks until stdin is closed: the test ended or the parent
// died.
func waitStdinEOF() {
	_, _ = io.Copy(io.Discard, os.Stdin) // any read error also means the parent is gone
}

// roleHolder keeps its namespaces alive until stdin closes.
func roleHolder(js string) error {
	var spec holderSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		return fmt.Errorf("decode holder spec: %w", err)
	}
	if spec.PrivateSSHDir {
		if err := privateSSHDir(); err != nil {
			fmt.Println(err.Error())
			return err
		}
	}
	fmt.Println("ready")
	waitStdinEOF()
	return nil
}

// privateSSHDir gives sshd the privilege-separation directory it insists
// on, root-owned and not writable by others, without touching the host: a
// tmpfs over /run/sshd, or over /run when /run/sshd does not exist, in this
// process's private mount namespace.
func privateSSHDir() error {
	target := "/run/sshd"
	if _, err := os.Stat(target); err != nil {
		target = "/run"
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", target, err)
	}
	if target == "/run" {
		if err := os.Mkdir("/run/sshd", 0o755); err != nil {
			return fmt.Errorf("mkdir /run/sshd: %w", err)
		}
	}
	return nil
}

// openSocket opens, binds (and for TCP listens on) the socket spec asks for.
func openSocket(proto string, addr netip.AddrPort, v6only *bool) (int, error) {
	typ := unix.SOCK_STREAM
	switch proto {
	case "tcp":
	case "udp":
		typ = unix.SOCK_DGRAM
	default:
		return -1, fmt.Errorf("unknown protocol %q", proto)
	}
	var (
		fam int
		sa  unix.Sockaddr
	)
	switch ip := addr.Addr(); {
	case ip.Is4():
		fam, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: ip.As4()}
	case ip.Is6() && ip.Zone() == "":
		fam, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(addr.Port()), Addr: ip.As16()}
	default:
		return -1, fmt.Errorf("unsupported address %v", addr)
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		_ = unix.Close(fd) // the socket is unusable either way
		return -1, fmt.Errorf("%s %s %v: %w", what, proto, addr, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("SO_REUSEADDR", err)
	}
	if fam == unix.AF_INET6 && v6only != nil {
		v := 0
		if *v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			return fail("IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, 16); err != nil {
			return fail("listen", err)
		}
	}
	return fd, nil
}

// socketInode returns the inode number of the socket behind fd.
func socketInode(fd int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, fmt.Errorf("fstat socket: %w", err)
	}
	return st.Ino, nil
}

// boundAddr returns the address fd is bound to.
func boundAddr(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockname: unexpected %T", sa)
}

// roleListen opens one socket, forks the children that share it, prints a
// readyLine and holds everything until stdin closes.
func roleListen(js string) error {
	report := func(r readyLine) error {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode ready line: %w", err)
		}
		_, err = fmt.Printf("%s\n", b)
		return err
	}
	err := listenAndFork(js, report)
	if err != nil {
		// Say why on stdout too, so the test shows it at once.
		_ = report(readyLine{PID: os.Getpid(), Error: err.Error()})
		return err
	}
	waitStdinEOF()
	return nil
}

func listenAndFork(js string, report func(readyLine) error) error {
	var spec ListenSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		return fmt.Errorf("decode listen spec: %w", err)
	}
	if spec.Children < 0 || spec.Children > 64 {
		return fmt.Errorf("children %d out of range 0..64", spec.Children)
	}
	if spec.OwnThread {
		if spec.Children > 0 {
			return errors.New("own_thread takes no children")
		}
		var r readyLine
		err := InOwnFileTable(func(tid int) error {
			fd, err := openSocket(spec.Proto, spec.Addr, spec.V6Only)
			if err != nil {
				return err
			}
			r = readyLine{PID: os.Getpid(), TID: tid}
			if r.Inode, err = socketInode(fd); err != nil {
				return err
			}
			r.Local, err = boundAddr(fd)
			return err
		}, nil)
		if err != nil {
			return err
		}
		return report(r)
	}
	fd, err := openSocket(spec.Proto, spec.Addr, spec.V6Only)
	if err != nil {
		return err
	}
	ino, err := socketInode(fd)
	if err != nil {
		return err
	}
	local, err := boundAddr(fd)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	sock := os.NewFile(uintptr(fd), "socket")
	r := readyLine{PID: os.Getpid(), Inode: ino, Local: local}
	for i := range spec.Children {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), roleEnv+"=hold")
		cmd.ExtraFiles = []*os.File{sock} // becomes fd 3
		cmd.Stderr = os.Stderr
		// The child's stdin is a pipe this process never writes: it
		// reaches EOF when this process dies.
		if _, err := cmd.StdinPipe(); err != nil {
			return fmt.Errorf("child %d stdin: %w", i, err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return fmt.Errorf("child %d stdout: %w", i, err)
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start child %d: %w", i, err)
		}
		var c readyLine
		if err := json.NewDecoder(out).Decode(&c); err != nil {
			return fmt.Errorf("child %d ready line: %w", i, err)
		}
		if c.Error != "" {
			return fmt.Errorf("child %d: %s", i, c.Error)
		}
		if c.Inode != ino || c.PID != cmd.Process.Pid {
			return fmt.Errorf("child %d says pid %d inode %d, want pid %d inode %d", i, c.PID, c.Inode, cmd.Process.Pid, ino)
		}
		r.Children = append(r.Children, c.PID)
	}
	slices.Sort(r.Children)
	return report(r)
}

// InOwnFileTable runs f on an OS thread other than the leader that has
// called unshare(CLONE_FILES), with that thread's id; descriptors f opens
// are in that thread's table alone. When f returned, the thread waits for
// release to be closed (nil: for the life of the process), then closes
// what its table holds and exits.
func InOwnFileTable(f func(tid int) error, release <-chan struct{}) error {
	result := make(chan error, 1)
	finished := make(chan struct{})
	finish := func(err error) {
		result <- err
		close(finished)
	}
	var attempt func(left int)
	attempt = func(left int) {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The leader: keep it until another thread has answered.
			defer runtime.UnlockOSThread()
			if left == 0 {
				finish(errors.New("no thread other than the leader"))
				return
			}
			go attempt(left - 1)
			<-finished
			return
		}
		// Locked and never unlocked: the thread, with its table, ends
		// when this goroutine returns.
		if err := unix.Unshare(unix.CLONE_FILES); err != nil {
			finish(fmt.Errorf("unshare(CLONE_FILES): %w", err))
			return
		}
		finish(f(unix.Gettid()))
		<-release
	}
	go attempt(4)
	return <-result
}

// roleHold keeps the socket inherited on fd 3 open until stdin closes.
func roleHold() error {
	ino, err := socketInode(3)
	r := readyLine{PID: os.Getpid(), Inode: ino}
	if err != nil {
		r.Error = err.Error()
	}
	b, jerr := json.Marshal(r)
	if jerr != nil {
		return fmt.Errorf("encode ready line: %w", jerr)
	}
	fmt.Printf("%s\n", b)
	if err != nil {
		return err
	}
	waitStdinEOF()
	return nil
}

// ChurnSpec configures a churn helper: it opens and closes sockets on
// random ports of [PortBase, PortBase+PortSpan) for Iterations rounds, each
// held for up to MaxHold, writes a ChurnEvent line for every open and close,
// and exits.
type ChurnSpec struct {
	// Iterations is how many sockets the helper opens, one at a time
	// (1..10000); a port another helper holds at that moment is skipped.
	Iterations int `json:"iterations"`
	// PortBase and PortSpan give the ports to choose from.
	PortBase uint16 `json:"port_base"`
	PortSpan uint16 `json:"port_span"`
	// MaxHold bounds how long each socket stays open (0: close at once).
	MaxHold time.Duration `json:"max_hold"`
	// Addr is the address to bind.
	Addr netip.Addr `json:"addr"`
	// Seed seeds the helper's choices (mixed with its PID).
	Seed uint64 `json:"seed"`
	// Protos are the protocols to choose from: "tcp", "udp".
	Protos []string `json:"protos"`
}

// ChurnEvent is one line a churn helper writes. T is CLOCK_MONOTONIC in
// nanoseconds: for "open" taken before the socket was created, for "close"
// after it was closed, so the socket was held at most during [open, close].
type ChurnEvent struct {
	Event string         `json:"ev"` // "open" or "close"
	PID   int            `json:"pid"`
	Inode uint64         `json:"inode"`
	Proto string         `json:"proto,omitempty"`
	Local netip.AddrPort `json:"local,omitzero"`
	T     int64          `json:"t"`
}

// Monotonic returns CLOCK_MONOTONIC in nanoseconds, the clock of
// ChurnEvent.T, comparable across processes of one boot.
func Monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(CLOCK_MONOTONIC): %v", err)) // cannot fail on Linux
	}
	return ts.Nano()
}

func roleChurn(js string) error {
	var spec ChurnSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		return fmt.Errorf("decode churn spec: %w", err)
	}
	if spec.Iterations <= 0 || spec.Iterations > 10000 || spec.PortSpan == 0 || len(spec.Protos) == 0 {
		return fmt.Errorf("bad churn spec %+v", spec)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, uint64(os.Getpid())))
	enc := json.NewEncoder(os.Stdout)
	pid := os.Getpid()
	for range spec.Iterations {
		proto := spec.Protos[rng.IntN(len(spec.Protos))]
		addr := netip.AddrPortFrom(spec.Addr, spec.PortBase+uint16(rng.IntN(int(spec.PortSpan))))
		t0 := Monotonic()
		fd, err := openSocket(proto, addr, nil)
		if errors.Is(err, unix.EADDRINUSE) {
			continue // another churn helper holds the port right now
		}
		if err != nil {
			return err
		}
		ino, err := socketInode(fd)
		if err != nil {
			return err
		}
		if err := enc.Encode(ChurnEvent{Event: "open", PID: pid, Inode: ino, Proto: proto, Local: addr, T: t0}); err != nil {
			return fmt.Errorf("write open event: %w", err)
		}
		if spec.MaxHold > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(spec.MaxHold))))
		}
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("close socket: %w", err)
		}
		if err := enc.Encode(ChurnEvent{Event: "close", PID: pid, Inode: ino, T: Monotonic()}); err != nil {
			return fmt.Errorf("write close event: %w", err)
		}
	}
	return nil
}

// DecodeChurnEvent decodes one line a churn helper wrote.
func DecodeChurnEvent(line string) (ChurnEvent, error) {
	var ev ChurnEvent
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		return ev, fmt.Errorf("churn event %q: %w", line, err)
	}
	if ev.Event != "open" && ev.Event != "close" {
		return ev, fmt.Errorf("churn event %q: unknown event %q", line, ev.Event)
	}
	return ev, nil
}
