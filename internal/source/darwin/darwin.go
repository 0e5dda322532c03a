// Package darwin is the live collector of macOS. It runs `lsof -i -n -P`
// through internal/source/tool, which lists every holder of every Internet
// socket it may see, and falls back to `netstat -anv` (one process per
// socket, from its pid column) when lsof is missing or fails. Both outputs
// are read with the parsers of `openports analyze`.
//
// The collector is portable, so that it is tested on any OS with recorded
// outputs; internal/source/live picks it on darwin.
package darwin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/lsof"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/bsd"
	"github.com/openports/openports/internal/source/tool"
)

// Collector collects the sockets of one macOS host.
type Collector struct {
	// Run runs the tools (tool.Exec on a live host).
	Run tool.Runner
	// Options are the collector options; Established keeps connected
	// sockets.
	Options source.Options
	// Now, Hostname and EUID describe the host.
	Now      func() time.Time
	Hostname func() (string, error)
	EUID     int
}

var _ source.Source = (*Collector)(nil)

// New returns the live macOS collector.
func New(opt source.Options) *Collector {
	return &Collector{Run: tool.Exec{}, Options: opt, Now: time.Now, Hostname: os.Hostname, EUID: os.Geteuid()}
}

// The tool runs: lsof first, netstat -anv when lsof cannot be used.
var (
	lsofStep    = bsd.Step{Name: "lsof", Args: []string{"-i", "-n", "-P"}, Parser: lsof.Table, Owners: true}
	netstatStep = bsd.Step{Name: "netstat", Args: []string{"-anv"}, Parser: netstat.NewDarwin()}
)

// Snapshot runs the tools and returns what they show.
func (c *Collector) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	taken := c.Now()
	steps := []bsd.Step{lsofStep}
	parts, gaps, err := bsd.RunSteps(ctx, c.Run, steps)
	source := "darwin/lsof"
	if err != nil {
		steps = []bsd.Step{netstatStep}
		var err2 error
		parts, gaps, err2 = bsd.RunSteps(ctx, c.Run, steps)
		if err2 != nil {
			return nil, errors.Join(err, err2)
		}
		gaps = append(gaps, snapshot.Gap{Area: "owners", Reason: "lsof-failed",
			Args:   map[string]string{"command": lsofStep.Command(), "error": err.Error()},
			Detail: fmt.Sprintf("%s could not be used (%v); netstat -anv shows one process per socket, so other holders may be missing", lsofStep.Command(), err)})
		source = "darwin/netstat"
	}
	snap := join.Join(parts).Snapshot
	snap.Source = source
	snap.OS = "darwin"
	// macOS defaults to net.inet6.ip6.v6only=0: [::] accepts IPv4 too.
	snap.BindV6Only = snapshot.Bool(false)
	snap.Taken = taken
	snap.Privilege = snapshot.Privilege{EUID: c.EUID}
	if c.Hostname != nil {
		if h, err := c.Hostname(); err == nil {
			snap.Host = h
		}
	}
	snap.Gaps = append(snap.Gaps, gaps...)
	bsd.Finish(snap, c.EUID, steps, c.Options)
	return snap, nil
}
