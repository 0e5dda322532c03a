package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/openports/openports/internal/render"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	output string // -o: table, json
	color  string // --color: auto, always, never
	stdout io.Writer
	stderr io.Writer
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
	return render.New(g.output, render.Options{Color: colour})
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
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.output, "output", "o", "table", "output format: "+joinFormats())
	pf.StringVar(&g.color, "color", "auto", "colour the table: auto (only on a terminal, unless NO_COLOR is set), always, never")
	// The root runs list, so it takes list's flags too.
	root.Flags().AddFlagSet(list.Flags())
	root.AddCommand(list)
	for _, c := range extraCommands(g) {
		root.AddCommand(c)
	}
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
