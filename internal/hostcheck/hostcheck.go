// Package hostcheck runs the post-change checklist of `openports check`:
// interfaces, resolv.conf, DNS resolution and routes, then the port listing,
// each with a verdict (ok, warning, problem), the reason and what to look
// at. The facts come through a Host, which tests replace; the judgements
// live in the sub-packages (ifaces, routes, resolvconf) as pure functions.
package hostcheck

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/hostcheck/dnsprobe"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
	"github.com/openports/openports/internal/hostcheck/resolvconf"
	"github.com/openports/openports/internal/hostcheck/routes"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// SchemaVersion is the version of the JSON form of Result.
const SchemaVersion = 1

// Names of the checks, in the order they run.
const (
	CheckInterfaces = "interfaces"
	CheckResolvConf = "resolv.conf"
	CheckDNS        = "dns"
	CheckRoutes     = "routes"
	CheckPorts      = "ports"
)

// DefaultResolvConf is where the resolver configuration lives.
const DefaultResolvConf = "/etc/resolv.conf"

// Options select what Run checks and against what.
type Options struct {
	// ResolvConf is the resolver configuration to check
	// (DefaultResolvConf when empty).
	ResolvConf string
	// Resolve are the names to look up; when empty, the names of the
	// expectations and the host's own FQDN.
	Resolve []string
	// ExpectGateways are default gateways the administrator expects
	// (at most one per IP version; the last one given wins).
	ExpectGateways []netip.Addr
	// Expect holds expectations read from a file, or nil.
	Expect *Expectations
	// DNSTimeout bounds each DNS query (dnsprobe.DefaultTimeout when 0).
	DNSTimeout time.Duration
	// NoDNS skips the DNS queries (the resolv.conf check still runs).
	NoDNS bool
	// Ports produces the port listing for the last check; nil leaves
	// the ports check out.
	Ports func(ctx context.Context) (*report.Report, error)
	// Host supplies the facts; nil means the live host.
	Host Host
}

// Check is the outcome of one item of the checklist.
type Check struct {
	Name    string          `json:"check"`
	Verdict finding.Verdict `json:"verdict"`
	// Summary is one line for people (English); SummaryCode and
	// SummaryArgs name its first part for renderers in other languages
	// (the counts after it are the findings' and gaps').
	Summary     string            `json:"summary"`
	SummaryCode string            `json:"summary_code,omitempty"`
	SummaryArgs []string          `json:"summary_args,omitempty"`
	Findings    []finding.Finding `json:"findings"`
	// Gaps say what this check could not see.
	Gaps []snapshot.Gap `json:"gaps,omitempty"`
	// The facts behind the verdict, one field per kind of check.
	Interfaces []ifaces.Interface  `json:"interfaces,omitempty"`
	ResolvConf *resolvconf.Config  `json:"resolv_conf,omitempty"`
	DNS        []dnsprobe.Result   `json:"dns,omitempty"`
	Routes     []routes.Route      `json:"routes,omitempty"`
	Ports      *report.Report      `json:"ports,omitempty"`
	Upstreams  []resolvconf.Config `json:"upstreams,omitempty"`
}

// Result is the whole checklist.
type Result struct {
	Schema int     `json:"schema"`
	Host   string  `json:"host,omitempty"`
	Checks []Check `json:"checks"`
	// ExitCode is 0 when every check is ok or a warning, 1 when one found
	// a problem, 3 when none did but some could not see everything.
	ExitCode int `json:"exit_code"`
}

// Run performs the checklist. It returns an error only when the options
// are unusable; everything the host refuses becomes a gap or a problem.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.ResolvConf == "" {
		o.ResolvConf = DefaultResolvConf
	}
	h := o.Host
	if h == nil {
		h = Live{}
	}
	exp, err := o.gatewayExpectations()
	if err != nil {
		return nil, err
	}
	res := &Result{Schema: SchemaVersion}
	if name, err := h.Hostname(); err == nil {
		res.Host = name
	}

	ifs, ifErr := h.Interfaces(ctx)
	rts, rtErr := h.Routes(ctx)

	res.Checks = append(res.Checks, checkInterfaces(ifs, ifErr, o.Expect))
	rc, cfg := checkResolvConf(ctx, h, o.ResolvConf, rts, rtErr, o.Expect)
	res.Checks = append(res.Checks, rc)
	if !o.NoDNS {
		res.Checks = append(res.Checks, checkDNS(ctx, h, cfg, o))
	}
	res.Checks = append(res.Checks, checkRoutes(rts, rtErr, ifs, exp))
	if o.Ports != nil {
		res.Checks = append(res.Checks, checkPorts(ctx, o.Ports))
	}
	res.ExitCode = exitCode(res.Checks)
	return res, nil
}

// gatewayExpectations merges --expect-gateway and the file's gateways.
func (o *Options) gatewayExpectations() (routes.Expect, error) {
	var e routes.Expect
	all := o.ExpectGateways
	if o.Expect != nil {
		all = append(append([]netip.Addr(nil), o.Expect.Gateways...), all...)
	}
	for _, a := range all {
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
			return e, fmt.Errorf("expected gateway %q is not a unicast address", a)
		}
		if a.Unmap().Is4() {
			e.V4 = a.Unmap()
		} else {
			e.V6 = a
		}
	}
	return e, nil
}

func exitCode(cs []Check) int {
	gaps := false
	for _, c := range cs {
		if c.Verdict == finding.Problem {
			return report.ExitFindings
		}
		if c.Incomplete() {
			gaps = true
		}
	}
	if gaps {
		return report.ExitIncomplete
	}
	return report.ExitOK
}

// The codes of Check.SummaryCode.
const (
	SummaryInterfaces     = "interfaces"
	SummaryInterfacesNone = "interfaces-unlisted"
	SummaryRoutes         = "routes"
	SummaryRoutesNone     = "routes-unreadable"
	SummaryPorts          = "ports"
	SummaryPortsFailed    = "ports-failed"
	SummaryResolvConf     = "resolv.conf"
	SummaryResolvConfFile = "resolv.conf-file"
	SummaryDNSNotRun      = "dns-not-run"
	SummaryDNSNoName      = "dns-no-name"
	SummaryDNSAsked       = "dns-asked"
)

// lead sets the first part of a check's summary: its English text and
// its code and arguments.
func (c *Check) lead(code, english string, args ...string) {
	c.Summary, c.SummaryCode, c.SummaryArgs = english, code, args
}

// Incomplete reports whether the check could not see all it speaks of:
// a gap, or a port listing that did not see every owner even when no gap
// names why (list exits 3 on such a listing too).
func (c *Check) Incomplete() bool {
	return len(c.Gaps) > 0 || c.Ports != nil && !c.Ports.Complete
}

// Counts are how many of the check's findings are problems and warnings.
func (c *Check) Counts() (problems, warnings int) {
	for _, f := range c.Findings {
		switch f.Verdict {
		case finding.Problem:
			problems++
		case finding.Warning:
			warnings++
		}
	}
	return problems, warnings
}

// finish sets a check's verdict and summary from its findings.
func finish(c *Check) Check {
	c.Verdict = finding.Worst(c.Findings)
	p, w := c.Counts()
	var parts []string
	if p > 0 {
		parts = append(parts, plural(p, "problem"))
	}
	if w > 0 {
		parts = append(parts, plural(w, "warning"))
	}
	if len(c.Gaps) > 0 {
		parts = append(parts, plural(len(c.Gaps), "gap"))
	}
	if len(parts) == 0 {
		parts = append(parts, "all ok")
	}
	if c.Summary == "" {
		c.Summary = strings.Join(parts, ", ")
	} else {
		c.Summary += ": " + strings.Join(parts, ", ")
	}
	return *c
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func gap(area, reason string, err error) snapshot.Gap {
	return snapshot.Gap{Area: area, Reason: reason, Args: map[string]string{"error": err.Error()}, Detail: err.Error()}
}

func checkInterfaces(ifs []ifaces.Interface, err error, e *Expectations) Check {
	c := Check{Name: CheckInterfaces, Interfaces: ifs}
	if err != nil {
		c.Gaps = append(c.Gaps, gap("interfaces", "interfaces-unreadable", err))
		if len(ifs) == 0 {
			c.lead(SummaryInterfacesNone, "interfaces could not be listed")
			return finish(&c)
		}
	}
	c.Findings = ifaces.Evaluate(ifs)
	c.Findings = append(c.Findings, e.interfaceFindings(ifs)...)
	c.lead(SummaryInterfaces, plural(len(ifs), "interface"), strconv.Itoa(len(ifs)))
	return finish(&c)
}

func checkRoutes(rts []routes.Route, err error, ifs []ifaces.Interface, exp routes.Expect) Check {
	c := Check{Name: CheckRoutes, Routes: rts}
	if err != nil {
		c.Gaps = append(c.Gaps, gap("routes", "routes-unreadable", err))
		c.lead(SummaryRoutesNone, "the routing table could not be read")
		return finish(&c)
	}
	c.Findings = routes.Evaluate(rts, ifs, exp)
	c.lead(SummaryRoutes, plural(len(rts), "route"), strconv.Itoa(len(rts)))
	return finish(&c)
}

func checkPorts(ctx context.Context, ports func(context.Context) (*report.Report, error)) Check {
	c := Check{Name: CheckPorts}
	rep, err := ports(ctx)
	if err != nil {
		c.Gaps = append(c.Gaps, gap("sockets", "collect-failed", err))
		c.lead(SummaryPortsFailed, "the port listing failed")
		return finish(&c)
	}
	c.Ports = rep
	c.Gaps = append(c.Gaps, rep.Gaps...)
	c.lead(SummaryPorts, plural(len(rep.Rows), "reachable service line"), strconv.Itoa(len(rep.Rows)))
	c.Findings = append(c.Findings, finding.Finding{Subject: "listening sockets", Verdict: finding.OK,
		Message: fmt.Sprintf("%s other machines can reach; look hard at each one", plural(len(rep.Rows), "line")),
		Code:    CodePortsSummary, Args: []string{strconv.Itoa(len(rep.Rows))}})
	for i := range rep.Rows {
		c.Findings = append(c.Findings, rowFindings(&rep.Rows[i])...)
	}
	if rep.Policy != nil {
		for _, v := range rep.Policy.Violations {
			if v.Kind == report.PolicyMissing {
				c.Findings = append(c.Findings, finding.Finding{Subject: v.Rule, Verdict: finding.Problem,
					Message: v.Proto + "/" + strconv.Itoa(int(v.Port)) + " is in the policy but does not listen",
					Code:    CodePortsPolicyMissing, Args: []string{v.Proto + "/" + strconv.Itoa(int(v.Port)), v.Rule}})
			}
		}
	}
	return finish(&c)
}

// The codes of the port listing's findings (finding.Finding.Code).
const (
	CodePortsSummary       = "ports.summary"
	CodePortsDangerous     = "ports.dangerous"
	CodePortsRisky         = "ports.risky"
	CodePortsUnknownOwner  = "ports.unknown-owner"
	CodePortsPolicy        = "ports.policy"
	CodePortsPolicyMissing = "ports.policy-missing"
)

// rowFindings are what one line of the port listing makes the ports
// check say: a dangerous line or a policy violation is a problem, a risky
// line or one whose owners could not be seen a warning. Each names the
// line; its arguments are the protocol and port, the address, the
// process and the service.
func rowFindings(row *report.Row) []finding.Finding {
	where := string(row.Proto) + "/" + strconv.Itoa(int(row.Port))
	proc := "?"
	if len(row.Processes) > 0 {
		proc = row.Processes[0].Name
	}
	service := row.ServiceLabel
	if service == "" {
		service = "?"
	}
	args := []string{where, row.Address, proc, service}
	subject := where + " " + row.Address
	var out []finding.Finding
	add := func(v finding.Verdict, code, msg string) {
		out = append(out, finding.Finding{Subject: subject, Verdict: v, Code: code, Args: args, Message: msg})
	}
	line := fmt.Sprintf("%s on %s (%s, %s)", where, row.Address, proc, service)
	switch row.Severity {
	case snapshot.Dangerous:
		add(finding.Problem, CodePortsDangerous, line+" is dangerous where other machines can reach it")
	case snapshot.Risky:
		add(finding.Warning, CodePortsRisky, line+" is risky where other machines can reach it")
	}
	if row.OwnerState == snapshot.OwnersUnknown || row.OwnerState == snapshot.OwnersPartial {
		add(finding.Warning, CodePortsUnknownOwner, line+": its owners could not all be seen")
	}
	for _, f := range row.Findings {
		if strings.HasPrefix(f.Rule, "policy-") {
			add(finding.Problem, CodePortsPolicy, line+" differs from the policy")
			break
		}
	}
	return out
}

// hostFQDN makes the host's own name fully qualified with the
// configuration's domain or first search domain when it has no dot.
func hostFQDN(h Host, cfg *resolvconf.Config) string {
	name, err := h.Hostname()
	if err != nil || name == "" {
		return ""
	}
	if strings.Contains(strings.TrimSuffix(name, "."), ".") || cfg == nil || len(cfg.Search) == 0 {
		return name
	}
	return name + "." + cfg.Search[0]
}

// Hostname is os.Hostname, for Live.
var osHostname = os.Hostname
