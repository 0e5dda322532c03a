package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

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
	o.procFS = "/proc"
	snap, err := collectNow(cmd, &o.listOptions)
	if err != nil {
		return err
	}
	if o.write == "" {
		if err := snapshot.Write(g.stdout, snap); err != nil {
			return exitWith(report.ExitIncomplete, err)
		}
	} else if err := writeFileAtomic(o.write, snap); err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	if len(snap.Gaps) > 0 {
		return exitWith(report.ExitIncomplete, nil)
	}
	return nil
}

// writeFileAtomic writes snap to a temporary file beside path and renames
// it over path.
func writeFileAtomic(path string, snap *snapshot.Snapshot) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := snapshot.Write(tmp, snap); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
