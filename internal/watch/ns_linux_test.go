package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/bpfwatch"
	"github.com/openports/openports/internal/testenv"
)

// helperEnv makes the re-executed test binary play the short-lived
// sockets: helperSockets times, bind a UDP socket on an ephemeral port of
// MainAddr4, hold it 20 ms, send one datagram to the peer namespace and
// close it, printing "udp PID PORT"; then open a TCP listener on an
// ephemeral port, hold it 20 ms, close it, printing "tcp PID PORT".
const helperEnv = "OPENPORTS_WATCH_HELPER"

// watchRoleEnv makes the re-executed test binary run a poll-mode watch for
// a moment and print its summary as JSON (for the unprivileged test).
const watchRoleEnv = "OPENPORTS_WATCH_ROLE"

// helperSockets is how many UDP sockets one helper process opens in turn:
// one process per socket made the test spend its minutes starting
// processes, not watching.
const helperSockets = 10

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		if err := shortLived(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(handoffEnv) == "1" {
		if err := handoff(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(watchRoleEnv) == "1" {
		if err := watchRole(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testenv.Main(m)
}

func shortLived() error {
	for range helperSockets {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: testenv.MainAddr4.As4()}); err != nil {
			return fmt.Errorf("bind: %w", err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return fmt.Errorf("getsockname: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
		if err := unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Addr: testenv.PeerAddr4.As4(), Port: 9}); err != nil {
			return fmt.Errorf("sendto: %w", err)
		}
		fmt.Printf("udp %d %d\n", os.Getpid(), sa.(*unix.SockaddrInet4).Port)
		if err := unix.Close(fd); err != nil {
			return err
		}
	}
	fd, port, err := listenTCP(testenv.MainAddr4)
	if err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond)
	fmt.Printf("tcp %d %d\n", os.Getpid(), port)
	return unix.Close(fd)
}

// watchRole watches its own namespace in the default mode (auto) for half
// a second and prints the summary.
func watchRole() error {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	sum, err := Run(ctx, Options{Interval: 100 * time.Millisecond}, func(Event) {})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(sum)
}

// floors are the documented catch rates (docs/watch.md) of 100 UDP sockets
// that live 20 ms, with a poll interval of one second: eBPF names every
// owner; polling names almost none but reports nearly every socket gone
// from the kernel's destroy notice, with its address; the same holds for
// short-lived TCP listeners (one per helper, 10 in all).
var floors = map[string]struct{ owner, port, tcp int }{
	ModeEBPF: {owner: 100, port: 100, tcp: 10},
	ModePoll: {owner: 0, port: 90, tcp: 9},
}

// TestShortLivedSockets runs both modes at once over one set of 100
// short-lived UDP sockets and 10 short-lived TCP listeners.
func TestShortLivedSockets(t *testing.T) {
	env := testenv.New(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	comm := exe[strings.LastIndexByte(exe, '/')+1:]
	if len(comm) > 15 {
		comm = comm[:15]
	}
	modes := []string{ModePoll}
	if os.Geteuid() != 0 {
		t.Log("eBPF mode needs root (CAP_BPF, CAP_PERFMON): poll mode only")
	} else if tr, err := bpfwatch.Open(); err != nil {
		t.Logf("eBPF not available: %v: poll mode only", err)
	} else {
		tr.Close()
		modes = append(modes, ModeEBPF)
	}
	type watcher struct {
		mu     sync.Mutex
		events []Event
		sum    Summary
		done   chan error
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchers := map[string]*watcher{}
	ready := make(chan struct{}, len(modes))
	for _, mode := range modes {
		w := &watcher{done: make(chan error, 1)}
		watchers[mode] = w
		go func() {
			var err error
			opt := Options{Mode: mode, NetNSPath: env.NetNSPath(), Interval: time.Second, Ready: func() { ready <- struct{}{} }}
			w.sum, err = Run(ctx, opt, func(ev Event) {
				w.mu.Lock()
				w.events = append(w.events, ev)
				w.mu.Unlock()
			})
			w.done <- err
		}()
	}
	for _, mode := range modes {
		select {
		case <-ready:
		case err := <-watchers[mode].done:
			t.Fatalf("%s: watch ended before it was ready: %v", mode, err)
		case <-time.After(30 * time.Second):
			t.Fatal("watchers not ready after 30 s")
		}
	}
	type socket struct {
		proto string
		pid   int
		port  uint16
	}
	var socks []socket
	for range 100 / helperSockets {
		cmd := env.NS.Command(context.Background(), exe)
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			cancel()
			t.Fatalf("helper: %v: %s", err, out)
		}
		for line := range strings.Lines(string(out)) {
			var s socket
			if _, err := fmt.Sscanf(line, "%s %d %d", &s.proto, &s.pid, &s.port); err != nil {
				cancel()
				t.Fatalf("helper output %q: %v", line, err)
			}
			socks = append(socks, s)
		}
	}
	time.Sleep(400 * time.Millisecond) // the last notices and records
	cancel()
	for _, mode := range modes {
		w := watchers[mode]
		if err := <-w.done; err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		var owned, ported, lifetimes, tcp int
		for _, s := range socks {
			local := netip.AddrPortFrom(testenv.MainAddr4, s.port)
			var gotOwner, gotPort bool
			for _, ev := range w.events {
				if ev.Local != local || string(ev.Proto) != s.proto {
					continue
				}
				gotPort = true
				if ev.SeenBy == SeenDestroy && ev.Inode == 0 && ev.UID != nil {
					// The kernel reports uid 0 for every destroyed
					// socket (its file is gone): naming a user
					// from the notice would say root for anyone's.
					t.Errorf("%s: %+v names uid %d from a destroy notice alone", mode, ev, *ev.UID)
				}
				for _, o := range ev.Owners {
					if o.PID == s.pid && o.Name == comm {
						gotOwner = true
					}
				}
				if s.proto == "udp" && ev.Kind == Gone && ev.LivedExact && ev.Lived >= 20*time.Millisecond && ev.Lived < 5*time.Second {
					lifetimes++
				}
				if s.proto == "udp" && !ev.Ephemeral {
					t.Errorf("%s: event %+v not marked ephemeral", mode, ev)
				}
			}
			switch {
			case s.proto == "tcp" && gotPort:
				tcp++
			case s.proto == "udp" && gotOwner:
				owned++
				ported++
			case s.proto == "udp" && gotPort:
				ported++
			}
		}
		t.Logf("%s: of 100 UDP sockets of 20 ms, %d reported with their owner (PID and name), %d reported at all, %d with an exact lifetime ≥ 20ms; %d of 10 TCP listeners of 20 ms reported; summary %+v",
			mode, owned, ported, lifetimes, tcp, w.sum)
		f := floors[mode]
		if owned < f.owner || ported < f.port || tcp < f.tcp {
			t.Errorf("%s: caught %d with owner (floor %d), %d at all (floor %d), %d TCP listeners (floor %d)", mode, owned, f.owner, ported, f.port, tcp, f.tcp)
		}
		if mode == ModeEBPF && lifetimes < f.owner {
			t.Errorf("ebpf: %d exact lifetimes, want %d", lifetimes, f.owner)
		}
	}
}

// TestWatchUnprivileged: watch starts for a user without privileges (it
// used to enter its own namespace with setns, which needs CAP_SYS_ADMIN)
// and lists what is there; the default mode falls back to polling, as
// --help says (eBPF needs root).
func TestWatchUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop to nobody inside the test namespace")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed: run make test-deps")
	}
	env := testenv.New(t)
	env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("0.0.0.0:7304")})
	exe := testenv.WorldExecutable(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := env.NS.Command(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", exe)
	cmd.Env = append(os.Environ(), watchRoleEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("watch as nobody: %v: %s", err, stderr)
	}
	var sum Summary
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if sum.Initial < 1 || sum.Polls < 1 || sum.Mode != ModePoll {
		t.Errorf("summary %+v: want the listener, some polls, and mode poll", sum)
	}
	for msg := range sum.Errors {
		t.Errorf("watch as nobody went on after: %s", msg)
	}
}
