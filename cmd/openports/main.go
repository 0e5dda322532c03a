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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// Only the shells' completion requests use the flags' values:
		// making them at every start would cost every command.
		registerCompletions(root)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return report.ExitOK
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintf(stderr, "openports: %s\n", render.EscapeLines(ec.err.Error()))
		}
		return ec.code
	}
	// Everything cobra itself refuses (unknown flags, commands, bad
	// arguments) is a usage error.
	fmt.Fprintf(stderr, "openports: %s\nRun 'openports --help' for usage.\n", render.EscapeLines(err.Error()))
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
