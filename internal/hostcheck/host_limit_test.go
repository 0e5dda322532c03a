package hostcheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/openports/openports/internal/input"
)

// A resolv.conf that never ends (a device) is refused at the size limit
// instead of being read into memory.
func TestLiveReadFileLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	if _, err := (Live{}).ReadFile(context.Background(), "/dev/zero"); !errors.Is(err, input.ErrTooLarge) {
		t.Errorf("err %v, want input.ErrTooLarge", err)
	}
}

// A resolv.conf that is a FIFO no one writes (--resolv-conf <(…) gone
// wrong) is left when the command's context ends, as on Ctrl-C: the read
// once used a context that never ended.
func TestLiveReadFileFIFOStops(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "resolv.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := (Live{}).ReadFile(ctx, fifo)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile of a FIFO no one writes did not return 10 s after its context ended")
	}
}
