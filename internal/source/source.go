// Package source defines the one seam between the things that observe a host
// (live collectors per OS, parsers of saved tool outputs) and the rest of
// openports, which only ever reads a snapshot.Snapshot.
package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/openports/openports/internal/snapshot"
)

// Source produces a snapshot.
type Source interface {
	Snapshot(ctx context.Context) (*snapshot.Snapshot, error)
}

// Options selects what a live collector gathers.
type Options struct {
	// Raw includes raw (IP-level) sockets.
	Raw bool
	// Established includes connected TCP sockets and connected UDP
	// sockets, not only listeners and unconnected datagram sockets.
	Established bool
	// AllNamespaces collects every network namespace that can be
	// entered, not only the collector's own.
	AllNamespaces bool
	// ProcRoot is where procfs is mounted ("/proc" when empty).
	ProcRoot string
	// NoNetlink forces the /proc/net fallback (for tests and for kernels
	// whose sock_diag misbehaves).
	NoNetlink bool
	// Owners says how owners are found where there is a choice (Linux):
	// OwnersAuto (the zero value), OwnersProc or OwnersEBPF.
	Owners OwnerChoice
}

// OwnerChoice says how a collector finds the processes that hold sockets.
type OwnerChoice string

// The owner mappings a run may ask for (the --owners flag).
const (
	// OwnersAuto lets the collector pick the faster way this run may use.
	OwnersAuto OwnerChoice = "auto"
	// OwnersProc always scans /proc/PID/fd.
	OwnersProc OwnerChoice = "proc"
	// OwnersEBPF always uses the eBPF task_file iterator, and fails when
	// it cannot be loaded.
	OwnersEBPF OwnerChoice = "ebpf"
)

// ParseOwnerChoice checks the value of --owners: auto (or empty), proc or
// ebpf.
func ParseOwnerChoice(s string) (OwnerChoice, error) {
	switch c := OwnerChoice(s); c {
	case "", OwnersAuto:
		return OwnersAuto, nil
	case OwnersProc, OwnersEBPF:
		return c, nil
	}
	return "", fmt.Errorf("unknown --owners %q (want auto, proc or ebpf)", s)
}

// ErrUnsupported is returned by live collectors on platforms they do not
// support yet.
var ErrUnsupported = errors.New("live collection is not supported on this platform")
