package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

const diffExample = `  # what changed since the snapshot taken before an upgrade
  sudo openports diff before.json -

  # two saved snapshots, for scripts (exit 1 when they differ)
  openports diff monday.json tuesday.json -o json | jq '.changes[] | select(.kind == "new")'`

type diffOptions struct {
	listOptions
	established bool
	explain     bool
}

func newDiffCmd(g *globalOptions) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two snapshots: sockets and owners that appeared, vanished or changed",
		Long: `diff compares snapshot A (before) with snapshot B (after) and lists every
listening or bound socket that is new in B, gone from A, or whose owners or
exposure changed. A and B are files written by 'openports snapshot'; '-'
stands for a live snapshot of this host taken now (to read a snapshot from
standard input, name /dev/stdin).

A socket is the same in both when its namespace, protocol, local address and
port are: a daemon that restarted shows as an owner change (new PIDs), a
service moved from 127.0.0.1 to 0.0.0.0 as one gone and one new line. An
owner that one side could not see (no privilege) is not counted as a change.

Exit status: 0 when the snapshots are the same, 1 when they differ, 2 when a
snapshot cannot be read, 3 when they do not differ but one has gaps (what
it could not see may have changed).`,
		Example: diffExample,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, g, &o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.established, "established", false, "compare connected sockets too")
	f.BoolVar(&o.explain, "explain", false, "say what usually opens the sockets marked as ephemeral")
	f.StringVar(&o.owners, "owners", "auto", "for '-': how owners are found (Linux): auto, proc or ebpf")
	f.StringVar(&o.netns, "netns", "current", "for '-': network namespaces to collect: current or all")
	return cmd
}

func runDiff(cmd *cobra.Command, g *globalOptions, o *diffOptions, pa, pb string) error {
	g.explain = o.explain
	out, err := newOutput(g, render.Diffs)
	if err != nil {
		return err
	}
	o.procFS = "/proc"
	a, err := loadSnapshot(cmd, &o.listOptions, pa)
	if err != nil {
		return err
	}
	b, err := loadSnapshot(cmd, &o.listOptions, pb)
	if err != nil {
		return err
	}
	r := diff.Compare(a, b, diff.Options{Established: o.established})
	if err := out.emit(r); err != nil {
		return err
	}
	if r.Differ() {
		return exitWith(report.ExitFindings, nil)
	}
	if r.Incomplete() {
		return exitWith(report.ExitIncomplete, nil)
	}
	return nil
}

// loadSnapshot reads the snapshot file at path, or collects one now for "-".
func loadSnapshot(cmd *cobra.Command, o *listOptions, path string) (*snapshot.Snapshot, error) {
	if path == "-" {
		return collectNow(cmd, o)
	}
	f, closeFile, err := input.Open(cmd.Context(), path, nil, input.Snapshot)
	if err != nil {
		return nil, exitWith(report.ExitUsage, fmt.Errorf("read snapshot: %w", err))
	}
	defer closeFile()
	s, err := snapshot.Read(f)
	if err != nil {
		return nil, exitWith(report.ExitUsage, fmt.Errorf("read %s: %w", render.Escape(path), err))
	}
	return s, nil
}
