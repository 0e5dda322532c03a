// Package cmdrun runs the system tools `openports check` reads on platforms
// without netlink (ifconfig, netstat), with a deadline and a cap on the
// output kept, so that a hung or chatty tool cannot hang or flood the check.
package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// MaxOutput is the most output kept from one command.
const MaxOutput = 8 << 20

// Timeout is how long one command may run when ctx has no earlier deadline.
const Timeout = 10 * time.Second

// ErrTooLong is returned when a command printed more than MaxOutput bytes.
var ErrTooLong = errors.New("output longer than the limit")

// capped is a writer that keeps at most max bytes.
type capped struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.overflow = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

// Output runs name with args and returns its standard output. A non-zero
// exit, a timeout and an over-long output are errors that name the command;
// the output read so far is returned with ErrTooLong.
func Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var stdout capped
	stdout.max = MaxOutput
	var stderr capped
	stderr.max = 4096
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if msg := bytes.TrimSpace(stderr.buf.Bytes()); len(msg) > 0 {
			return stdout.buf.Bytes(), fmt.Errorf("run %s: %w: %s", cmd, err, msg)
		}
		return stdout.buf.Bytes(), fmt.Errorf("run %s: %w", cmd, err)
	}
	if stdout.overflow {
		return stdout.buf.Bytes(), fmt.Errorf("run %s: %w (%d bytes)", cmd, ErrTooLong, MaxOutput)
	}
	return stdout.buf.Bytes(), nil
}
