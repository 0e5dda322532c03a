// Command openports answers the question an administrator asks after every
// change to a host: which programs can other machines reach right now, and
// who owns them? See README.md and `openports --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
)

func main() {
	cancelOnSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// cancelOnSignals, set by main, makes the context of a command that runs
// end on SIGINT or SIGTERM, so that it can clean up. It is installed only
// when a command's Run starts: the signal handling costs a goroutine and a
// thread, which --help, completion and refused command lines do without
// (a signal before then ends the process, with nothing to clean up).
var cancelOnSignals func(context.Context) (context.Context, context.CancelFunc)

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// Only the shells' completion requests use the flags' values:
		// making them at every start would cost every command.
		registerCompletions(root)
	}
	// signalled is done once a signal came (nil until a command runs).
	var signalled context.Context
	if cancelOnSignals != nil {
		stop := func() {}
		root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
			signalled, stop = cancelOnSignals(cmd.Context())
			cmd.SetContext(signalled)
		}
		defer func() { stop() }()
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return report.ExitOK
	}
	// The language of the errors openports itself words; cobra's own
	// stay English.
	lang, _ := root.PersistentFlags().GetString("lang")
	lang = (&globalOptions{lang: lang}).language()
	if signalled != nil && signalled.Err() != nil && errors.Is(err, context.Canceled) {
		// Stopped by SIGINT or SIGTERM before the command could say
		// everything: what was printed is not a complete view.
		fmt.Fprintf(stderr, "openports: %s\n", render.EscapeLines(render.Text(lang, render.MsgInterrupted, render.Localize(lang, err))))
		return report.ExitIncomplete
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintf(stderr, "openports: %s\n", render.EscapeLines(render.Localize(lang, ec.err)))
		}
		return ec.code
	}
	// Everything cobra itself refuses (unknown flags, commands, bad
	// arguments) is a usage error.
	fmt.Fprintf(stderr, "openports: %s\n%s\n", render.EscapeLines(render.Localize(lang, err)), render.Text(lang, render.MsgUsageRunHelp, "openports"))
	return report.ExitUsage
}

// exitCodeError carries an exit code other than 2 out of a command. A nil
// err means the command has already said everything.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// exitWith returns an error that makes run exit with code, printing err if
// it is not nil.
func exitWith(code int, err error) error { return &exitCodeError{code: code, err: err} }
