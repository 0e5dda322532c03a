package linux

import (
	"context"
	"fmt"
)

// OwnerChoice says how the collector finds the processes that hold sockets.
type OwnerChoice string

// The owner mappings a run may ask for (the --owners flag).
const (
	// OwnersAuto uses the eBPF task_file iterator where it is the faster
	// one (a host with many open files) and this run may load it
	// (bpfowners.Available), and the /proc scan otherwise.
	OwnersAuto OwnerChoice = "auto"
	// OwnersProc always uses the /proc scan (package fdscan).
	OwnersProc OwnerChoice = "proc"
	// OwnersEBPF always uses the eBPF iterator, and fails when it cannot
	// be loaded.
	OwnersEBPF OwnerChoice = "ebpf"
)

// The snapshot.Snapshot.OwnerMethod values the collector sets.
const (
	// MethodProc names owners found by one pass over /proc/PID/fd.
	MethodProc = "proc-fd"
	// MethodEBPF names owners found by the eBPF task_file iterator
	// (bpfowners.Method).
	MethodEBPF = "ebpf-task-file"
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

type ownersKey struct{}

// WithOwners returns a context that asks the collector for owner mapping
// c. It carries the choice until source.Options has a field for it
// (requested); a context without it means OwnersAuto.
func WithOwners(ctx context.Context, c OwnerChoice) context.Context {
	return context.WithValue(ctx, ownersKey{}, c)
}

// ownersFrom returns the choice WithOwners stored in ctx, or OwnersAuto.
func ownersFrom(ctx context.Context) OwnerChoice {
	if c, ok := ctx.Value(ownersKey{}).(OwnerChoice); ok && c != "" {
		return c
	}
	return OwnersAuto
}
