package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/parse/nmap"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/live"
)

const listExample = `  # what other machines can reach (loopback-only sockets hidden)
  sudo openports

  # everything, loopback included
  sudo openports list --all

  # metrics for node_exporter's textfile collector, every 15 minutes from
  # the openports-check.timer (docs/fleet.md)
  sudo openports list --policy /etc/openports.yaml -o prometheus \
    --textfile /var/lib/prometheus/node-exporter/openports.prom

  # every network namespace (containers, ip netns), for scripts
  sudo openports list --netns all -o json | jq '.rows[] | {proto, port, exposure}'

  # join a scan from another machine (nmap -oX scan.xml THIS-HOST) with
  # what listens here and what the firewall lets through
  sudo openports list --outside scan.xml

  # without root: every socket is still listed; owners of other users'
  # processes are marked unknown, with the reason, and the exit code is 3
  openports; echo "exit $?"`

type listOptions struct {
	all    bool
	netns  string
	raw    bool
	noNL   bool
	procFS string
	owners string
	policy string // --policy FILE
	// textfile is --textfile FILE: the metrics for node_exporter.
	textfile string
	root     string // --root DIR
	// outside is an nmap -oX scan of this host to join (--outside).
	outside string
}

func newListCmd(g *globalOptions) *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List listening and bound sockets that other machines can reach, with their owners",
		Long: `list shows each listening TCP socket and each bound, unconnected UDP socket
(UDP-Lite and SCTP too, where the kernel has them) with its address, port,
IP versions, exposure and every process that holds it.

Exposure says who can reach it: all-ifaces (a wildcard address), an
interface name (one address, on that interface), link-local, device (a
wildcard bound to one device), or loopback. Loopback-only sockets are hidden
unless --all is given; a summary line says how many.

IP says which IP versions reach it: an IPv6 wildcard socket without
IPV6_V6ONLY accepts IPv4 as well, and is shown as v4+v6.

Nothing is silently missing: a socket whose owner this run cannot see is
listed with its user and the reason, and the exit code is 3.`,
		Example: listExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(cmd, g, &o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "show loopback-only sockets too")
	f.BoolVar(&g.explain, "explain", false, "under the table, say why each service found matters and how to restrict it")
	f.StringVar(&o.netns, "netns", "current", "network namespaces to list: current, or all that can be entered")
	f.BoolVar(&o.raw, "raw", false, "include raw IP sockets")
	f.BoolVar(&o.noNL, "no-netlink", false, "read /proc/net instead of asking the kernel through sock_diag netlink")
	f.StringVar(&o.procFS, "proc", "/proc", "where procfs is mounted")
	_ = f.MarkHidden("proc")
	f.StringVar(&o.owners, "owners", "auto", "how owners are found (Linux): auto (the eBPF task_file iterator on hosts with many open files where this run may load it, else /proc), proc (one pass over /proc/PID/fd), ebpf (the iterator, or fail)")
	f.StringVar(&o.policy, "policy", "", "compare with the YAML policy FILE (see 'openports baseline'): report what is new, missing, or changed exposure or owner, exit 1 on any; a port a rule allows only for a named process or user whose owner could not be seen is not proven allowed (exit 3); loopback sockets are then compared and shown too")
	f.StringVar(&o.textfile, "textfile", "", "also write the report as Prometheus metrics to FILE, atomically, for node_exporter's textfile collector (FILE should end in .prom; see docs/fleet.md)")
	f.BoolVar(&g.ephemeralPorts, "ephemeral-ports", false, "with -o prometheus or --textfile: label sockets bound in the ephemeral range with their port (default: port=\"ephemeral\", so that the series stay few)")
	f.StringVar(&o.outside, "outside", "", "join an nmap XML scan of this host (nmap -oX FILE, run from another machine) with what listens here: open and expected, listening but filtered, open without a local socket, open and not in the --policy")
	f.StringVar(&o.root, "root", "/", "read the init system's configuration (rc.conf, inetd.conf, systemd units) under DIR for the provenance notes; \"\" for none")
	return cmd
}

// sourceOptions turns the list flags into collector options.
func (o *listOptions) sourceOptions() (source.Options, error) {
	owners, err := source.ParseOwnerChoice(o.owners)
	if err != nil {
		return source.Options{}, render.Err(render.MsgUsageUnknownValue, "--owners", render.Escape(o.owners), "auto, proc", "ebpf")
	}
	opt := source.Options{Raw: o.raw, NoNetlink: o.noNL, ProcRoot: o.procFS, Owners: owners}
	switch o.netns {
	case "current", "":
	case "all":
		opt.AllNamespaces = true
	default:
		return opt, render.Err(render.MsgUsageUnknownValue, "--netns", render.Escape(o.netns), "current", "all")
	}
	return opt, nil
}

func runList(cmd *cobra.Command, g *globalOptions, o *listOptions) error {
	out, err := newOutput(g, render.Reports)
	if err != nil {
		return err
	}
	opt, err := o.sourceOptions()
	if err != nil {
		return exitWith(report.ExitUsage, err)
	}
	prefetchKnowledge()
	provenanceFor := startProvenance(g, o.root, runtime.GOOS)
	// The files the flags name are read before collecting (while the
	// knowledge base and the configuration load): a bad one is a usage
	// error, which comes first (exit 2 before 3) and costs no collection.
	var pol *policy.Policy
	if o.policy != "" {
		if pol, err = loadPolicy(cmd.Context(), o.policy); err != nil {
			return exitWith(report.ExitUsage, err)
		}
	}
	var scan *snapshot.Scan
	if o.outside != "" {
		if scan, err = readScan(cmd.Context(), o.outside); err != nil {
			return exitWith(report.ExitUsage, err)
		}
	}
	snap, err := live.New(opt).Snapshot(cmd.Context())
	if err != nil {
		if errors.Is(err, source.ErrUnsupported) {
			return exitWith(report.ExitUsage, err)
		}
		return exitWith(report.ExitIncomplete, fmt.Errorf("collect: %w", err))
	}
	aopt, err := g.analysisOptions(o.all)
	if err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	if pol != nil {
		aopt.All = true
	}
	if aopt.Provenance, err = provenanceFor(snap.OS); err != nil {
		return exitWith(report.ExitUsage, err)
	}
	rep := analysis.Build(snap, aopt)
	if pol != nil {
		policy.Apply(pol, rep)
	}
	if scan != nil {
		rep.Outside = analysis.Outside(rep, snap, scan)
	}
	if o.textfile != "" {
		if err := render.WriteTextfile(o.textfile, rep, out.opt); err != nil {
			return exitWith(report.ExitWrite, err)
		}
	}
	if err := out.emit(rep); err != nil {
		return err
	}
	g.suggestRoot(rep)
	if rep.ExitCode != 0 {
		return exitWith(rep.ExitCode, nil)
	}
	return nil
}

// readScan reads an nmap XML file for --outside; a file that is not one
// is a usage error naming the file and line.
func readScan(ctx context.Context, path string) (*snapshot.Scan, error) {
	data, err := input.ReadFile(ctx, path, input.ToolOutput)
	if err != nil {
		return nil, fmt.Errorf("--outside: %w", err)
	}
	scan, problems := nmap.Read(data, path)
	if len(problems) > 0 {
		return nil, fmt.Errorf("--outside: %w", problems[0])
	}
	return scan, nil
}
