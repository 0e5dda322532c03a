//go:build !linux

package sockdiag

import (
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/source"
)

// Conn is a NETLINK_SOCK_DIAG socket; sock_diag exists only on Linux.
type Conn struct{}

func unsupported(op string) error {
	return fmt.Errorf("%s on %s: %w", op, runtime.GOOS, source.ErrUnsupported)
}

// Open fails with source.ErrUnsupported: sock_diag exists only on Linux.
func Open(netnsFD int) (*Conn, error) { return nil, unsupported("open sock_diag socket") }

// Close fails with source.ErrUnsupported.
func (c *Conn) Close() error { return unsupported("close sock_diag socket") }

// Dump fails with source.ErrUnsupported.
func (c *Conn) Dump(q Query) (*Result, error) { return nil, unsupported("sock_diag dump") }
