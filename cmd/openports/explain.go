package main

import (
	"errors"
	"runtime"
	"slices"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
)

const explainExample = `  # what listens on 22, why exposing it matters, how to turn it off
  openports explain 22

  # by service or process name, for a NetBSD host, in Japanese
  openports explain --os netbsd --lang ja telnet
  openports explain jserver

  # for scripts
  openports explain 6000/tcp -o json`

type explainOptions struct {
	os string
}

func newExplainCmd(g *globalOptions) *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain PORT|SERVICE|PROCESS...",
		Short: "Explain a service: what it is, why exposing it matters, how to restrict or stop it",
		Long: `explain prints what openports knows about a service: what it is, the ports
and process names that serve it, why it matters when other hosts can reach
it, its risk for each exposure, how to restrict it, and how to turn it off on
Linux (systemd), the BSDs (rc.conf, rcctl), macOS (launchd) and inetd, with
the sources of those facts.

A query is a port (22), a port and protocol (53/udp), a service (ssh), a
product name, or a process name (sshd, /usr/sbin/sshd). Exit status 2 when
nothing matches.`,
		Example: explainExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, g, &o, args)
		},
	}
	cmd.Flags().StringVar(&o.os, "os", runtime.GOOS, "platform whose process names and stop commands to show (linux, netbsd, freebsd, openbsd, darwin; \"all\" for every one)")
	return cmd
}

func runExplain(cmd *cobra.Command, g *globalOptions, o *explainOptions, args []string) error {
	out, err := newOutput(g, render.Explanations)
	if err != nil {
		return err
	}
	platform := o.os
	switch platform {
	case "all":
		platform = ""
	case "linux", "netbsd", "freebsd", "openbsd", "darwin":
	default:
		return exitWith(report.ExitUsage, render.Err(render.MsgUsageUnknownValue, "--os", render.Escape(o.os), "linux, netbsd, freebsd, openbsd, darwin", "all"))
	}
	out.opt.Platform = platform
	if err := withKnowledge(&out.opt); err != nil {
		return exitWith(report.ExitUsage, err)
	}
	kb := out.opt.Knowledge
	var entries []render.Explanation
	for _, q := range args {
		found, err := kb.Explain(q)
		if errors.Is(err, knowledge.ErrNotFound) {
			return exitWith(report.ExitUsage, render.Err(render.MsgUsageExplainTry, render.Escape(q)))
		}
		if err != nil {
			return exitWith(report.ExitUsage, errors.New(render.Escape(err.Error())))
		}
		for _, e := range found {
			if !slices.Contains(entries, e) {
				entries = append(entries, e)
			}
		}
	}
	return out.emit(entries)
}
