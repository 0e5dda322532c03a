// Package tool is the one place where the live collectors of the BSDs and
// macOS run the system's own tools (netstat, fstat, sockstat, lsof). A run
// has a deadline, a cap on the output it keeps, the C locale (so that
// states and headers are not translated), and errors that say which tool
// failed and why: missing, timed out, too much output, or a non-zero exit
// with the tool's own message.
//
// Collectors take a Runner, so that their tests replace the tools with
// recorded outputs.
package tool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runner runs one command and returns its standard output.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Defaults of Exec.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxOutput = 64 << 20
	maxStderr        = 4 << 10
)

// Errors a run can wrap.
var (
	// ErrNotFound: the tool is not installed (or not in the search path).
	ErrNotFound = errors.New("tool not found")
	// ErrTimeout: the tool did not finish before the deadline.
	ErrTimeout = errors.New("tool timed out")
	// ErrTooLarge: the tool printed more than the output cap.
	ErrTooLarge = errors.New("tool output too large")
)

// SystemDirs are searched after PATH: the BSDs keep fstat, sockstat and
// netstat in /usr/bin or /usr/sbin, macOS lsof in /usr/sbin, and a cron
// job or service may run with a short PATH.
var SystemDirs = []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"}

// Exec runs commands on the host. The zero value uses the defaults.
type Exec struct {
	// Timeout bounds one run (DefaultTimeout when 0).
	Timeout time.Duration
	// MaxOutput caps the bytes of standard output kept (DefaultMaxOutput
	// when 0); a tool that prints more is stopped and ErrTooLarge returned.
	MaxOutput int
	// Dirs are searched after PATH (SystemDirs when nil).
	Dirs []string
}

// Run runs name with args and returns its standard output.
func (e Exec) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmdline := strings.Join(append([]string{name}, args...), " ")
	path, err := e.lookPath(name)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", cmdline, err)
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := e.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	stdout := &capWriter{max: limit, stop: cancel}
	stderr := &capWriter{max: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	switch {
	case stdout.over:
		return nil, fmt.Errorf("run %s: %w: more than %d bytes", cmdline, ErrTooLarge, limit)
	case ctx.Err() == context.DeadlineExceeded:
		return nil, fmt.Errorf("run %s: %w after %s", cmdline, ErrTimeout, timeout)
	case err != nil:
		if msg := strings.TrimSpace(stderr.buf.String()); msg != "" {
			return stdout.buf.Bytes(), fmt.Errorf("run %s: %w: %s", cmdline, err, msg)
		}
		return stdout.buf.Bytes(), fmt.Errorf("run %s: %w", cmdline, err)
	}
	return stdout.buf.Bytes(), nil
}

// lookPath finds name in PATH, then in the system directories.
func (e Exec) lookPath(name string) (string, error) {
	if strings.ContainsRune(name, '/') {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return name, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs := e.Dirs
	if dirs == nil {
		dirs = SystemDirs
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s is not in PATH nor in %s", ErrNotFound, name, strings.Join(dirs, ", "))
}

// capWriter keeps at most max bytes; on overflow it records the fact and
// stops the command (stop), so that a runaway tool is not left blocked on
// a pipe nobody reads.
type capWriter struct {
	buf  bytes.Buffer
	max  int
	over bool
	stop func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.over {
		return len(p), nil
	}
	if room := w.max - w.buf.Len(); len(p) > room {
		w.over = true
		if w.stop != nil {
			w.stop()
		}
		return len(p), nil
	}
	return w.buf.Write(p)
}

// Fake is a Runner that returns recorded outputs, for tests: the key is
// the command line ("fstat -n"). A command line without an entry fails
// with ErrNotFound, as a missing tool would.
type Fake map[string]FakeResult

// FakeResult is one recorded run.
type FakeResult struct {
	Output []byte
	Err    error
}

// Run implements Runner.
func (f Fake) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cmdline := strings.Join(append([]string{name}, args...), " ")
	r, ok := f[cmdline]
	if !ok {
		return nil, fmt.Errorf("run %s: %w: %s (fake)", cmdline, ErrNotFound, name)
	}
	return r.Output, r.Err
}
