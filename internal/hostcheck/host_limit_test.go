package hostcheck

import (
	"errors"
	"os"
	"testing"

	"github.com/openports/openports/internal/input"
)

// A resolv.conf that never ends (a device) is refused at the size limit
// instead of being read into memory.
func TestLiveReadFileLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	if _, err := (Live{}).ReadFile("/dev/zero"); !errors.Is(err, input.ErrTooLarge) {
		t.Errorf("err %v, want input.ErrTooLarge", err)
	}
}
