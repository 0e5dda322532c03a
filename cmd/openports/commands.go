package main

import "github.com/spf13/cobra"

// extraCommands lists the commands beside list. Each lives in its own file
// as newXxxCmd(g).
func extraCommands(g *globalOptions) []*cobra.Command {
	return []*cobra.Command{newCheckCmd(g), newAnalyzeCmd(g), newExplainCmd(g), newSnapshotCmd(g), newDiffCmd(g), newBaselineCmd(g), newWatchCmd(g), newVersionCmd(g)}
}
