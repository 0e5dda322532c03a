package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/multi"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/report"
)

const analyzeExample = `  # the seed's listing followed by its fstat | grep : in one file: sockets
  # and owners are joined by address and port
  openports analyze saved-netbsd.txt

  # outputs saved on a host where nothing can be installed, in two files
  openports analyze netstat-an.txt fstat-n.txt

  # from a pipe, format given, any unreadable line an error (exit 2)
  ssh host 'sockstat -46l' | openports analyze --format sockstat --strict -

  # for scripts
  openports analyze -o json ss-tulpn.txt | jq '.rows[] | {proto, port, processes}'`

type analyzeOptions struct {
	format      string
	strict      bool
	all         bool
	established bool
	root        string // --root DIR: a saved copy of the host's /etc and more
	policy      string // --policy FILE
	firewall    string // --firewall FILE: a saved ruleset
}

func newAnalyzeCmd(g *globalOptions) *cobra.Command {
	var o analyzeOptions
	cmd := &cobra.Command{
		Use:   "analyze FILE... | -",
		Short: "List what saved outputs of netstat, ss, lsof, fstat or sockstat show, as list would",
		Long: `analyze reads saved outputs of netstat, ss, lsof, fstat or sockstat (a file
each, or several one after another in one file, or - for standard input)
and shows the same listing as 'openports list' would have on that host.

The format of each part is detected; --format overrides it (formats:
` + strings.Join(multi.Formats(), ", ") + `).
A part starts at a "# command" comment, a shell prompt line such as
"$ fstat" or "nbsd# sockstat -4ln", or another tool's header line. What was
recognised is printed to standard error, one line per part:

  analyze: FILE:FIRST-LAST: FORMAT (score N[; also FORMAT N ...]) [after "COMMAND"]

Sockets from one part (netstat, which shows no owners) are joined to the
owners another part shows (fstat, sockstat, lsof) by protocol, address and
port; such owners are marked "matched by address and port" in the NOTE
column and in the JSON (owners[].via = "address"), because two outputs taken
one after the other may not see the same socket.

Like list, analyze shows listening and unconnected sockets; connected ones
are counted on standard error and left out unless --established is given.

Lines no parser understands are warnings on standard error
(FILE:LINE: expected ..., got "...") with a count, and never cost a valid
line; --strict makes them an error.

Exit codes: 0 complete view; 2 usage error, missing file, unknown format,
an input no line of which could be read, or a problem line with --strict;
3 some owners are unknown (the output has no process column, or no owner
part holds the socket).`,
		Example: analyzeExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(cmd, g, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "parse every input as this format instead of detecting it")
	f.BoolVar(&o.strict, "strict", false, "exit 2 when any line is not understood")
	f.BoolVarP(&o.all, "all", "a", false, "show loopback-only sockets too")
	f.BoolVar(&g.explain, "explain", false, "under the table, say why each service found matters and how to restrict it")
	f.BoolVar(&o.established, "established", false, "keep connected sockets too (by default only listening and unconnected ones, as list shows)")
	f.StringVar(&o.root, "root", "", "a saved copy of the host's files (DIR/etc/rc.conf, DIR/etc/defaults/rc.conf, DIR/etc/rc.d, DIR/etc/inetd.conf, systemd units): say for each owner whether the admin enabled its service or it runs by default")
	f.StringVar(&o.firewall, "firewall", "", "a saved ruleset of the same host (pfctl -sr, iptables-save or ip6tables-save output): add a FIREWALL column with the verdict for a new connection to each row, from any interface and source")
	f.StringVar(&o.policy, "policy", "", "compare with the YAML policy FILE (see 'openports baseline'); exit 1 on a new, missing or changed listener")
	return cmd
}

func runAnalyze(cmd *cobra.Command, g *globalOptions, o *analyzeOptions, args []string) error {
	r, err := g.renderer()
	if err != nil {
		return exitWith(report.ExitUsage, err)
	}
	if o.format != "" {
		if _, err := multi.ByFormat(o.format); err != nil {
			return exitWith(report.ExitUsage, fmt.Errorf("--format: %w", err))
		}
	}
	var parts []join.Part
	problems := 0
	for _, name := range args {
		in, err := readInput(cmd, name, o.format)
		if err != nil {
			return exitWith(report.ExitUsage, err)
		}
		for _, s := range in.Segments {
			fmt.Fprintf(g.stderr, "analyze: %s\n", describeSegment(name, s))
			if s.Result != nil && s.Result.Snapshot != nil {
				parts = append(parts, join.Part{Format: s.Format, Label: fmt.Sprintf("%s:%d-%d", name, s.First, s.Last), Snapshot: s.Result.Snapshot})
			}
		}
		for _, p := range in.Problems {
			fmt.Fprintf(g.stderr, "analyze: warning: %s\n", p.Error())
		}
		problems += len(in.Problems)
		if len(in.Problems) > 0 && nothingParsed(in) {
			return exitWith(report.ExitUsage, fmt.Errorf("%s: no line is output of netstat, ss, lsof, fstat or sockstat", name))
		}
	}
	if problems > 0 {
		fmt.Fprintf(g.stderr, "analyze: %d %s not understood", problems, plural(problems, "line", "lines"))
		if o.strict {
			fmt.Fprintln(g.stderr)
			return exitWith(report.ExitUsage, fmt.Errorf("--strict: %d %s not understood", problems, plural(problems, "line", "lines")))
		}
		fmt.Fprintln(g.stderr, " (skipped; --strict makes this an error)")
	}
	joined := join.Join(parts)
	for _, m := range joined.Matches {
		fmt.Fprintf(g.stderr, "analyze: joined: %s\n", m)
	}
	if !o.established {
		if n := join.KeepListening(joined.Snapshot); n > 0 {
			fmt.Fprintf(g.stderr, "analyze: %d connected %s left out (--established keeps them)\n", n, plural(n, "socket", "sockets"))
		}
	}
	aopt, err := g.analysisOptions(o.all)
	if err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	var pol *policy.Policy
	if o.policy != "" {
		if pol, err = loadPolicy(o.policy); err != nil {
			return exitWith(report.ExitUsage, err)
		}
		aopt.All = true
	}
	if aopt.Provenance, err = provenanceFunc(g, o.root, joined.Snapshot.OS); err != nil {
		return exitWith(report.ExitUsage, err)
	}
	if o.firewall != "" {
		rs, err := readFirewallFile(o.firewall)
		if err != nil {
			return exitWith(report.ExitUsage, err)
		}
		joined.Snapshot.Firewall = rs
	}
	rep := analysis.Build(joined.Snapshot, aopt)
	if pol != nil {
		policy.Apply(pol, rep)
	}
	if err := r.Render(g.stdout, rep); err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	if rep.ExitCode != report.ExitOK {
		return exitWith(rep.ExitCode, nil)
	}
	return nil
}

// readInput parses one named input ("-" is standard input).
func readInput(cmd *cobra.Command, name, format string) (*multi.Input, error) {
	var rd io.Reader
	if name == "-" {
		rd = cmd.InOrStdin()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		defer f.Close()
		rd = f
	}
	in, err := multi.Parse(rd, name, multi.Options{Format: format})
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return in, nil
}

// describeSegment is the stderr line naming what a segment was read as.
func describeSegment(name string, s multi.Segment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d-%d: %s", name, s.First, s.Last, s.Format)
	switch {
	case s.Forced:
		b.WriteString(" (--format)")
	case s.Format != multi.FormatUnknown:
		fmt.Fprintf(&b, " (score %d", s.Score)
		var also []string
		for _, c := range s.Alternatives {
			if c.Format != s.Format {
				also = append(also, fmt.Sprintf("%s %d", c.Format, c.Score))
			}
		}
		if len(also) > 0 {
			b.WriteString("; also " + strings.Join(also, ", "))
		}
		b.WriteString(")")
	}
	if s.Command != "" {
		fmt.Fprintf(&b, " after %q", s.Command)
	}
	return b.String()
}

// nothingParsed reports whether no line of in became data.
func nothingParsed(in *multi.Input) bool {
	for _, s := range in.Segments {
		if s.Result != nil && s.Result.Parsed > 0 {
			return false
		}
	}
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
