//go:build !linux

package netif

import (
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/source"
)

// Connected reports whether a network namespace is wired to the caller's;
// only Linux has network namespaces.
func Connected(fd int) (bool, error) {
	return false, fmt.Errorf("namespace IDs on %s: %w", runtime.GOOS, source.ErrUnsupported)
}
