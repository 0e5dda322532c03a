package main

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/render"
)

// flagValues are the values shell completion offers for flags, by flag
// name, with a description after a tab.
func flagValues(cmd *cobra.Command) map[string][]string {
	netns := []string{"current\tthe namespace openports runs in", "all\tevery namespace that can be entered"}
	if cmd.Name() == "watch" {
		netns = []string{"all\tevery namespace that can be entered"}
		if names, err := os.ReadDir("/run/netns"); err == nil {
			for _, n := range names {
				netns = append(netns, "/run/netns/"+n.Name()+"\tip netns "+n.Name())
			}
		}
	}
	return map[string][]string{
		"output": commandFormats(cmd),
		"lang":   {"en\tEnglish", "ja\tJapanese"},
		"color":  {"auto\tonly on a terminal, unless NO_COLOR is set", "always", "never"},
		"owners": {"auto\teBPF on hosts with many open files, else /proc", "proc\tone pass over /proc/PID/fd", "ebpf\tthe BPF task_file iterator"},
		"netns":  netns,
		"os":     {"linux", "netbsd", "freebsd", "openbsd", "darwin", "all"},
	}
}

// commandFormats are the -o values cmd accepts: those of the registry of
// the result it writes.
func commandFormats(cmd *cobra.Command) []string {
	switch cmd.Name() {
	case "list", "analyze", "openports":
		return render.Reports.Formats()
	case "check":
		return render.Checks.Formats()
	case "diff":
		return render.Diffs.Formats()
	case "explain":
		return render.Explanations.Formats()
	case "watch":
		return render.Watches.Formats()
	}
	return render.AllFormats()
}

// registerCompletions makes the shells complete the values of the flags
// in flagValues and explain's arguments from the knowledge base.
func registerCompletions(root *cobra.Command) {
	done := map[*pflag.Flag]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		values := flagValues(c)
		register := func(f *pflag.Flag) {
			vals, ok := values[f.Name]
			if !ok || done[f] {
				return
			}
			done[f] = true
			_ = c.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return vals, cobra.ShellCompDirectiveNoFileComp
			})
		}
		c.PersistentFlags().VisitAll(register)
		c.LocalNonPersistentFlags().VisitAll(register)
		if c.Name() == "explain" {
			c.ValidArgsFunction = completeServices
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeServices offers the knowledge base's service ids and labels that
// start with what was typed, each with the product name.
func completeServices(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	kb, err := knowledge.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	seen := map[string]bool{}
	var out []string
	add := func(word, name string) {
		if word == "" || seen[word] || !strings.HasPrefix(word, toComplete) {
			return
		}
		seen[word] = true
		out = append(out, word+"\t"+name)
	}
	for _, e := range kb.Entries() {
		add(e.Service, e.Name)
		add(e.ID, e.Name)
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
