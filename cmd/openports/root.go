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

// renderer returns the renderer the global flags ask for, or a usage error.
func (g *globalOptions) renderer() (render.Renderer, error) {
	var colour bool
	switch g.color {
	case "always":
		colour = true
	case "never":
	case "auto", "":
		colour = isTerminal(g.stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	default:
		return nil, fmt.Errorf("unknown --color %q (want auto, always or never)", g.color)
	}
	if l := strings.ToLower(g.lang); l != "" && l != "en" && l != "ja" && knowledge.NormalizeLang(l) != "ja" {
		return nil, fmt.Errorf("unknown --lang %q (want en or ja)", g.lang)
	}
	kb, err := knowledge.Load()
	if err != nil {
		return nil, fmt.Errorf("load the service knowledge base: %w", err)
	}
	return render.New(g.output, render.Options{Color: colour, Lang: g.language(), Knowledge: kb, Explain: g.explain, EphemeralPorts: g.ephemeralPorts})
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
  1  findings (later commands: policy violations, problems)
  2  usage error: unknown flag, command, format or bad input
  3  incomplete view: some owners or sockets could not be seen (run as root)`

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
		Args:          cobra.NoArgs,
		RunE:          list.RunE,
	}
	root.Version = identity.Current().String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.output, "output", "o", "table", "output format: "+joinFormats())
	pf.StringVar(&g.color, "color", "auto", "colour the table: auto (only on a terminal, unless NO_COLOR is set), always, never")
	pf.StringVar(&g.lang, "lang", "", "language of explanations and messages: en or ja (default: from LC_ALL, LC_MESSAGES or LANG, else en)")
	// The root runs list, so it takes list's flags too.
	root.Flags().AddFlagSet(list.Flags())
	root.AddCommand(list)
	for _, c := range extraCommands(g) {
		root.AddCommand(c)
	}
	root.AddCommand(newManCmd(root))
	registerCompletions(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitWith(2, fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath()))
	})
	return root
}

func joinFormats() string {
	s := ""
	for i, f := range render.Formats() {
		if i > 0 {
			s += ", "
		}
		s += f
	}
	return s
}
