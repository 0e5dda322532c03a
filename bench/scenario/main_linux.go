package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/bench/internal/nsthread"
)

// Ready is the JSON line the scenario prints when the host is built.
type Ready struct {
	// NetNS is the `ip netns` name; NetNSPath is its bind mount.
	NetNS     string `json:"netns"`
	NetNSPath string `json:"netns_path"`
	Params    Params `json:"params"`
	// Holders are the PIDs of the holder processes, Children those of
	// the children sharing a holder's descriptors.
	Holders  []int `json:"holders"`
	Children []int `json:"children,omitempty"`
	// FDs is the number of descriptors the holders and children hold.
	FDs int `json:"fds"`
	// SetupSeconds is how long building took.
	SetupSeconds float64 `json:"setup_seconds"`
}

func main() {
	var p Params
	name := flag.String("name", fmt.Sprintf("opbench-%d", os.Getpid()), "name of the network namespace (ip netns) to create")
	flag.IntVar(&p.Listen, "listen", 50, "listening TCP sockets")
	flag.IntVar(&p.UDP, "udp", 20, "bound UDP sockets")
	flag.IntVar(&p.Conns, "conns", 200, "established loopback TCP connections (both ends in the namespace)")
	flag.IntVar(&p.Procs, "procs", 20, "holder processes")
	flag.IntVar(&p.FDs, "fds", 50, "other descriptors per holder: regular files, pipes, unix socket pairs")
	flag.IntVar(&p.Shared, "shared", 5, "holders that start a child inheriting all their descriptors")
	flag.IntVar(&p.BasePort, "base-port", 10000, "port of the first listener and UDP socket")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: scenario [flags] [-- command args...]\n\n"+
			"Builds a network namespace with sockets held by processes, prints one JSON\n"+
			"line when ready, then runs command inside it (or waits for SIGINT/SIGTERM),\n"+
			"and removes everything it started.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(*name, p, flag.Args()))
}

func run(name string, p Params, command []string) int {
	plan, err := Plan(p)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scenario: %v\n", err)
		return 2
	}
	// Catch signals from the start, so that an interrupt during the
	// build still cleans up.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	s := &scenario{name: name}
	defer func() {
		if err := s.cleanup(); err != nil {
			fmt.Fprintf(os.Stderr, "scenario: cleanup: %v\n", err)
		}
	}()
	start := time.Now()
	if err := s.build(p, plan, sig); err != nil {
		fmt.Fprintf(os.Stderr, "scenario: %v\n", err)
		return 1
	}
	ready := Ready{NetNS: name, NetNSPath: s.nsPath, Params: p, FDs: s.fds,
		SetupSeconds: time.Since(start).Seconds()}
	for _, h := range s.holders {
		ready.Holders = append(ready.Holders, h.Process.Pid)
	}
	ready.Children = s.children
	line, err := json.Marshal(ready)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scenario: encode ready line: %v\n", err)
		return 1
	}
	fmt.Printf("%s\n", line)
	if len(command) == 0 {
		got := <-sig
		fmt.Fprintf(os.Stderr, "scenario: %v: cleaning up\n", got)
		return 0
	}
	code, err := s.runIn(command, sig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scenario: %v\n", err)
		return 1
	}
	return code
}

// scenario is what has been started, for cleanup.
type scenario struct {
	name     string
	nsPath   string // set once the namespace exists
	tmp      string // directory of the regular file and the holder links
	holders  []*exec.Cmd
	children []int // PIDs of the holders' children (reaped by us, the subreaper)
	fds      int
	thread   *nsthread.Thread
}

// build creates the namespace, its links and addresses, then each
// holder's sockets and descriptors, and starts the holder.
func (s *scenario) build(p Params, plan []Holder, sig <-chan os.Signal) error {
	need := 64
	for _, h := range plan {
		need = max(need, h.FDCount()+64)
	}
	if err := raiseNoFile(uint64(need)); err != nil {
		return err
	}
	// Orphaned children of killed holders become ours, so that cleanup
	// can reap them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		return fmt.Errorf("find sleep: %w", err)
	}
	if s.tmp, err = os.MkdirTemp("", "opbench-"); err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	// The holders run sleep under these names, so that their command
	// names say what they are.
	holderExe := filepath.Join(s.tmp, "opb-holder")
	childExe := filepath.Join(s.tmp, "opb-child")
	for _, l := range []string{holderExe, childExe} {
		if err := os.Symlink(sleep, l); err != nil {
			return fmt.Errorf("link %s: %w", l, err)
		}
	}
	regular := filepath.Join(s.tmp, "data")
	if err := os.WriteFile(regular, []byte("openports bench\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", regular, err)
	}

	if err := ipCmd("netns", "add", s.name); err != nil {
		return err
	}
	s.nsPath = filepath.Join("/run/netns", s.name)
	for _, args := range [][]string{
		{"-n", s.name, "link", "set", "lo", "up"},
		{"-n", s.name, "link", "add", "opb0", "type", "veth", "peer", "name", "opb1"},
		{"-n", s.name, "addr", "add", specificV4.String() + "/24", "dev", "opb0"},
		{"-n", s.name, "addr", "add", specificV6.String() + "/64", "dev", "opb0", "nodad"},
		{"-n", s.name, "link", "set", "opb0", "up"},
		{"-n", s.name, "link", "set", "opb1", "up"},
	} {
		if err := ipCmd(args...); err != nil {
			return err
		}
	}
	if s.thread, err = nsthread.New(s.nsPath); err != nil {
		return err
	}
	err = s.thread.Do(func() error {
		// /proc/sys/net shows the namespace of the thread that opens it.
		rng := fmt.Sprintf("%d %d", ephemeralFirst, ephemeralLast)
		if err := os.WriteFile("/proc/sys/net/ipv4/ip_local_port_range", []byte(rng), 0); err != nil {
			return fmt.Errorf("set ip_local_port_range in %s: %w", s.name, err)
		}
		for i, h := range plan {
			select {
			case got := <-sig:
				return fmt.Errorf("interrupted by %v while building holder %d", got, i)
			default:
			}
			if err := s.startHolder(i, h, regular, holderExe, childExe); err != nil {
				return fmt.Errorf("holder %d: %w", i, err)
			}
		}
		return nil
	})
	return err
}

// startHolder opens h's descriptors on the namespace thread and starts
// the holder (and its child) with them. It closes its own copies.
func (s *scenario) startHolder(i int, h Holder, regular, holderExe, childExe string) error {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	add := func(fd int, what string) { files = append(files, os.NewFile(uintptr(fd), what)) }
	for _, b := range h.Listen {
		fd, err := bindSocket(unix.SOCK_STREAM, b)
		if err != nil {
			return err
		}
		add(fd, "listener")
		if err := unix.Listen(fd, 128); err != nil {
			return fmt.Errorf("listen on %s: %w", b.Addr, err)
		}
	}
	for _, b := range h.UDP {
		fd, err := bindSocket(unix.SOCK_DGRAM, b)
		if err != nil {
			return err
		}
		add(fd, "udp")
	}
	if h.Conns > 0 {
		fds, err := connections(h.Conns, h.ConnV6)
		for _, fd := range fds {
			add(fd, "conn")
		}
		if err != nil {
			return err
		}
	}
	for range h.Files {
		fd, err := unix.Open(regular, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", regular, err)
		}
		add(fd, "file")
	}
	for range h.Pipes {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return fmt.Errorf("pipe: %w", err)
		}
		add(p[0], "pipe")
		add(p[1], "pipe")
	}
	for range h.UnixPairs {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("socketpair: %w", err)
		}
		add(p[0], "unix")
		add(p[1], "unix")
	}

	var cmd *exec.Cmd
	var childPID *bufio.Reader
	if h.Shared {
		// sh starts the child in the background (it inherits every
		// descriptor), reports its PID, and becomes the holder.
		cmd = exec.Command("/bin/sh", "-c",
			`"$1" infinity </dev/null >/dev/null 2>&1 & echo $!; exec "$2" infinity >/dev/null`,
			"sh", childExe, holderExe)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return fmt.Errorf("pipe from holder: %w", err)
		}
		childPID = bufio.NewReader(out)
	} else {
		cmd = &exec.Cmd{Path: holderExe, Args: []string{"opb-holder", "infinity"}}
	}
	cmd.ExtraFiles = files
	// Each holder is its own process group, so that a terminal's ^C
	// reaches only the scenario, which then cleans up in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start holder: %w", err)
	}
	s.holders = append(s.holders, cmd)
	s.fds += len(files)
	if childPID != nil {
		line, err := childPID.ReadString('\n')
		if err != nil {
			return fmt.Errorf("read child PID from holder %d: %w", cmd.Process.Pid, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return fmt.Errorf("child PID %q from holder %d: %w", line, cmd.Process.Pid, err)
		}
		s.children = append(s.children, pid)
		s.fds += len(files)
	}
	return nil
}

// bindSocket opens a socket of type typ bound to b.
func bindSocket(typ int, b Bind) (int, error) {
	family := unix.AF_INET
	if b.Addr.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket for %s: %w", b.Addr, err)
	}
	if family == unix.AF_INET6 {
		v := 0
		if b.V6Only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("IPV6_V6ONLY on %s: %w", b.Addr, err)
		}
	}
	if err := unix.Bind(fd, sockaddr(b.Addr)); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind %s: %w", b.Addr, err)
	}
	return fd, nil
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// connBatch is how many connections share one temporary listener, and
// connChunk how many connect before they are accepted (below the backlog).
const (
	connBatch = 10000
	connChunk = 512
)

// connections returns both ends of n established loopback connections.
// Each batch connects to a temporary listener on an ephemeral port, which
// is closed once its connections are accepted: no listener is left behind.
func connections(n int, v6 bool) ([]int, error) {
	lo := netip.MustParseAddr("127.0.0.1")
	if v6 {
		lo = netip.IPv6Loopback()
	}
	fds := make([]int, 0, 2*n)
	for done := 0; done < n; {
		l, err := bindSocket(unix.SOCK_STREAM, Bind{Addr: netip.AddrPortFrom(lo, 0), V6Only: true})
		if err != nil {
			return fds, err
		}
		if err := unix.Listen(l, connChunk*2); err != nil {
			unix.Close(l)
			return fds, fmt.Errorf("listen for connections: %w", err)
		}
		sa, err := unix.Getsockname(l)
		if err != nil {
			unix.Close(l)
			return fds, fmt.Errorf("getsockname: %w", err)
		}
		batch := min(connBatch, n-done)
		for c := 0; c < batch; {
			chunk := min(connChunk, batch-c)
			for range chunk {
				family := unix.AF_INET
				if v6 {
					family = unix.AF_INET6
				}
				fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					unix.Close(l)
					return fds, fmt.Errorf("client socket: %w", err)
				}
				fds = append(fds, fd)
				if err := unix.Connect(fd, sa); err != nil {
					unix.Close(l)
					return fds, fmt.Errorf("connect %d: %w", done+c, err)
				}
			}
			for range chunk {
				fd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
				if err != nil {
					unix.Close(l)
					return fds, fmt.Errorf("accept: %w", err)
				}
				fds = append(fds, fd)
			}
			c += chunk
		}
		unix.Close(l)
		done += batch
	}
	return fds, nil
}

// runIn runs command inside the namespace and returns its exit code. A
// signal to the scenario is passed on to the command.
func (s *scenario) runIn(command []string, sig <-chan os.Signal) (int, error) {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := s.thread.Do(cmd.Start); err != nil {
		return 0, fmt.Errorf("start %s: %w", command[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case got := <-sig:
			if err := cmd.Process.Signal(got); err != nil && !errors.Is(err, os.ErrProcessDone) {
				return 0, fmt.Errorf("pass %v to %s: %w", got, command[0], err)
			}
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), nil
			}
			if err != nil {
				return 0, fmt.Errorf("%s: %w", command[0], err)
			}
			return 0, nil
		}
	}
}

// cleanup kills every process started, by PID, reaps it, deletes the
// namespace and the temporary directory. It returns every error met.
func (s *scenario) cleanup() error {
	var errs []error
	// Children first: then no holder leaves an orphan behind.
	for _, pid := range s.children {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill child %d: %w", pid, err))
		}
	}
	for _, c := range s.holders {
		if err := c.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("kill holder %d: %w", c.Process.Pid, err))
		}
	}
	for _, c := range s.holders {
		// Killed by our signal, so Wait reports that: it is expected.
		var ee *exec.ExitError
		if err := c.Wait(); err != nil && !errors.As(err, &ee) {
			errs = append(errs, fmt.Errorf("wait for holder %d: %w", c.Process.Pid, err))
		}
	}
	// Each dead holder's child was reparented to us (the subreaper).
	for _, pid := range s.children {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil && !errors.Is(err, unix.ECHILD) {
			errs = append(errs, fmt.Errorf("wait for child %d: %w", pid, err))
		}
	}
	if s.thread != nil {
		s.thread.Stop()
	}
	if s.nsPath != "" {
		if err := ipCmd("netns", "delete", s.name); err != nil {
			errs = append(errs, err)
		}
	}
	if s.tmp != "" {
		if err := os.RemoveAll(s.tmp); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.tmp, err))
		}
	}
	return errors.Join(errs...)
}

// raiseNoFile makes sure this process and the holders it starts may hold
// n descriptors. syscall.Setrlimit (not unix.Setrlimit) also tells os/exec
// not to restore the old soft limit in children.
func raiseNoFile(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= n {
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	lim.Cur = max(n, lim.Cur)
	lim.Max = max(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE to %d (fs.nr_open caps it): %w", n, err)
	}
	return nil
}

// ipCmd runs ip(8) with args.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
