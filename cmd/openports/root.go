package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/identity"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	output string // -o: table, json
	color  string // --color: auto, always, never
	lang   string // --lang: en, ja
	// explain adds, under the table, why each service found matters and
	// how to restrict it (--explain of list and analyze).
	explain bool
	// ephemeralPorts keeps ephemeral ports as metric labels.
	ephemeralPorts bool
	stdout         io.Writer
	stderr         io.Writer
}

// renderOptions checks --color and --lang and returns what every writer
// needs: colour and the width only on a terminal. It leaves Knowledge to
// withKnowledge, so that checking the command line does not wait for the
// knowledge base.
func (g *globalOptions) renderOptions() (render.Options, error) {
	var colour bool
	tty := isTerminal(g.stdout)
	switch g.color {
	case "always":
		colour = true
	case "never":
	case "auto", "":
		colour = tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	default:
		return render.Options{}, render.Err(render.MsgUsageUnknownValue, "--color", render.Escape(g.color), "auto, always", "never")
	}
	if l := strings.ToLower(g.lang); l != "" && l != "en" && l != "ja" && knowledge.NormalizeLang(l) != "ja" {
		return render.Options{}, render.Err(render.MsgUsageUnknownValue, "--lang", render.Escape(g.lang), "en", "ja")
	}
	o := render.Options{Color: colour, Lang: g.language(), Explain: g.explain, EphemeralPorts: g.ephemeralPorts}
	if tty {
		if w, _, err := term.GetSize(int(g.stdout.(*os.File).Fd())); err == nil {
			o.Width = w
		}
	}
	return o, nil
}

// output is a command's writer for -o, with its options: an unsupported
// format, colour or language is a usage error.
type output[T any] struct {
	g     *globalOptions
	write render.Writer[T]
	opt   render.Options
}

// newOutput checks -o against the formats reg supports; call it before any
// work, so that a usage error comes first.
func newOutput[T any](g *globalOptions, reg *render.Registry[T]) (*output[T], error) {
	w, err := reg.Writer(g.output)
	if err != nil {
		return nil, exitWith(report.ExitUsage, err)
	}
	opt, err := g.renderOptions()
	if err != nil {
		return nil, exitWith(report.ExitUsage, err)
	}
	return &output[T]{g: g, write: w, opt: opt}, nil
}

// emit writes v to standard output; failing to is ExitWrite.
func (o *output[T]) emit(v T) error {
	if err := withKnowledge(&o.opt); err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	if err := o.write(o.g.stdout, v, o.opt); err != nil {
		return exitWith(report.ExitWrite, err)
	}
	return nil
}

// withKnowledge sets the knowledge base of o, which supplies the texts of
// services and findings.
func withKnowledge(o *render.Options) error {
	if o.Knowledge != nil {
		return nil
	}
	kb, err := knowledge.Load()
	if err != nil {
		return fmt.Errorf("load the service knowledge base: %w", err)
	}
	o.Knowledge = kb
	return nil
}

// prefetchKnowledge decodes the knowledge base on another goroutine, for a
// command that needs it only after collecting from the kernel: the decoding
// then overlaps the collection's waiting instead of adding to it. Load
// decodes once; a caller that comes first waits for it.
func prefetchKnowledge() { go knowledge.Load() }

// suggestRoot says, after a live view that is incomplete, that root sees
// every owner; never to root, for whom it would be no help.
func (g *globalOptions) suggestRoot(rep *report.Report) {
	if !rep.Complete && os.Geteuid() != 0 {
		g.warn(render.MsgWarnRunAsRoot)
	}
}

// warn prints a translated warning on standard error; its arguments must
// be escaped by the caller.
func (g *globalOptions) warn(id render.MsgID, args ...any) {
	fmt.Fprintf(g.stderr, "openports: %s\n", render.Text(g.language(), render.MsgWarning, render.Text(g.language(), id, args...)))
}

// language is the language of human texts: --lang, else the locale.
func (g *globalOptions) language() string {
	if g.lang != "" {
		return knowledge.NormalizeLang(g.lang)
	}
	return knowledge.LangFromEnv(os.Getenv)
}

// analysisOptions are the options every command that builds a report
// uses: the knowledge base names and rates services.
func (g *globalOptions) analysisOptions(all bool) (analysis.Options, error) {
	kb, err := knowledge.Load()
	if err != nil {
		return analysis.Options{}, fmt.Errorf("load the service knowledge base: %w", err)
	}
	return analysis.Options{All: all, Knowledge: kb, Tool: identity.Current().Tool()}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

const rootLong = `openports lists the programs other machines can reach on this host: every
listening TCP socket and bound UDP socket that is not loopback-only, every
process that holds each one, and who runs it. Run it after every change to a
host (a fresh install, a new server, a new package) and look hard at what is
there.

With no command, openports runs 'list'.

Exit codes (for scripts):
  0  complete view, nothing to report
  1  findings: policy violations, problems, differences
  2  usage error: unknown flag, command, format or bad input
  3  incomplete view: some owners or sockets could not be seen
  4  the output could not be written (standard output or --write FILE)
When several apply, the first in this order wins: 2, 4, 1, 3.`

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{stdout: stdout, stderr: stderr}
	list := newListCmd(g)
	root := &cobra.Command{
		Use:           "openports",
		Short:         "Which programs can other machines reach on this host, and who owns them",
		Long:          rootLong,
		Example:       listExample,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgsSuggest,
	}
	// --version is openports' own flag, not cobra's: cobra prints its
	// version through text/template, whose reflective method calls make
	// the linker keep every exported method of every type in the binary.
	var version bool
	root.Flags().BoolVarP(&version, "version", "v", false, "print the version, VCS commit, build date and Go version")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if version {
			_, err := fmt.Fprintln(g.stdout, identity.Current().String())
			return err
		}
		return list.RunE(cmd, args)
	}
	root.SuggestionsMinimumDistance = 2
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.output, "output", "o", "table", "output format: "+strings.Join(render.AllFormats(), ", ")+" (each command says which it writes)")
	pf.StringVar(&g.color, "color", "auto", "colour the table: auto (only on a terminal, unless NO_COLOR is set), always, never")
	pf.StringVar(&g.lang, "lang", "", "language of explanations and messages: en or ja (default: from LC_ALL, LC_MESSAGES or LANG, else en)")
	// The root runs list, so it takes list's flags too.
	root.Flags().AddFlagSet(list.Flags())
	root.AddCommand(list)
	for _, c := range extraCommands(g) {
		root.AddCommand(c)
	}
	root.AddCommand(newManCmd(root))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitWith(2, fmt.Errorf("%w\n%w", err, render.Err(render.MsgUsageRunHelp, c.CommandPath())))
	})
	return root
}

// noArgsSuggest refuses arguments to the root command, suggesting the
// command a mistyped one was meant to be ("lisst": did you mean list?).
func noArgsSuggest(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	err := render.Err(render.MsgUsageUnknownCommand, args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("%w\n\n%w\n\t%s", err, render.Err(render.MsgUsageDidYouMean), strings.Join(s, "\n\t"))
	}
	return err
}
