package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/provenance"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/live"
)

const baselineExample = `  # write the policy of what listens now, review it, then check against it
  sudo openports baseline --write /etc/openports.yaml
  sudo openports check --policy /etc/openports.yaml
  sudo openports list --policy /etc/openports.yaml; echo "exit $?"

  # print it instead (to keep it in version control elsewhere)
  sudo openports baseline > host.yaml`

type baselineOptions struct {
	write  string
	netns  string
	procFS string
}

func newBaselineCmd(g *globalOptions) *cobra.Command {
	var o baselineOptions
	cmd := &cobra.Command{
		Use:   "baseline [--write FILE]",
		Short: "Print (or write) a YAML policy of what listens now, for check --policy",
		Long: `baseline writes a readable YAML policy of every socket that listens now,
loopback ones included: one rule per protocol, port, exposure and address
with the main process and its user. Edit it at will: a port may be a range
("60000-60100"), exposure one of loopback, address (with address:), all,
link-local or device, process and user a name or a list; comments are kept
by you, and a rule marked optional: true is never reported missing.
A port published by a DNAT rule (Docker, Podman, kube-proxy), with or
without a host socket, is written with published: true and the name of
the container it goes to (container: web, or NAMESPACE/NAME for a pod):
no PIDs or IDs, which change when the container is recreated.

'openports check --policy FILE' and 'openports list --policy FILE' then
report what is new, what is missing, and what changed exposure (loopback
→ all interfaces) or owner, and exit 1 on any of these. A port a rule
allows only for a named process or user, whose owner could not be seen, is
"not proven allowed", never "no violation" (exit 3 when nothing else
applies).

The policy goes to standard output, or with --write FILE to that file.
(-o is the global output format flag, so it does not name the file here.)`,
		Example: baselineExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lo := listOptions{netns: o.netns, procFS: o.procFS, owners: "auto"}
			sopt, err := lo.sourceOptions()
			if err != nil {
				return exitWith(report.ExitUsage, err)
			}
			snap, err := live.New(sopt).Snapshot(cmd.Context())
			if err != nil {
				if errors.Is(err, source.ErrUnsupported) {
					return exitWith(report.ExitUsage, err)
				}
				return exitWith(report.ExitIncomplete, fmt.Errorf("collect: %w", err))
			}
			aopt, err := g.analysisOptions(true)
			if err != nil {
				return exitWith(report.ExitIncomplete, err)
			}
			rep := analysis.Build(snap, aopt)
			return writeBaseline(g, rep, o.write)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.write, "write", "", "write the policy to FILE instead of standard output")
	f.StringVar(&o.netns, "netns", "current", "network namespaces: current, or all that can be entered")
	f.StringVar(&o.procFS, "proc", "/proc", "where procfs is mounted")
	_ = f.MarkHidden("proc")
	return cmd
}

// writeBaseline writes the policy of rep to file, or to standard output.
// An incomplete view is written all the same, with a warning: rules of
// sockets of unknown owner name no process.
func writeBaseline(g *globalOptions, rep *report.Report, file string) error {
	name := file
	if name == "" {
		name = "-"
	}
	lang := g.language()
	// The host name is outside text: escaped, it cannot end the comment
	// and add lines to the policy.
	host := render.Escape(rep.Host)
	if host == "" {
		host = render.Text(lang, render.MsgBaselineThisHost)
	}
	header := []string{
		render.Text(lang, render.MsgBaselineWhat, host),
		render.Text(lang, render.MsgBaselineWritten, time.Now().UTC().Format(time.RFC3339)),
		render.Text(lang, render.MsgBaselinePorts),
		render.Text(lang, render.MsgBaselineProcesses),
	}
	data := policy.FromReport(rep, name).Marshal(header)
	if file == "" {
		if _, err := g.stdout.Write(data); err != nil {
			return exitWith(report.ExitWrite, fmt.Errorf("write policy: %w", err))
		}
	} else if err := outfile.Write(file, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return exitWith(report.ExitWrite, fmt.Errorf("write policy: %w", err))
	}
	if !rep.Complete {
		g.warn(render.MsgWarnIncomplete)
		g.suggestRoot(rep)
		return exitWith(report.ExitIncomplete, nil)
	}
	return nil
}

// loadPolicy reads and parses a policy file; errors name file, line and
// column.
func loadPolicy(ctx context.Context, file string) (*policy.Policy, error) {
	// A FIFO or a pipe (--policy <(…)) may never end: ctx stops the read.
	data, err := input.ReadFile(ctx, file, input.Policy)
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	p, err := policy.Parse(data, file)
	if err != nil {
		// A policy error may quote the file: escaped, and cut, so that
		// --policy /etc/passwd cannot paste the whole file.
		return nil, errors.New(truncateMessage(render.Escape(err.Error())))
	}
	return p, nil
}

// provenanceFunc reads the init system's configuration under root for
// analysis; its unreadable lines are warnings on standard error. It is nil
// when root holds no configuration openports knows.
func provenanceFunc(g *globalOptions, root, goos string) (analysis.ProvenanceFunc, error) {
	res, err := openProvenance(root, goos)
	if err != nil {
		return nil, err
	}
	return g.provenanceOf(res), nil
}

// startProvenance reads the configuration under root on another
// goroutine, for a command that needs it only after collecting from the
// kernel: on a systemd host that is hundreds of unit files, read while the
// collection waits instead of after it. The function it returns waits for
// the reading and then does what provenanceFunc does; for a snapshot of
// another system than goos it reads again, for that system.
func startProvenance(g *globalOptions, root, goos string) func(snapOS string) (analysis.ProvenanceFunc, error) {
	type opened struct {
		res *provenance.Resolver
		err error
	}
	done := make(chan opened, 1)
	go func() {
		res, err := openProvenance(root, goos)
		done <- opened{res, err}
	}()
	return func(snapOS string) (analysis.ProvenanceFunc, error) {
		o := <-done
		if snapOS != goos {
			return provenanceFunc(g, root, snapOS)
		}
		if o.err != nil {
			return nil, o.err
		}
		return g.provenanceOf(o.res), nil
	}
}

// openProvenance reads the init system's configuration under root; nil
// for no root.
func openProvenance(root, goos string) (*provenance.Resolver, error) {
	if root == "" {
		return nil, nil
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("--root: %w", err)
	}
	if !st.IsDir() {
		return nil, render.Err(render.MsgUsageRootNotDir, render.Escape(root))
	}
	// The root stays open for the run: systemd verdicts read
	// /proc/PID/cgroup under it while rows are built.
	fsys, err := provenance.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("--root %s: %w", root, err)
	}
	res, err := provenance.New(fsys, goos)
	if err != nil {
		return nil, fmt.Errorf("--root %s: %w", root, err)
	}
	return res, nil
}

// provenanceOf is what analysis asks of res, saying on standard error
// which lines of the configuration could not be read; nil when res found
// no configuration openports knows.
func (g *globalOptions) provenanceOf(res *provenance.Resolver) analysis.ProvenanceFunc {
	if res == nil {
		return nil
	}
	said := 0
	warn := func() {
		problems := res.Problems()
		for _, p := range problems[said:] {
			fmt.Fprintf(g.stderr, "openports: %s\n", render.Text(g.language(), render.MsgWarning, truncateMessage(render.Escape(fmt.Sprint(p)))))
		}
		said = len(problems)
	}
	warn()
	if res.Kind() == provenance.KindNone {
		return nil
	}
	// Unit files are read when a verdict needs them: what could not be
	// read is said then.
	return func(proto snapshot.Proto, port uint16, owner snapshot.Owner) *snapshot.Provenance {
		p := res.Resolve(proto, port, owner)
		warn()
		return p
	}
}

// maxMessage is the longest error or warning text openports prints about
// an input: enough for a file, line and what was expected.
const maxMessage = 300

// truncateMessage cuts s to maxMessage bytes (on a rune boundary) with
// "…".
func truncateMessage(s string) string { return parse.ClipTo(s, maxMessage) }
