package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readyTimeout bounds how long a started process may take to say it is ready.
const readyTimeout = 15 * time.Second

// Proc is a long-running process started by a test: a namespace holder, a
// helper or a daemon. It runs in its own process group, is killed with its
// whole group when the test ends, and its stdout lines after the ready line
// and its stderr are kept for diagnostics.
type Proc struct {
	// PID is the process id (the same on the host and in the namespace:
	// no PID namespace is made).
	PID int

	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // stdout lines, closed at EOF

	mu     sync.Mutex
	stderr bytes.Buffer // bounded by capWriter

	stopOnce sync.Once
	waitErr  error
	done     chan struct{}
}

// capWriter keeps at most max bytes written to it.
type capWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
	max int
}

func (w capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// startProc starts cmd in a new process group with a stdin pipe the process
// may watch for EOF, registers its cleanup with t, and returns at once.
func startProc(t testing.TB, cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{cmd: cmd, lines: make(chan string, 64), done: make(chan struct{})}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("stdin pipe for %s: %w", cmd.Path, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("stdout pipe for %s: %w", cmd.Path, err)
	}
	cmd.Stderr = capWriter{mu: &p.mu, buf: &p.stderr, max: 64 << 10}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Args, err)
	}
	p.PID = cmd.Process.Pid
	p.stdin = stdin
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Stop)
	return p, nil
}

// readLine returns the next stdout line, or an error when the process closes
// stdout or timeout passes first.
func (p *Proc) readLine(timeout time.Duration) (string, error) {
	select {
	case line, ok := <-p.lines:
		if !ok {
			<-p.done
			return "", fmt.Errorf("%s exited before it was ready (%v); stderr: %s", p.cmd.Args, p.waitErr, p.Stderr())
		}
		return line, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("%s not ready after %v; stderr: %s", p.cmd.Args, timeout, p.Stderr())
	}
}

// Lines returns the channel of stdout lines after those already read; it is
// closed when the process closes its stdout.
func (p *Proc) Lines() <-chan string { return p.lines }

// Stderr returns what the process wrote to stderr so far (at most 64 KiB).
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns its error.
func (p *Proc) Wait() error {
	<-p.done
	return p.waitErr
}

// Stop closes the process's stdin, kills its process group and waits for it.
// It is safe to call more than once.
func (p *Proc) Stop() {
	p.stopOnce.Do(func() {
		_ = p.stdin.Close() // helpers exit on EOF; an error means it is gone already
		// Kill the group (the process and the children it forked) by
		// its id, which is the process's own PID (Setpgid).
		if err := syscall.Kill(-p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// WorldExecutable copies the running test binary into a directory any uid
// may enter, for helpers that drop to another user or map uids (the go
// build directory is its owner's alone). The copy is removed when t ends.
func WorldExecutable(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "openports-test-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, filepath.Base(self))
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}
