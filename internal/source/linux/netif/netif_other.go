//go:build !linux

package netif

import (
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
)

// Interfaces fails with source.ErrUnsupported: it reads Linux rtnetlink.
func Interfaces(netnsFD int) ([]snapshot.Interface, error) {
	return nil, fmt.Errorf("list interfaces on %s: %w", runtime.GOOS, source.ErrUnsupported)
}
