package linux

import "github.com/openports/openports/internal/snapshot"

// The snapshot.Snapshot.OwnerMethod values the collector sets.
const (
	// MethodProc names owners found by one pass over /proc/PID/fd.
	MethodProc = snapshot.OwnerMethodProcFD
	// MethodEBPF names owners found by the eBPF task_file iterator.
	MethodEBPF = snapshot.OwnerMethodEBPF
	// MethodProcEBPF names owners found by the /proc scan, completed by
	// the eBPF iterator because /proc refused some descriptor tables.
	MethodProcEBPF = snapshot.OwnerMethodProcEBPF
)
