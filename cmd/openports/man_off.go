//go:build !man

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newManCmd, in a build without -tags man, says how to get the man pages:
// the generator (man.go) is left out of the binaries people run, so that
// its Markdown renderer's tables are not built at every start.
func newManCmd(*cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write a man page for every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(*cobra.Command, []string) error {
			return exitWith(2, errors.New("man pages: this openports was built without the man page generator; in the source tree run `make man` (go run -tags man ./cmd/openports man DIR)"))
		},
	}
}
