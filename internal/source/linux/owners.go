package linux

// The snapshot.Snapshot.OwnerMethod values the collector sets.
const (
	// MethodProc names owners found by one pass over /proc/PID/fd.
	MethodProc = "proc-fd"
	// MethodEBPF names owners found by the eBPF task_file iterator
	// (bpfowners.Method).
	MethodEBPF = "ebpf-task-file"
	// MethodProcEBPF names owners found by the /proc scan, completed by
	// the eBPF iterator because /proc refused some descriptor tables.
	MethodProcEBPF = "proc-fd+ebpf-task-file"
)
