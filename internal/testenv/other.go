//go:build !linux

package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Proc is a process started by a test. Outside Linux none is ever started.
type Proc struct {
	// PID is the process id.
	PID int
}

// Stop does nothing outside Linux: no process was started.
func (p *Proc) Stop() {}

// Env is a private network for one test; it exists only on Linux.
type Env struct {
	*NS
	// Peer is the namespace at the other end of the veth pair.
	Peer *NS
	// Mode says how the namespaces were made.
	Mode Mode
}

// NS is one network namespace; it exists only on Linux.
type NS struct{}

// New skips t: network namespaces are Linux's.
func New(t testing.TB) *Env {
	t.Helper()
	t.Skip("needs Linux network namespaces")
	return nil
}

func runRole(role, _ string) int {
	fmt.Fprintf(os.Stderr, "testenv: role %s needs Linux\n", role)
	return 1
}
