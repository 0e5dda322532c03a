package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/watch"
)

const watchExample = `  # follow sockets as they come and go, until Ctrl-C
  sudo openports watch

  # for a log pipeline: one JSON object per line, the summary last
  sudo openports watch -o json | tee -a /var/log/openports.jsonl

  # poll twice a second without eBPF
  sudo openports watch --mode poll --interval 500ms

  # only what the policy does not allow, each kind once, for a log
  # pipeline (under systemd: to the journal with priorities and fields)
  sudo openports watch --policy /etc/openports/policy.yaml -o json

  # every network namespace (containers, ip netns), for ten minutes
  sudo openports watch --netns all --duration 10m`

type watchOptions struct {
	interval time.Duration
	mode     string
	netns    string
	explain  bool
	duration time.Duration
	policy   string // --policy FILE: only violations
}

func newWatchCmd(g *globalOptions) *cobra.Command {
	var o watchOptions
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow listening and bound sockets: one line per socket that appears, goes or changes owner",
		Long: `watch prints one line per event, with the time, the socket, the process and
user that hold it, and for a socket that is gone how long it lived:

  new            a listening or bound socket appeared
  gone           it was closed (lived …)
  owner-changed  other processes hold it now

Modes (--mode; docs/watch.md says what each can see):
  ebpf  eBPF programs record every bind(2) and listen(2) as it returns, with
        the calling process: the owner of a socket that lives milliseconds
        is named. Needs root (CAP_BPF, CAP_PERFMON) and a kernel with BTF.
  poll  sock_diag is asked every --interval for listening and bound sockets;
        /proc is scanned only for the inodes that are new since the last
        poll. A socket that lives shorter than the interval is reported
        gone from the kernel's socket-destroy notice (CAP_NET_ADMIN), with
        its address but without its process or user (the kernel does not
        say). A new socket no process held yet is looked up again at the
        next polls (owner-changed once found).
  auto  ebpf where it loads, else poll (the default).

Sockets on ports of the ephemeral range (net.ipv4.ip_local_port_range) are
marked "ephemeral"; --explain says what usually opens them.

--netns all follows every network namespace the run can see (those of the
processes in /proc and those named by ip netns, found again at every poll);
each event names its namespace.

--policy FILE reports only sockets the policy does not allow, as
"policy-violation" events carrying the host, each kind once per run: the key
is the protocol, the port (or "ephemeral" for the ephemeral range), the
exposure, the service, unit or program, and the user class, never the PID.
When stdout is systemd's journal stream (JOURNAL_STREAM), they go to the
journal with a priority from their risk and OPENPORTS_* fields. A socket on a
port a rule allows only for a named process or user, whose owner could not
be seen, is no pass: it is reported as kind "owner-unknown", with why, and
the watch then exits 3 (not proven) instead of 0. A loopback listener is
judged as list judges it (route_localnet, IP_TRANSPARENT); one a rule allows
only as loopback, whose reach watch could not tell, is kind
"exposure-unknown", with why, and exit 3 too.

SIGINT, SIGTERM or the end of --duration ends the watch with a summary line (with -o json, an
object {"summary": …}).`,
		Example: watchExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd, g, &o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.interval, "interval", watch.DefaultInterval, "time between polls")
	f.StringVar(&o.mode, "mode", watch.ModeAuto, "how sockets and owners are followed: auto, ebpf or poll")
	f.StringVar(&o.netns, "netns", "", "network namespace to watch: a path (/run/netns/NAME, /proc/PID/ns/net), or all; default: this one")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until SIGINT or SIGTERM)")
	f.StringVar(&o.policy, "policy", "", "report only sockets the YAML policy FILE does not allow (see 'openports baseline'), each kind once per run (keyed on protocol, port or the ephemeral range, exposure, service/unit/program and user class, never PID), with the host; under systemd to the journal with priorities and fields")
	f.BoolVar(&o.explain, "explain", false, "before watching, say what usually opens sockets on ephemeral ports")
	return cmd
}

func runWatch(cmd *cobra.Command, g *globalOptions, o *watchOptions) error {
	g.explain = o.explain
	out, err := newOutput(g, render.Watches)
	if err != nil {
		return err
	}
	// A watch runs long: its writers (and the copies of out below) get
	// the knowledge base now, not at the first event.
	if err := withKnowledge(&out.opt); err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	if o.mode != watch.ModeAuto && o.mode != watch.ModeEBPF && o.mode != watch.ModePoll {
		return exitWith(report.ExitUsage, render.Err(render.MsgUsageUnknownValue, "--mode", render.Escape(o.mode), "auto, ebpf", "poll"))
	}
	if o.interval < 0 || o.duration < 0 {
		return exitWith(report.ExitUsage, render.Err(render.MsgUsageNegative))
	}
	interval := o.interval
	if interval == 0 {
		interval = watch.DefaultInterval
	}
	// Say what is watched and how to stop before the first event, which
	// may be long in coming; on standard error, so that standard output
	// holds events only.
	start := render.WatchStart{Mode: o.mode, Interval: interval, AllNamespaces: o.netns == "all"}
	if o.netns != "all" {
		start.NetNS = o.netns
	}
	stderrOut := *out
	stderrOut.g = &globalOptions{stdout: g.stderr, stderr: g.stderr}
	if g.output == render.FormatTable {
		if err := stderrOut.emit(render.WatchItem{Start: &start}); err != nil {
			return err
		}
	}
	if o.explain && g.output == render.FormatTable {
		if err := stderrOut.emit(render.WatchItem{Explain: true}); err != nil {
			return err
		}
	}
	var werr error
	emit := func(ev watch.Event) {
		if err := out.emit(render.WatchItem{Event: &ev}); err != nil && werr == nil {
			werr = err
		}
	}
	var afterPoll func(time.Time)
	var reach func(watch.Event)
	done := func() *watch.PolicyCounts { return nil }
	if o.policy != "" {
		var err error
		if emit, afterPoll, reach, done, err = policyEmitter(cmd.Context(), g, o.policy, interval, &werr); err != nil {
			return exitWith(report.ExitUsage, err)
		}
	}
	ctx := cmd.Context()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	sum, err := watch.Run(ctx, watch.Options{Interval: o.interval, Mode: o.mode, NetNSPath: o.netns, AfterPoll: afterPoll, Reach: reach}, emit)
	// --policy's last violations (sockets still waiting for an owner)
	// come before the summary that closes the stream, and their write
	// errors count.
	sum.Policy = done()
	if err != nil {
		return exitWith(report.ExitIncomplete, err)
	}
	// The text summary goes to standard error, the JSON one closes the
	// stream on standard output.
	sumOut := out
	if g.output == render.FormatTable {
		sumOut = &stderrOut
	}
	if err := sumOut.emit(render.WatchItem{Summary: &sum}); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if sum.Policy != nil && (sum.Policy.OwnerUnknown > 0 || sum.Policy.ExposureUnknown > 0) {
		// A socket the policy allows only for an owner that could not
		// be seen, or only as loopback when its reach could not be
		// told: the watch proved no all-clear.
		return exitWith(report.ExitIncomplete, nil)
	}
	return nil
}
