package hostcheck

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/hostcheck/dnsprobe"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/resolvconf"
	"github.com/openports/openports/internal/snapshot"
)

// checkDNS asks each configured nameserver, on its own, for the names to
// resolve. Only the nameservers of the resolver configuration are asked.
func checkDNS(ctx context.Context, h Host, cfg *resolvconf.Config, o Options) Check {
	c := Check{Name: CheckDNS}
	if cfg == nil {
		c.Gaps = append(c.Gaps, gapText("dns", "no-configuration", "the resolver configuration could not be read, so no nameserver was asked"))
		c.lead(SummaryDNSNotRun, "not run")
		return finish(&c)
	}
	used := cfg.Used()
	if len(used) == 0 {
		used = []resolvconf.Nameserver{{Addr: netip.MustParseAddr("127.0.0.1")}}
	}
	names, defaultName := namesToResolve(h, cfg, o)
	if len(names) == 0 {
		c.Gaps = append(c.Gaps, gapText("dns", "no-name", "no name to resolve: give --resolve NAME"))
		c.lead(SummaryDNSNoName, "no name to resolve")
		return finish(&c)
	}
	if len(names) > dnsprobe.MaxNames {
		f := finding.Finding{Subject: "names"}
		f.Say("dns.names", []string{strconv.Itoa(len(names)), strconv.Itoa(dnsprobe.MaxNames)}, fmt.Sprintf("%d names given; only the first %d are asked", len(names), dnsprobe.MaxNames))
		f.Why(finding.Warning, "dns.too-many-names", nil, "the number of queries is bounded", "give fewer --resolve names")
		c.Findings = append(c.Findings, f)
		names = names[:dnsprobe.MaxNames]
	}
	var servers []netip.AddrPort
	lines := map[netip.AddrPort]int{}
	for _, ns := range used {
		ap := netip.AddrPortFrom(ns.Addr, 53)
		if _, dup := lines[ap]; dup {
			continue
		}
		lines[ap] = ns.Line
		servers = append(servers, ap)
	}
	timeout := o.DNSTimeout
	if timeout <= 0 {
		timeout = dnsprobe.DefaultTimeout
	}
	results := dnsprobe.Prober{Timeout: timeout}.Probe(ctx, servers, names)
	c.DNS = results

	// Per server: did it answer at all?
	answered := map[netip.AddrPort]bool{}
	for _, srv := range servers {
		var first *dnsprobe.Result
		var rtts []time.Duration
		for k := range results {
			r := &results[k]
			if r.Server != srv {
				continue
			}
			if first == nil {
				first = r
			}
			if r.Outcome == dnsprobe.Answered {
				answered[srv] = true
				rtts = append(rtts, r.RTT)
			}
		}
		f := finding.Finding{Subject: "nameserver " + srv.Addr().String(), File: cfg.File, Line: lines[srv]}
		where := cfg.File
		if lines[srv] > 0 {
			where = fmt.Sprintf("%s:%d", cfg.File, lines[srv])
		} else {
			where += " names none; the default"
		}
		if answered[srv] {
			f.Verdict = finding.OK
			f.Say("dns.answered", []string{strconv.Itoa(len(rtts)), srv.Addr().String(), where, rttRange(rtts)},
				fmt.Sprintf("%s (%s) answered %s in %s", srv.Addr(), where, plural(len(rtts), "query"), rttRange(rtts)))
		} else {
			f.Verdict = finding.Problem
			f.Say("dns.silent", []string{srv.Addr().String(), where}, fmt.Sprintf("%s (%s) did not answer", srv.Addr(), where))
			if first != nil {
				code, args, reason, hint := whyNoAnswer(first, timeout)
				f.Why(finding.Problem, code, args, reason, hint)
			}
		}
		c.Findings = append(c.Findings, f)
	}

	// Per name: what do the servers that answered say?
	for _, name := range names {
		c.Findings = append(c.Findings, nameFinding(name, name == defaultName, results, answered))
	}
	c.lead(SummaryDNSAsked, fmt.Sprintf("%s asked for %s", plural(len(servers), "nameserver"), strings.Join(names, ", ")),
		strconv.Itoa(len(servers)), strings.Join(names, ", "))
	return finish(&c)
}

func gapText(area, reason, detail string) snapshot.Gap {
	return snapshot.Gap{Area: area, Reason: reason, Detail: detail}
}

// namesToResolve returns the names to ask for and which of them is the
// default host name ("" when the names were given).
func namesToResolve(h Host, cfg *resolvconf.Config, o Options) ([]string, string) {
	if len(o.Resolve) > 0 {
		return o.Resolve, ""
	}
	var names []string
	if o.Expect != nil {
		names = append(names, o.Expect.Resolve...)
	}
	fqdn := hostFQDN(h, cfg)
	if fqdn != "" && !slices.Contains(names, fqdn) {
		names = append(names, fqdn)
	}
	return names, fqdn
}

// CodeDNSAnswers is the code of a name's answers: its arguments are the
// name, then pairs of a server and its addresses ("" for none).
const CodeDNSAnswers = "dns.answers"

// whyNoAnswer says why a server did not answer: the reason code and its
// arguments (the timeout, the error, the server, the name), and the
// reason and hint in English.
func whyNoAnswer(r *dnsprobe.Result, timeout time.Duration) (code string, args []string, reason, hint string) {
	server, name := r.Server.Addr().String(), strings.TrimSuffix(r.Name, ".")
	args = []string{timeout.String(), r.Error, server, name}
	switch r.Outcome {
	case dnsprobe.Timeout:
		return "dns.timeout", args, fmt.Sprintf("no reply within %s (%s)", timeout, r.Error),
			"is the server running, and does a firewall let port 53 through? Try `dig @" + server + " " + name + "`"
	case dnsprobe.Refused:
		return "dns.refused", args, "nothing listens on port 53 there (connection refused)",
			"start the nameserver on " + server + " or remove it from resolv.conf"
	case dnsprobe.Unreachable:
		return "dns.unreachable", args, "it cannot be reached: " + r.Error,
			"there is no route to it: see the routes check"
	}
	return "dns.failed", args, "the query failed: " + r.Error, "look at the network path to the server"
}

func rttRange(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	lo, hi := slices.Min(ds), slices.Max(ds)
	if lo.Round(time.Millisecond) == hi.Round(time.Millisecond) {
		return fmtRTT(lo)
	}
	return fmtRTT(lo) + "–" + fmtRTT(hi)
}

func fmtRTT(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return d.Round(100 * time.Microsecond).String()
}

func nameFinding(name string, isDefault bool, results []dnsprobe.Result, answered map[netip.AddrPort]bool) finding.Finding {
	fq := strings.TrimSuffix(name, ".") + "."
	f := finding.Finding{Subject: strings.TrimSuffix(name, ".")}
	answers := map[netip.AddrPort][]string{}
	rcodes := map[string]int{}
	var servers []netip.AddrPort
	for _, r := range results {
		if r.Name != fq || r.Outcome != dnsprobe.Answered {
			continue
		}
		if _, ok := answers[r.Server]; !ok {
			servers = append(servers, r.Server)
			answers[r.Server] = nil
		}
		for _, a := range r.Addrs {
			answers[r.Server] = append(answers[r.Server], a.String())
		}
		rcodes[r.RCode]++
	}
	if len(servers) == 0 {
		f.Say("dns.unresolved", []string{f.Subject}, fmt.Sprintf("%s could not be resolved: no nameserver answered", f.Subject))
		f.Why(finding.Problem, "dns.no-answer", nil, "no configured nameserver answered", "see the nameserver findings above")
		return f
	}
	var parts []string
	var distinct []string
	// The arguments of CodeDNSAnswers: the name, then each server and its
	// addresses ("" for none).
	args := []string{f.Subject}
	for _, s := range servers {
		a := answers[s]
		slices.Sort(a)
		a = slices.Compact(a)
		key := strings.Join(a, " ")
		args = append(args, s.Addr().String(), key)
		if key == "" {
			key = "no address"
		}
		if !slices.Contains(distinct, key) {
			distinct = append(distinct, key)
		}
		parts = append(parts, fmt.Sprintf("%s says %s", s.Addr(), key))
	}
	f.Say(CodeDNSAnswers, args, fmt.Sprintf("%s: %s", f.Subject, strings.Join(parts, "; ")))
	resolved := false
	for _, s := range servers {
		if len(answers[s]) > 0 {
			resolved = true
		}
	}
	switch {
	case !resolved:
		var codes []string
		for rc := range rcodes {
			codes = append(codes, rc)
		}
		slices.Sort(codes)
		reason := fmt.Sprintf("the name does not resolve to an address (%s)", strings.Join(codes, ", "))
		if isDefault {
			f.Why(finding.Warning, "dns.own-name-no-address", []string{strings.Join(codes, ", ")}, reason,
				"this host's own name is not in the DNS; add it, or give --resolve NAME to test another name")
		} else {
			f.Why(finding.Problem, "dns.no-address", []string{strings.Join(codes, ", ")}, reason,
				"check the name, the zone, or the nameserver's forwarders")
		}
	case len(distinct) > 1:
		f.Why(finding.Warning, "dns.different", nil, "the nameservers give different answers", "a stale or split-horizon server? Compare the servers' zones")
	default:
		f.Verdict = finding.OK
	}
	return f
}
