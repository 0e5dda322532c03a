package hostcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/resolvconf"
	"github.com/openports/openports/internal/hostcheck/routes"
)

// resolvedStub is systemd-resolved's local stub listener.
var resolvedStub = netip.MustParseAddr("127.0.0.53")

// resolvedUpstreams is where systemd-resolved writes its upstream servers.
const resolvedUpstreams = "/run/systemd/resolve/resolv.conf"

// checkResolvConf parses the resolver configuration and cross-checks each
// nameserver with the host: a local one must have a listener on port 53, a
// remote one a route. It returns the parsed configuration for the DNS check.
func checkResolvConf(ctx context.Context, h Host, path string, rts []routes.Route, rtErr error, e *Expectations) (Check, *resolvconf.Config) {
	c := Check{Name: CheckResolvConf}
	c.lead(SummaryResolvConfFile, path, path)
	data, err := h.ReadFile(ctx, path)
	var cfg *resolvconf.Config
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f := finding.Finding{Subject: path, File: path}
		f.Say("resolv.no-file", []string{path}, path+" does not exist")
		f.Why(finding.Problem, "resolv.missing", nil, "without it the C library asks a nameserver on this host (127.0.0.1)",
			"create it with your nameservers, or check the tool that manages it (resolvconf, NetworkManager, systemd-resolved, dhcpcd)")
		c.Findings = append(c.Findings, f)
		cfg = &resolvconf.Config{File: path}
	case err != nil:
		c.Gaps = append(c.Gaps, gap("resolv.conf", "unreadable", fmt.Errorf("read %s: %w", path, err)))
		return finish(&c), nil
	default:
		var parseErr error
		cfg, parseErr = resolvconf.Parse(bytes.NewReader(data), path)
		if parseErr != nil {
			c.Gaps = append(c.Gaps, gap("resolv.conf", "unreadable", parseErr))
		}
	}
	c.ResolvConf = cfg
	for _, p := range cfg.Problems {
		v := finding.Warning
		if p.Severity == resolvconf.Error {
			v = finding.Problem
		}
		f := finding.Finding{Subject: fmt.Sprintf("%s:%d", p.File, p.Line), File: p.File, Line: p.Line, Message: fmt.Sprintf("%q", p.Text)}
		// The reason is the parser's problem: "resolv.line.CODE" with the
		// line, the file and the problem's arguments.
		f.Why(v, "resolv.line."+p.Code, append([]string{strconv.Itoa(p.Line), p.File}, p.Args...), p.Message,
			fmt.Sprintf("edit line %d of %s (see resolv.conf(5))", p.Line, p.File))
		c.Findings = append(c.Findings, f)
	}

	used := cfg.Used()
	// With no usable nameserver line (or no file) the C library asks
	// 127.0.0.1; a file cut short by a read error is not judged so.
	implicit := len(used) == 0 && len(c.Gaps) == 0
	if implicit {
		used = []resolvconf.Nameserver{{Addr: netip.MustParseAddr("127.0.0.1")}}
	}
	var bound []netip.Addr
	var listenErr error
	needListeners := false
	for _, ns := range used {
		if local(ns.Addr) {
			needListeners = true
		}
	}
	if needListeners {
		bound, listenErr = h.UDPListeners(ctx, 53)
		if listenErr != nil {
			c.Gaps = append(c.Gaps, gap("sockets", "listeners-unreadable", listenErr))
		}
	}
	for _, ns := range used {
		f := finding.Finding{Subject: "nameserver " + ns.Addr.String(), Verdict: finding.OK, File: cfg.File, Line: ns.Line}
		where := fmt.Sprintf("%s:%d", cfg.File, ns.Line)
		if implicit {
			where = cfg.File + " names no nameserver, so the C library uses 127.0.0.1"
			f.Line = 0
		}
		switch {
		case local(ns.Addr):
			judgeLocal(ctx, &f, h, ns.Addr, where, bound, listenErr, &c)
		case rtErr != nil:
			f.Say("resolv.routes-unknown", []string{ns.Addr.String(), where}, fmt.Sprintf("nameserver %s (%s); routes unknown", ns.Addr, where))
		default:
			judgeRemote(&f, ns.Addr, where, rts)
		}
		c.Findings = append(c.Findings, f)
	}
	c.Findings = append(c.Findings, e.nameserverFindings(cfg)...)
	c.lead(SummaryResolvConf, fmt.Sprintf("%s, %s", path, plural(len(cfg.Used()), "nameserver")), strconv.Itoa(len(cfg.Used())), path)
	return finish(&c), cfg
}

// local reports whether a nameserver address is this host.
func local(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsUnspecified()
}

func judgeLocal(ctx context.Context, f *finding.Finding, h Host, a netip.Addr, where string, bound []netip.Addr, listenErr error, c *Check) {
	f.Say("resolv.local", []string{a.String(), where}, fmt.Sprintf("nameserver %s (%s) is this host", a, where))
	if listenErr != nil {
		f.Say("resolv.local-unchecked", []string{a.String(), where}, f.Message+"; whether anything listens on port 53 could not be checked")
		return
	}
	probe := a
	if a.IsUnspecified() {
		probe = netip.MustParseAddr("127.0.0.1")
		if a.Is6() {
			probe = netip.IPv6Loopback()
		}
	}
	stub := a.Unmap() == resolvedStub
	if !listens(bound, probe) {
		if stub {
			f.Why(finding.Problem, "resolv.stub-no-listener", nil,
				"this is systemd-resolved's stub, but nothing listens on 127.0.0.53 port 53 (UDP): every lookup fails",
				"start systemd-resolved (`systemctl status systemd-resolved`), or point resolv.conf at a real nameserver")
		} else {
			f.Why(finding.Problem, "resolv.no-listener", []string{probe.String()},
				fmt.Sprintf("nothing listens on %s port 53 (UDP): every lookup fails", probe),
				"start the local nameserver (named, unbound, dnsmasq), or point resolv.conf at a reachable one")
		}
		return
	}
	f.Say("resolv.local-listens", []string{a.String(), where, probe.String()}, f.Message+fmt.Sprintf(" and a server listens on %s port 53", probe))
	if !stub {
		return
	}
	data, err := h.ReadFile(ctx, resolvedUpstreams)
	if err != nil {
		f.Say("resolv.stub-upstreams-unreadable", []string{a.String(), where, probe.String(), resolvedUpstreams},
			f.Message+"; systemd-resolved's upstreams are unknown ("+resolvedUpstreams+" unreadable)")
		return
	}
	up, err := resolvconf.Parse(bytes.NewReader(data), resolvedUpstreams)
	if err != nil {
		f.Say("resolv.stub-upstreams-error", []string{a.String(), where, probe.String(), err.Error()},
			f.Message+"; systemd-resolved's upstreams are unknown: "+err.Error())
		return
	}
	c.Upstreams = append(c.Upstreams, *up)
	var names []string
	for _, ns := range up.Used() {
		names = append(names, ns.Addr.String())
	}
	if len(names) == 0 {
		f.Say("resolv.stub-no-upstream-servers", []string{a.String(), where, probe.String()}, f.Message+"; systemd-resolved stub with no upstream servers")
		f.Why(finding.Warning, "resolv.stub-no-upstreams", nil, "systemd-resolved knows no upstream nameserver: only local names resolve",
			"`resolvectl status`; configure DNS= in resolved.conf or the network's DHCP")
		return
	}
	f.Say("resolv.stub", []string{a.String(), where, probe.String(), strings.Join(names, ", "), resolvedUpstreams},
		f.Message+"; systemd-resolved stub, upstreams "+strings.Join(names, ", ")+" ("+resolvedUpstreams+")")
}

func judgeRemote(f *finding.Finding, a netip.Addr, where string, rts []routes.Route) {
	f.Say("resolv.remote", []string{a.String(), where}, fmt.Sprintf("nameserver %s (%s)", a, where))
	r := routes.Lookup(rts, a)
	switch {
	case r == nil:
		f.Why(finding.Problem, "resolv.no-route", []string{a.String()}, fmt.Sprintf("no route to %s: the resolver cannot reach it", a),
			"add a default route (see the routes check) or use a nameserver on a local network")
	case r.Type != routes.TypeUnicast && r.Type != "":
		f.Why(finding.Problem, "resolv.route-rejects", []string{a.String(), r.String()},
			fmt.Sprintf("the route to %s is %q: the resolver cannot reach it", a, r.String()), "fix the route or use another nameserver")
	default:
		f.Say("resolv.remote-route", []string{a.String(), where, r.String()}, f.Message+" reached by "+r.String())
	}
}
