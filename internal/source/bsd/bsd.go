// Package bsd is the live collector of NetBSD, OpenBSD and FreeBSD. It runs
// the system's own tools through internal/source/tool and reads their
// output with the same parsers as `openports analyze`:
//
//   - NetBSD and OpenBSD: `netstat -an` lists every socket, `fstat -n`
//     every process holding one; the two are joined by protocol, address
//     and port (internal/parse/join), and owners found that way are marked
//     Via "address".
//   - FreeBSD: `sockstat -46l` lists the listening sockets with every
//     holder.
//
// The collector itself is portable, so that it is tested on any OS with
// recorded outputs; internal/source/live picks it by GOOS. Native sysctl
// collection (net.inet.tcp.pcblist, kern.file2) can replace the tools later
// behind the same source.Source.
package bsd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/fstat"
	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/parse/sockstat"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/tool"
)

// Collector collects the sockets of one BSD host.
type Collector struct {
	// OS is "netbsd", "openbsd" or "freebsd".
	OS string
	// Run runs the tools (tool.Exec on a live host).
	Run tool.Runner
	// Options are the collector options; Established keeps connected
	// sockets.
	Options source.Options
	// Now, Hostname and EUID describe the host (time.Now, os.Hostname,
	// os.Geteuid on a live host).
	Now      func() time.Time
	Hostname func() (string, error)
	EUID     int
}

var _ source.Source = (*Collector)(nil)

// New returns the live collector of goos.
func New(goos string, opt source.Options) *Collector {
	return &Collector{OS: goos, Run: tool.Exec{}, Options: opt, Now: time.Now, Hostname: os.Hostname, EUID: os.Geteuid()}
}

// Step is one tool run and the parser of its output.
type Step struct {
	Name   string
	Args   []string
	Parser parse.Parser
	// Owners is true for the tool that shows the processes; a failure of
	// it costs the owners, not the sockets.
	Owners bool
}

// Command is the step's command line.
func (s Step) Command() string { return strings.Join(append([]string{s.Name}, s.Args...), " ") }

// Plan returns the tool runs for goos, or an error for an OS this package
// does not cover.
func Plan(goos string) ([]Step, error) {
	switch goos {
	case "netbsd", "openbsd":
		return []Step{
			{Name: "netstat", Args: []string{"-an"}, Parser: netstat.NewBSD()},
			{Name: "fstat", Args: []string{"-n"}, Parser: fstat.New(), Owners: true},
		}, nil
	case "freebsd":
		return []Step{{Name: "sockstat", Args: []string{"-46l"}, Parser: sockstat.New(), Owners: true}}, nil
	}
	return nil, fmt.Errorf("bsd collector: %s: %w", goos, source.ErrUnsupported)
}

// Snapshot runs the tools and returns what they show.
func (c *Collector) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	steps, err := Plan(c.OS)
	if err != nil {
		return nil, err
	}
	taken := c.Now()
	parts, gaps, err := RunSteps(ctx, c.Run, steps)
	if err != nil {
		return nil, err
	}
	joined := join.Join(parts)
	snap := joined.Snapshot
	snap.Source = c.OS + "/" + ToolNames(parts)
	snap.OS = c.OS
	// The three BSDs default to net.inet6.ip6.v6only=1.
	snap.BindV6Only = snapshot.Bool(true)
	snap.Taken = taken
	snap.Privilege = snapshot.Privilege{EUID: c.EUID}
	if c.Hostname != nil {
		if h, err := c.Hostname(); err == nil {
			snap.Host = h
		}
	}
	snap.Gaps = append(snap.Gaps, gaps...)
	Finish(snap, c.EUID, steps, c.Options)
	return snap, nil
}

// RunSteps runs steps in order and parses their outputs. A failed sockets
// tool is an error; a failed owners tool, and lines a parser did not
// understand, become Gaps.
func RunSteps(ctx context.Context, run tool.Runner, steps []Step) ([]join.Part, []snapshot.Gap, error) {
	var parts []join.Part
	var gaps []snapshot.Gap
	for _, s := range steps {
		out, err := run.Run(ctx, s.Name, s.Args...)
		if err != nil {
			if s.Owners && len(parts) > 0 {
				gaps = append(gaps, snapshot.Gap{Area: "owners", Reason: "tool-failed",
					Args:   map[string]string{"command": s.Command(), "error": err.Error()},
					Detail: fmt.Sprintf("%s failed, so no owner is known: %v", s.Command(), err)})
				continue
			}
			return nil, nil, fmt.Errorf("collect sockets: %w", err)
		}
		res, err := s.Parser.Parse(bytes.NewReader(out), s.Command())
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s output: %w", s.Command(), err)
		}
		if n := len(res.Problems); n > 0 {
			gaps = append(gaps, snapshot.Gap{Area: "sockets", Reason: "unparsed-lines",
				Args:   map[string]string{"lines": strconv.Itoa(n), "command": s.Command(), "first": fmt.Sprint(res.Problems[0])},
				Detail: fmt.Sprintf("%d lines of %s output were not understood, the first: %v", n, s.Command(), res.Problems[0]),
				Count:  n})
		}
		parts = append(parts, join.Part{Format: s.Parser.Format(), Label: s.Command(), Snapshot: res.Snapshot})
	}
	return parts, gaps, nil
}

// ToolNames names the tools whose output parts hold ("netstat+fstat"),
// from their labels (the command lines).
func ToolNames(parts []join.Part) string {
	var names []string
	for _, p := range parts {
		name, _, _ := strings.Cut(p.Label, " ")
		names = append(names, name)
	}
	return strings.Join(names, "+")
}

// Finish applies what every tool-based collector does last: says when a
// run without root saw only some owners, drops connected sockets unless
// asked for, and sorts.
func Finish(snap *snapshot.Snapshot, euid int, steps []Step, opt source.Options) {
	if euid != 0 {
		for _, s := range steps {
			if s.Owners {
				snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "owners", Reason: "not-root",
					Args:   map[string]string{"command": s.Command(), "uid": strconv.Itoa(euid)},
					Detail: fmt.Sprintf("%s ran as uid %d and shows only that user's processes; run openports as root to see every owner", s.Command(), euid)})
			}
		}
	}
	if !opt.Established {
		join.KeepListening(snap)
	}
	snap.Sort()
}
