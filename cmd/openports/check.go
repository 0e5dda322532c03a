package main

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/live"
)

const checkExample = `  # the whole post-change checklist, ending with the port listing
  sudo openports check

  # is the default gateway the one I expect, and does www.example.org resolve?
  sudo openports check --expect-gateway 192.0.2.1 --resolve www.example.org

  # compare with a written specification, for scripts
  sudo openports check --expect host.yaml -o json | jq '.checks[] | {check, verdict}'`

type checkOptions struct {
	resolvConf string
	resolve    []string
	gateways   []string
	expectFile string
	timeout    time.Duration
	noDNS      bool
	noPorts    bool
	all        bool
	policy     string
}

func newCheckCmd(g *globalOptions) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check interfaces, resolv.conf, DNS and routes, then list the reachable ports",
		Long: `check runs the checklist to go through after every change to a host, in order:

  interfaces   state (up, running, carrier), MTU and addresses of each one;
               up without carrier, no address, only link-local IPv6, duplicates
  resolv.conf  parsed strictly, each malformed or ignored line with its number;
               a local nameserver must have a listener on port 53, a remote
               one a route (systemd-resolved's stub is named with its upstreams)
  dns          each configured nameserver asked on its own, once, for --resolve
               names (default: the expectations' names and this host's FQDN);
               only nameservers configured on the host are ever asked
  routes       the IPv4 and IPv6 default routes, their gateways, whether each
               gateway is on-link on an interface that is up
  ports        the same listing as 'openports list'

Each finding is ok, warning or problem; a problem says why and what to look at.

Exit codes: 0 nothing wrong (warnings allowed), 1 a problem was found,
2 usage error, 3 no problem found but some part could not be seen.`,
		Example: checkExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), g, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.resolvConf, "resolv-conf", hostcheck.DefaultResolvConf, "resolver configuration to check")
	f.StringArrayVar(&o.resolve, "resolve", nil, "name to look up on each nameserver (repeatable)")
	f.StringArrayVar(&o.gateways, "expect-gateway", nil, "the default gateway expected (repeatable: one IPv4, one IPv6)")
	f.StringVar(&o.expectFile, "expect", "", "YAML file with the expected interfaces, gateways, nameservers and names")
	f.DurationVar(&o.timeout, "dns-timeout", 2*time.Second, "time one DNS query may take")
	f.BoolVar(&o.noDNS, "no-dns", false, "do not send DNS queries")
	f.BoolVar(&o.noPorts, "no-ports", false, "leave out the port listing")
	f.BoolVarP(&o.all, "all", "a", false, "show loopback-only sockets too in the port listing")
	f.StringVar(&o.policy, "policy", "", "compare the port listing with the YAML policy FILE (see 'openports baseline'); a new, missing or changed listener is a problem (exit 1); one a rule allows only for a named process or user whose owner could not be seen is not proven allowed (exit 3)")
	return cmd
}

func (o *checkOptions) options(ctx context.Context, g *globalOptions) (hostcheck.Options, error) {
	opt := hostcheck.Options{ResolvConf: o.resolvConf, Resolve: o.resolve, DNSTimeout: o.timeout, NoDNS: o.noDNS}
	if o.timeout <= 0 || o.timeout > time.Minute {
		return opt, render.Err(render.MsgUsageDNSTimeout, o.timeout.String())
	}
	for _, s := range o.gateways {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return opt, fmt.Errorf("--expect-gateway %q: %w", s, err)
		}
		opt.ExpectGateways = append(opt.ExpectGateways, a)
	}
	if o.expectFile != "" {
		// Through input, as --policy: a FIFO that never ends stops on
		// Ctrl-C, and /dev/zero at the limit.
		r, closer, err := input.Open(ctx, o.expectFile, nil, input.Policy)
		if err != nil {
			return opt, fmt.Errorf("--expect: %w", err)
		}
		defer closer()
		e, err := hostcheck.ParseExpectations(r, o.expectFile)
		if err != nil {
			return opt, err
		}
		opt.Expect = e
	}
	var pol *policy.Policy
	if o.policy != "" {
		if o.noPorts {
			return opt, render.Err(render.MsgUsagePolicyNoPorts)
		}
		p, err := loadPolicy(ctx, o.policy)
		if err != nil {
			return opt, err
		}
		pol = p
	}
	if !o.noPorts {
		all := o.all || pol != nil
		opt.Ports = func(ctx context.Context) (*report.Report, error) {
			prefetchKnowledge()
			provenanceFor := startProvenance(g, "/", runtime.GOOS)
			snap, err := live.New(source.Options{ProcRoot: "/proc"}).Snapshot(ctx)
			if err != nil {
				return nil, fmt.Errorf("collect sockets: %w", err)
			}
			aopt, err := g.analysisOptions(all)
			if err != nil {
				return nil, err
			}
			if aopt.Provenance, err = provenanceFor(snap.OS); err != nil {
				return nil, err
			}
			rep := analysis.Build(snap, aopt)
			if pol != nil {
				policy.Apply(pol, rep)
			}
			return rep, nil
		}
	}
	return opt, nil
}

func runCheck(ctx context.Context, g *globalOptions, o *checkOptions) error {
	out, err := newOutput(g, render.Checks)
	if err != nil {
		return err
	}
	opt, err := o.options(ctx, g)
	if err != nil {
		return exitWith(report.ExitUsage, err)
	}
	res, err := hostcheck.Run(ctx, opt)
	if err != nil {
		return exitWith(report.ExitUsage, err)
	}
	if err := out.emit(res); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// A probe cut short by a signal is no finding: the checks are
		// incomplete.
		return fmt.Errorf("check: %w", err)
	}
	for _, c := range res.Checks {
		if c.Ports != nil {
			g.suggestRoot(c.Ports)
		}
	}
	if res.ExitCode != report.ExitOK {
		return exitWith(res.ExitCode, nil)
	}
	return nil
}
