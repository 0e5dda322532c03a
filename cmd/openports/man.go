//go:build man

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/openports/openports/internal/identity"
)

// newManCmd writes the man pages, one per command, from the commands
// themselves (cobra/doc), for packages (make man). It is hidden: people
// read the pages, they do not make them. It is built only with -tags man
// (man_off.go): cobra/doc's Markdown renderer would otherwise initialise
// its tables in every run of every command.
func newManCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write a man page for every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return exitWith(2, fmt.Errorf("man pages: %w", err))
			}
			b := identity.Current()
			header := &doc.GenManHeader{
				Title:   "OPENPORTS",
				Section: "1",
				Source:  "openports " + b.Version,
				Manual:  "openports manual",
				Date:    manDate(b.Date),
			}
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return exitWith(3, fmt.Errorf("man pages in %s: %w", dir, err))
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
			fmt.Fprintf(cmd.ErrOrStderr(), "openports: wrote %d man pages in %s\n", len(pages), dir)
			return nil
		},
	}
}

// manDate is the date printed in the man pages: the build's (so that a
// rebuild of one commit makes the same pages), else SOURCE_DATE_EPOCH,
// else now.
func manDate(build string) *time.Time {
	if t, err := time.Parse(time.RFC3339, build); err == nil {
		return &t
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err == nil {
			t := time.Unix(sec, 0).UTC()
			return &t
		}
	}
	t := time.Now().UTC()
	return &t
}
