package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/identity"
)

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS commit and build date of this openports",
		Long: `version prints the release version (or Go module pseudo-version), the VCS
commit it was built from, the build date and the Go version, as
'openports --version' does.`,
		Example: `  openports version
  openports --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(g.stdout, identity.Current().String())
			return err
		},
	}
}
