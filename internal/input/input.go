// Package input opens what a command reads from a user — saved tool
// outputs, policies, snapshots — in one way: a directory gets one clear
// error, reading stops at a size limit instead of growing without bound
// (`--policy /dev/zero`), a cancelled context (Ctrl-C, SIGTERM) stops it
// at once — even an open or a read blocked on a pipe or FIFO that never
// ends — and a UTF-8 byte order mark or UTF-16 text (what a
// PowerShell redirect writes) is decoded to UTF-8.
package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Limits of the inputs, in bytes.
const (
	// ToolOutput bounds one saved tool output given to analyze.
	ToolOutput = 1 << 30
	// Policy bounds a YAML policy.
	Policy = 16 << 20
	// Snapshot bounds a snapshot file.
	Snapshot = 1 << 30
	// HostFile bounds a configuration file of the host (resolv.conf).
	HostFile = 1 << 20
)

// ErrTooLarge is returned by a Reader that passed its limit.
var ErrTooLarge = errors.New("input larger than its limit")

// Open opens the file name for reading through Reader. "-" is stdin.
// The returned closer closes the file (a no-op for stdin).
func Open(ctx context.Context, name string, stdin io.Reader, limit int64) (io.Reader, func() error, error) {
	if name == "-" {
		return Reader(ctx, stdin, limit), func() error { return nil }, nil
	}
	f, err := openFile(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is a directory: give the files in it", name)
	}
	return Reader(ctx, f, limit), f.Close, nil
}

// ReadFile reads the whole file name through Open.
func ReadFile(ctx context.Context, name string, limit int64) ([]byte, error) {
	r, closer, err := Open(ctx, name, nil, limit)
	if err != nil {
		return nil, err
	}
	defer closer()
	return io.ReadAll(r)
}

// Reader reads r as UTF-8 (decoding a BOM or UTF-16), stopping with
// ErrTooLarge after limit bytes of r and with ctx's error once ctx is done.
func Reader(ctx context.Context, r io.Reader, limit int64) io.Reader {
	if f, ok := r.(*os.File); ok && mayBlock(f) {
		r = &cancellable{ctx: ctx, r: f}
	}
	raw := &limited{ctx: ctx, r: r, left: limit, limit: limit}
	// BOMOverride: UTF-16 (LE or BE) or UTF-8 after a byte order mark,
	// otherwise UTF-8 as it is (invalid bytes pass unchanged).
	return transform.NewReader(raw, unicode.BOMOverride(transform.Nop))
}

type limited struct {
	ctx         context.Context
	r           io.Reader
	left, limit int64
}

func (l *limited) Read(p []byte) (int, error) {
	if err := l.ctx.Err(); err != nil {
		return 0, err
	}
	if l.left <= 0 {
		// One byte more tells an input of exactly limit bytes from a
		// longer one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("%w (%d bytes)", ErrTooLarge, l.limit)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// openFile opens name, returning ctx's error as soon as ctx is done: opening
// a FIFO waits for a writer, which may never come.
func openFile(ctx context.Context, name string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
		// The open may still succeed: close what it returns.
		go func() {
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// mayBlock reports whether a read of f can wait without end (a pipe, a
// FIFO, a terminal, a socket): everything but a regular file.
func mayBlock(f *os.File) bool {
	st, err := f.Stat()
	return err != nil || !st.Mode().IsRegular()
}

// cancellable reads r in a goroutine, so that a read blocked on a pipe
// that never ends returns ctx's error once ctx is done. The goroutine
// reads into a buffer of its own, never into the caller's, so that a read
// left behind writes nowhere the caller sees; it ends with the read (for a
// command, at exit).
type cancellable struct {
	ctx context.Context
	r   io.Reader
	buf []byte
}

type readResult struct {
	n   int
	err error
}

func (c *cancellable) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	done := make(chan readResult, 1)
	go func() {
		n, err := c.r.Read(buf)
		done <- readResult{n, err}
	}()
	select {
	case res := <-done:
		return copy(p, buf[:res.n]), res.err
	case <-c.ctx.Done():
		// The read still owns buf.
		c.buf = nil
		return 0, c.ctx.Err()
	}
}
