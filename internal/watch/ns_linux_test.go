package watch

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/bpfwatch"
	"github.com/openports/openports/internal/testenv"
)

// helperEnv makes the re-executed test binary play the short-lived socket:
// bind a UDP socket on an ephemeral port of MainAddr4, hold it 20 ms, send
// one datagram to the peer namespace, print "PID PORT" and exit.
const helperEnv = "OPENPORTS_WATCH_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		if err := shortLived(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testenv.Main(m)
}

func shortLived() error {
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
	fmt.Printf("%d %d\n", os.Getpid(), sa.(*unix.SockaddrInet4).Port)
	return unix.Close(fd)
}

// floors are the documented catch rates (docs/watch.md) of 100 sockets that
// live 20 ms, with a poll interval of one second: eBPF names every owner;
// polling names almost none but reports nearly every socket gone from the
// kernel's destroy notice, with its address.
var floors = map[string]struct{ owner, port int }{
	ModeEBPF: {owner: 100, port: 100},
	ModePoll: {owner: 0, port: 90},
}

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
	for _, mode := range []string{ModeEBPF, ModePoll} {
		t.Run(mode, func(t *testing.T) {
			if mode == ModeEBPF {
				if os.Geteuid() != 0 {
					t.Skip("eBPF mode needs root (CAP_BPF, CAP_PERFMON)")
				}
				tr, err := bpfwatch.Open()
				if err != nil {
					t.Skipf("eBPF not available: %v", err)
				}
				tr.Close()
			}
			var mu sync.Mutex
			var events []Event
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			var sum Summary
			go func() {
				var err error
				sum, err = Run(ctx, Options{Mode: mode, NetNSPath: env.NetNSPath(), Interval: time.Second}, func(ev Event) {
					mu.Lock()
					events = append(events, ev)
					mu.Unlock()
				})
				done <- err
			}()
			time.Sleep(700 * time.Millisecond) // the first poll
			type helper struct {
				pid  int
				port uint16
			}
			var helpers []helper
			for range 100 {
				cmd := env.NS.Command(context.Background(), exe)
				cmd.Env = append(os.Environ(), helperEnv+"=1")
				out, err := cmd.Output()
				if err != nil {
					cancel()
					t.Fatalf("helper: %v: %s", err, out)
				}
				var h helper
				if _, err := fmt.Sscanf(string(out), "%d %d", &h.pid, &h.port); err != nil {
					cancel()
					t.Fatalf("helper output %q: %v", out, err)
				}
				helpers = append(helpers, h)
			}
			time.Sleep(1500 * time.Millisecond) // the last notices and poll
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			var owned, ported, lifetimes int
			for _, h := range helpers {
				local := netip.AddrPortFrom(testenv.MainAddr4, h.port)
				var gotOwner, gotPort bool
				for _, ev := range events {
					if ev.Local != local {
						continue
					}
					gotPort = true
					for _, o := range ev.Owners {
						if o.PID == h.pid && o.Name == comm {
							gotOwner = true
						}
					}
					if ev.Kind == Gone && ev.LivedExact && ev.Lived >= 20*time.Millisecond && ev.Lived < 5*time.Second {
						lifetimes++
					}
					if !ev.Ephemeral {
						t.Errorf("event %+v not marked ephemeral", ev)
					}
				}
				if gotOwner {
					owned++
				}
				if gotPort {
					ported++
				}
			}
			t.Logf("%s: of 100 sockets of 20 ms, %d reported with their owner (PID and name), %d reported at all, %d with an exact lifetime ≥ 20ms; summary %+v",
				mode, owned, ported, lifetimes, sum)
			f := floors[mode]
			if owned < f.owner || ported < f.port {
				t.Errorf("%s: caught %d with owner (floor %d), %d at all (floor %d)", mode, owned, f.owner, ported, f.port)
			}
			if mode == ModeEBPF && lifetimes < f.owner {
				t.Errorf("ebpf: %d exact lifetimes, want %d", lifetimes, f.owner)
			}
		})
	}
}
