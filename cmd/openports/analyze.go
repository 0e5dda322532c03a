package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/multi"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/render"
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

// maxWarnings is how many lines not understood (and parts, and joins) are
// described on standard error; the rest are counted.
const maxWarnings = 100

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
an empty input or one no line of which could be read, or a problem line
with --strict; 3 incomplete view: some owners are unknown (the output has
no process column, or no owner part holds the socket), a line was not
understood (a last line without a newline may have been cut and is not
used), or the output cannot show listening sockets (netstat without -a or
-l).`,
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
	f.StringVar(&o.policy, "policy", "", "compare with the YAML policy FILE (see 'openports baseline'); exit 1 on a new, missing or changed listener; a port a rule allows only for a named process or user whose owner could not be seen is not proven allowed (exit 3)")
	return cmd
}

func runAnalyze(cmd *cobra.Command, g *globalOptions, o *analyzeOptions, args []string) error {
	out, err := newOutput(g, render.Reports)
	if err != nil {
		return err
	}
	if o.format != "" {
		if _, err := multi.ByFormat(o.format); err != nil {
			return exitWith(report.ExitUsage, render.Err(render.MsgUsageInputFormat, render.Escape(o.format), strings.Join(multi.Formats(), ", ")))
		}
	}
	var parts []join.Part
	problems, described, connected := 0, 0, 0
	for _, name := range args {
		in, err := readInput(cmd, name, multi.Options{Format: o.format, ListeningOnly: !o.established})
		if err != nil {
			return exitWith(report.ExitUsage, err)
		}
		for _, s := range in.Segments {
			if described++; described <= maxWarnings {
				fmt.Fprintf(g.stderr, "analyze: %s\n", render.Escape(describeSegment(g.language(), name, s)))
			}
			if s.Result != nil {
				connected += s.Result.Connected
			}
			if s.Result != nil && s.Result.Snapshot != nil {
				parts = append(parts, join.Part{Format: s.Format, Label: fmt.Sprintf("%s:%d-%d", name, s.First, s.Last), Snapshot: s.Result.Snapshot})
			}
		}
		for _, p := range in.Problems {
			if problems++; problems <= maxWarnings {
				fmt.Fprintf(g.stderr, "analyze: %s\n", render.Text(g.language(), render.MsgWarning, render.Escape(p.Error())))
			}
		}
		problems += in.MoreProblems
		if err := in.NoOutput(); err != nil {
			return exitWith(report.ExitUsage, err)
		}
	}
	if described > maxWarnings {
		fmt.Fprintf(g.stderr, "analyze: %s\n", render.Text(g.language(), render.MsgAnalyzeMoreParts, described-maxWarnings))
	}
	if problems > maxWarnings {
		fmt.Fprintf(g.stderr, "analyze: ... %s\n", render.Text(g.language(), render.MsgWarnMoreOmitted, problems-maxWarnings))
	}
	if problems > 0 {
		lang := g.language()
		notUnderstood := render.Text(lang, render.MsgAnalyzeNotUnderstood, problems)
		if o.strict {
			fmt.Fprintf(g.stderr, "analyze: %s\n", notUnderstood)
			return exitWith(report.ExitUsage, fmt.Errorf("--strict: %s", notUnderstood))
		}
		fmt.Fprintf(g.stderr, "analyze: %s %s\n", notUnderstood, render.Text(lang, render.MsgAnalyzeSkipped))
	}
	if !o.established {
		// Before the join, which would copy every connected socket.
		for _, p := range parts {
			connected += join.KeepListening(p.Snapshot)
		}
	}
	joined := join.Join(parts)
	if problems > 0 {
		joined.Snapshot.Gaps = append(joined.Snapshot.Gaps, multi.ProblemsGap(problems))
	}
	if n := joined.Unbound; n > 0 {
		fmt.Fprintf(g.stderr, "analyze: %s\n", render.Text(g.language(), render.MsgAnalyzeUnbound, n))
	}
	for i, m := range joined.Matches {
		if i == maxWarnings {
			fmt.Fprintf(g.stderr, "analyze: %s\n", render.Text(g.language(), render.MsgAnalyzeMoreJoined, len(joined.Matches)-maxWarnings))
			break
		}
		fmt.Fprintf(g.stderr, "analyze: %s\n", render.Escape(render.Text(g.language(), render.MsgAnalyzeJoined,
			m.Matched, m.Part, m.Format, strings.Join(m.OwnerFormats, "+"), m.Unmatched)))
	}
	if n := connected; n > 0 {
		fmt.Fprintf(g.stderr, "analyze: %s\n", render.Text(g.language(), render.MsgAnalyzeConnected, n))
	}
	aopt, err := g.analysisOptions(o.all)
	if err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	var pol *policy.Policy
	if o.policy != "" {
		if pol, err = loadPolicy(cmd.Context(), o.policy); err != nil {
			return exitWith(report.ExitUsage, err)
		}
		aopt.All = true
	}
	if aopt.Provenance, err = provenanceFunc(g, o.root, joined.Snapshot.OS); err != nil {
		return exitWith(report.ExitUsage, err)
	}
	if o.firewall != "" {
		rs, err := readFirewallFile(cmd.Context(), o.firewall)
		if err != nil {
			return exitWith(report.ExitUsage, err)
		}
		joined.Snapshot.Firewall = rs
	}
	rep := analysis.Build(joined.Snapshot, aopt)
	if pol != nil {
		policy.Apply(pol, rep)
	}
	if err := out.emit(rep); err != nil {
		return err
	}
	if rep.ExitCode != report.ExitOK {
		return exitWith(rep.ExitCode, nil)
	}
	return nil
}

// readInput parses one named input ("-" is standard input).
func readInput(cmd *cobra.Command, name string, opt multi.Options) (*multi.Input, error) {
	rd, closeFile, err := input.Open(cmd.Context(), name, cmd.InOrStdin(), input.ToolOutput)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	defer closeFile()
	opt.Context = cmd.Context()
	in, err := multi.Parse(rd, name, opt)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return in, nil
}

// describeSegment is the stderr line naming what a segment was read as.
func describeSegment(lang, name string, s multi.Segment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d-%d: %s", name, s.First, s.Last, s.Format)
	switch {
	case s.Forced:
		b.WriteString(" " + render.Text(lang, render.MsgAnalyzeForced))
	case s.Format != multi.FormatUnknown:
		var also []string
		for _, c := range s.Alternatives {
			if c.Format != s.Format {
				also = append(also, fmt.Sprintf("%s %d", c.Format, c.Score))
			}
		}
		if len(also) > 0 {
			b.WriteString(" " + render.Text(lang, render.MsgAnalyzeScoreAlso, s.Score, strings.Join(also, ", ")))
		} else {
			b.WriteString(" " + render.Text(lang, render.MsgAnalyzeScore, s.Score))
		}
	}
	if s.Command != "" {
		b.WriteString(" " + render.Text(lang, render.MsgAnalyzeAfter, parse.Clip(s.Command)))
	}
	return b.String()
}
