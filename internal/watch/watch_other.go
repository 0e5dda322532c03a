//go:build !linux

package watch

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// Modes of Options.Mode.
const (
	ModeAuto = "auto"
	ModeEBPF = "ebpf"
	ModePoll = "poll"
)

// Options configure a watch (see the Linux documentation).
type Options struct {
	Interval    time.Duration
	Mode        string
	NetNSPath   string
	ProcRoot    string
	RescanEvery int
	AfterPoll   func(now time.Time)
	Reach       func(Event)
}

// AllNetNS as Options.NetNSPath watches every network namespace (Linux).
const AllNetNS = "all"

// DefaultInterval is the poll interval when Options.Interval is 0.
const DefaultInterval = time.Second

// Run is not supported outside Linux yet.
func Run(ctx context.Context, opt Options, emit func(Event)) (Summary, error) {
	return Summary{}, fmt.Errorf("watch is not supported on %s yet", runtime.GOOS)
}
