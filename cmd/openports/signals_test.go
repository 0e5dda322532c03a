package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// TestSignalsCancelOnlyRunningCommands: the context main makes end on
// SIGINT and SIGTERM (cancelOnSignals) is the one a running command reads
// from, and it is made only when a command runs, never for --help.
func TestSignalsCancelOnlyRunningCommands(t *testing.T) {
	englishEnv(t)
	calls := 0
	cancelOnSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		calls++
		// As if the signal had come: the command must see it.
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx, cancel
	}
	t.Cleanup(func() { cancelOnSignals = nil })

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, errb.String())
	}
	if calls != 0 {
		t.Errorf("--help installed the signal handling %d times", calls)
	}

	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"analyze", "testdata/analyze/seed.txt"}, &out, &errb)
	if calls != 1 {
		t.Errorf("analyze installed the signal handling %d times, want 1", calls)
	}
	if code == 0 || !strings.Contains(errb.String(), "context canceled") {
		t.Errorf("analyze: exit %d, stderr %q: want the cancellation the signal context carries", code, errb.String())
	}
}

// TestSignalsStopEveryCommand runs the real binary blocked where a user can
// leave it — reading a pipe that never ends, opening a FIFO no one writes,
// watching — sends SIGTERM or SIGINT, and wants it gone within 1 s with the
// documented exit code: 3 (incomplete) for a command cut short, 0 for watch,
// which ends on a signal by design.
func TestSignalsStopEveryCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("waits for the blocked read in /proc/PID/task/*/wchan (Linux)")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string // "FIFO" is replaced by a FIFO no one writes
		// What shows the command is running: a wchan of its threads, or
		// a line on stderr.
		wchan, stderr string
		// dnsQuery: the command is running once a query reached a
		// nameserver that never answers (RESOLV in args).
		dnsQuery bool
		want     int
	}{
		{"analyze stdin", []string{"analyze", "-"}, "pipe_read", "", false, report.ExitIncomplete},
		{"analyze FIFO", []string{"analyze", "FIFO"}, "wait_for_partner", "", false, report.ExitIncomplete},
		{"list --policy FIFO", []string{"list", "--policy", "FIFO"}, "wait_for_partner", "", false, report.ExitIncomplete},
		{"check --policy FIFO", []string{"check", "--policy", "FIFO"}, "wait_for_partner", "", false, report.ExitIncomplete},
		{"check --expect FIFO", []string{"check", "--expect", "FIFO"}, "wait_for_partner", "", false, report.ExitIncomplete},
		{"check DNS probe", []string{"check", "--resolv-conf", "RESOLV", "--dns-timeout", "30s"}, "", "", true, report.ExitIncomplete},
		{"watch", []string{"watch", "--mode", "poll"}, "", "watching", false, report.ExitOK},
	}
	for _, c := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(c.name+" "+sig.String(), func(t *testing.T) {
				dir := t.TempDir()
				fifo := filepath.Join(dir, "fifo")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				var silent net.PacketConn
				if c.dnsQuery {
					// A nameserver on this host that never answers.
					if silent, err = net.ListenPacket("udp", silentNameserver+":53"); err != nil {
						t.Skipf("needs port 53 on %s (root): %v", silentNameserver, err)
					}
					defer silent.Close()
				}
				resolv := filepath.Join(dir, "resolv.conf")
				if err := os.WriteFile(resolv, []byte("nameserver "+silentNameserver+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args := slices.Clone(c.args)
				for i := range args {
					switch args[i] {
					case "FIFO":
						args[i] = fifo
					case "RESOLV":
						args[i] = resolv
					}
				}
				// A pipe whose write end stays open: stdin never ends.
				stdinR, stdinW, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer stdinW.Close()
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
				cmd.Stdin = stdinR
				var stderr lockedBuffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				stdinR.Close()
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				defer func() {
					if cmd.ProcessState == nil {
						cmd.Process.Kill()
						<-exited
					}
				}()
				if c.dnsQuery {
					silent.SetReadDeadline(time.Now().Add(10 * time.Second))
					if _, _, err := silent.ReadFrom(make([]byte, 512)); err != nil {
						t.Fatalf("%v asked no query in 10 s: %v; stderr: %s", args, err, stderr.String())
					}
				} else if !waitRunning(cmd.Process.Pid, c.wchan, c.stderr, &stderr) {
					t.Fatalf("%v did not start running in 10 s; stderr: %s", args, stderr.String())
				}
				start := time.Now()
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				select {
				case <-exited:
				case <-time.After(time.Second):
					t.Fatalf("%v still running 1 s after %v", args, sig)
				}
				took := time.Since(start)
				if got := cmd.ProcessState.ExitCode(); got != c.want {
					t.Errorf("%v after %v: exit %d, want %d; stderr: %s", args, sig, got, c.want, stderr.String())
				}
				if c.want == report.ExitIncomplete && !strings.Contains(stderr.String(), "interrupted") {
					t.Errorf("%v after %v: stderr %q does not say it was interrupted", args, sig, stderr.String())
				}
				t.Logf("%v stopped %v after %v", args, took.Round(time.Millisecond), sig)
			})
		}
	}
}

// silentNameserver is a loopback address no one else uses, for a
// nameserver that never answers.
const silentNameserver = "127.0.0.99"

// waitRunning waits (at most 10 s) until a thread of pid sleeps in a
// kernel function containing wchan, or stderr contains line.
func waitRunning(pid int, wchan, line string, stderr *lockedBuffer) bool {
	for range 200 {
		if wchan != "" {
			tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
			for _, p := range tasks {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), wchan) {
					return true
				}
			}
		} else if strings.Contains(stderr.String(), line) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// lockedBuffer is a bytes.Buffer that a process writes while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
