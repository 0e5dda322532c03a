package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/live"
)

const snapshotExample = `  # save what this host exposes now, to compare after a change
  sudo openports snapshot --write before.json
  sudo apt-get install some-package
  sudo openports diff before.json -

  # the same, through standard output
  sudo openports snapshot > before.json`

type snapshotOptions struct {
	listOptions
	write string
}

func newSnapshotCmd(g *globalOptions) *cobra.Command {
	var o snapshotOptions
	cmd := &cobra.Command{
		Use:   "snapshot [--write FILE]",
		Short: "Save every listening and bound socket with its owners as a JSON snapshot",
		Long: `snapshot collects what list shows (every listening TCP socket and bound UDP
socket, loopback included, with every process that holds it) and writes the
full snapshot as JSON: host name, time, kernel release, the privilege the
collection ran with, the ephemeral port range, interfaces and what could not
be seen (gaps). 'openports diff' compares two snapshots, or a snapshot with
the host now.

The snapshot goes to standard output, or to FILE with --write (written to a
temporary file first and renamed, so FILE is never half-written). A snapshot
is always JSON: -o (the output format of the other commands) does not apply,
which is why the file is not named with -o.

Exit status 3 when the view is incomplete (the snapshot is still written,
its gaps say what is missing).`,
		Example: snapshotExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSnapshot(cmd, g, &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.write, "write", "w", "", "write the snapshot to `FILE` instead of standard output")
	f.StringVar(&o.netns, "netns", "current", "network namespaces to collect: current, or all that can be entered")
	f.BoolVar(&o.raw, "raw", false, "include raw IP sockets")
	f.BoolVar(&o.noNL, "no-netlink", false, "read /proc/net instead of asking the kernel through sock_diag netlink")
	f.StringVar(&o.owners, "owners", "auto", "how owners are found (Linux): auto, proc or ebpf (see list --help)")
	return cmd
}

// collectNow takes a live snapshot with the collector flags of o.
func collectNow(cmd *cobra.Command, o *listOptions) (*snapshot.Snapshot, error) {
	opt, err := o.sourceOptions()
	if err != nil {
		return nil, exitWith(report.ExitUsage, err)
	}
	snap, err := live.New(opt).Snapshot(cmd.Context())
	if err != nil {
		if errors.Is(err, source.ErrUnsupported) {
			return nil, exitWith(report.ExitUsage, err)
		}
		return nil, exitWith(report.ExitIncomplete, fmt.Errorf("collect: %w", err))
	}
	return snap, nil
}

func runSnapshot(cmd *cobra.Command, g *globalOptions, o *snapshotOptions) error {
	// A snapshot is always JSON: -o, when given, must say so (it used to
	// be ignored, which wrote to standard output what was meant for a
	// file named by -o).
	if cmd.Flags().Changed("output") && g.output != render.FormatJSON {
		return exitWith(report.ExitUsage, render.Err(render.MsgUsageSnapshotJSON, render.Escape(g.output)))
	}
	o.procFS = "/proc"
	snap, err := collectNow(cmd, &o.listOptions)
	if err != nil {
		return err
	}
	if o.write == "" {
		if err := snapshot.Write(g.stdout, snap); err != nil {
			return exitWith(report.ExitWrite, fmt.Errorf("write snapshot: %w", err))
		}
	} else if err := outfile.Write(o.write, 0o644, func(w io.Writer) error { return snapshot.Write(w, snap) }); err != nil {
		return exitWith(report.ExitWrite, fmt.Errorf("write snapshot: %w", err))
	}
	if len(snap.Gaps) > 0 {
		return exitWith(report.ExitIncomplete, nil)
	}
	return nil
}
