// Package routes describes a host's routing table and judges its default
// routes: is there one for IPv4 and IPv6, through which gateway, is that
// gateway on-link on an interface that is up, and is it the gateway the
// administrator expected. The table comes from netlink on Linux (Collect)
// or from `netstat -rn` output (ParseNetstat), which is also how the BSDs
// and macOS are read.
package routes

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
)

// Route types that matter to the check.
const (
	TypeUnicast     = "unicast"
	TypeUnreachable = "unreachable"
	TypeBlackhole   = "blackhole"
	TypeProhibit    = "prohibit"
)

// Route is one route of the main table.
type Route struct {
	Dst netip.Prefix `json:"dst"`
	// Gateway is the next hop, invalid for a directly connected route.
	Gateway netip.Addr `json:"gateway,omitzero"`
	// GatewayText is the gateway as a parsed tool printed it when it is
	// not an address ("link#1", a MAC address, a host name).
	GatewayText string `json:"gateway_text,omitempty"`
	Iface       string `json:"iface,omitempty"`
	IfIndex     int    `json:"ifindex,omitempty"`
	Metric      int    `json:"metric,omitempty"`
	// Type is one of the Type* constants.
	Type string `json:"type"`
	// OnLink is set when the route declares its gateway on-link whatever
	// the interface's addresses say (Linux "onlink").
	OnLink bool `json:"onlink,omitempty"`
	// LinkDown is set when the kernel marks the next hop's link down.
	LinkDown bool `json:"linkdown,omitempty"`
	// Flags are the BSD/net-tools flag letters, when parsed.
	Flags string `json:"flags,omitempty"`
}

// IsDefault reports whether r is a default route.
func (r *Route) IsDefault() bool { return r.Dst.IsValid() && r.Dst.Bits() == 0 }

// String formats r like `ip route`: "default via 192.0.2.1 dev eth0".
func (r *Route) String() string {
	var b strings.Builder
	if r.Type != TypeUnicast && r.Type != "" {
		b.WriteString(r.Type + " ")
	}
	if r.IsDefault() {
		b.WriteString("default")
		if r.Dst.Addr().Is6() {
			b.WriteString(" (IPv6)")
		}
	} else {
		b.WriteString(r.Dst.String())
	}
	switch {
	case r.Gateway.IsValid():
		b.WriteString(" via " + r.Gateway.String())
	case r.GatewayText != "":
		b.WriteString(" via " + r.GatewayText)
	}
	if r.Iface != "" {
		b.WriteString(" dev " + r.Iface)
	}
	if r.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", r.Metric)
	}
	if r.OnLink {
		b.WriteString(" onlink")
	}
	if r.LinkDown {
		b.WriteString(" linkdown")
	}
	return b.String()
}

// Sort orders routes by family, prefix length (longest last), address and
// metric.
func Sort(rs []Route) {
	slices.SortStableFunc(rs, func(a, b Route) int {
		return cmp.Or(
			cmp.Compare(a.Dst.Addr().BitLen(), b.Dst.Addr().BitLen()),
			cmp.Compare(a.Dst.Bits(), b.Dst.Bits()),
			a.Dst.Addr().Compare(b.Dst.Addr()),
			cmp.Compare(a.Metric, b.Metric),
		)
	})
}

// Lookup returns the route the host would use for a, by longest prefix
// and then lowest metric, or nil when no route covers it. Unreachable,
// blackhole and prohibit routes are returned too: they decide as well.
func Lookup(rs []Route, a netip.Addr) *Route {
	a = a.WithZone("").Unmap()
	var best *Route
	for k := range rs {
		r := &rs[k]
		if !r.Dst.IsValid() || r.Dst.Addr().Is4() != a.Is4() || !r.Dst.Contains(a) {
			continue
		}
		if best == nil || r.Dst.Bits() > best.Dst.Bits() || r.Dst.Bits() == best.Dst.Bits() && r.Metric < best.Metric {
			best = r
		}
	}
	return best
}

// Expect holds the gateways the administrator expects, invalid when none.
type Expect struct {
	V4 netip.Addr
	V6 netip.Addr
}

// Evaluate judges the default routes of rs against the interfaces ifs and
// the expectation. It is a pure function of its input.
func Evaluate(rs []Route, ifs []ifaces.Interface, exp Expect) []finding.Finding {
	var out []finding.Finding
	var v4, v6 []Route
	for _, r := range rs {
		if !r.IsDefault() {
			continue
		}
		if r.Dst.Addr().Is4() {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	global4, global6 := false, false
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if ifaces.Global(a.Prefix.Addr()) {
				if a.Prefix.Addr().Is4() {
					global4 = true
				} else {
					global6 = true
				}
			}
		}
	}
	out = append(out, family("IPv4", v4, rs, ifs, exp.V4, global4, len(v6) > 0)...)
	out = append(out, family("IPv6", v6, rs, ifs, exp.V6, global6, len(v4) > 0)...)
	return out
}

func family(fam string, defs, all []Route, ifs []ifaces.Interface, expect netip.Addr, haveGlobal, otherHasDefault bool) []finding.Finding {
	subject := "default " + fam
	// Reject routes (unreachable, blackhole, prohibit) only matter when
	// no unicast default exists: then traffic beyond the local networks
	// is refused. With a unicast default they are fallbacks (the IPv6
	// "unreachable default dev lo metric -1" of older kernels).
	var unicast, reject []Route
	for _, r := range defs {
		if r.Type == TypeUnicast || r.Type == "" {
			unicast = append(unicast, r)
		} else {
			reject = append(reject, r)
		}
	}
	defs = unicast
	if len(defs) == 0 {
		f := finding.Finding{Subject: subject}
		f.Say("route.none", []string{fam}, "no "+fam+" default route")
		if len(reject) > 0 {
			f.Say("route.none-usable", []string{fam, reject[0].String()}, fmt.Sprintf("no usable %s default route: only %q, which drops the traffic", fam, reject[0].String()))
		}
		hint, suffix := "add one (`ip route add default via GATEWAY`, `route add default GATEWAY`; NetBSD: defaultroute= in /etc/rc.conf)", ".v4"
		if fam != "IPv4" {
			hint, suffix = "add one (`ip -6 route add default via GATEWAY`, `route add -inet6 default GATEWAY`) or check router advertisements", ".v6"
		}
		switch {
		case expect.IsValid():
			f.Why(finding.Problem, "route.none-expected"+suffix, []string{expect.String()}, fmt.Sprintf("a default route through %s was expected", expect), hint)
			f.Expected, f.Actual = expect.String(), "none"
		case haveGlobal || fam == "IPv4" && !otherHasDefault:
			f.Why(finding.Problem, "route.none"+suffix, nil, "hosts beyond the local networks cannot be reached, and cannot reach this host", hint)
		default:
			f.Verdict = finding.OK
			f.Code += "-no-global"
			f.Message += fmt.Sprintf(" (this host has no global %s address either)", fam)
		}
		return []finding.Finding{f}
	}
	var out []finding.Finding
	matched := false
	for _, r := range defs {
		f := finding.Finding{Subject: subject, Verdict: finding.OK, Message: r.String()}
		if r.Gateway.IsValid() && expect.IsValid() && r.Gateway.WithZone("") == expect.WithZone("") {
			matched = true
		}
		judgeDefault(&f, &r, all, ifs)
		out = append(out, f)
	}
	if expect.IsValid() && !matched {
		var got []string
		for _, r := range defs {
			switch {
			case r.Gateway.IsValid():
				got = append(got, r.Gateway.String())
			case r.GatewayText != "":
				got = append(got, r.GatewayText)
			default:
				got = append(got, "dev "+r.Iface)
			}
		}
		f := finding.Finding{Subject: subject, Expected: expect.String(), Actual: strings.Join(got, ", ")}
		f.Say("route.gateway", []string{fam, strings.Join(got, ", "), expect.String()}, fmt.Sprintf("the %s default gateway is %s, not %s", fam, strings.Join(got, ", "), expect))
		f.Why(finding.Problem, "route.gateway-unexpected", nil, "the default gateway is not the one expected", "fix the default route or the expectation")
		out = append(out, f)
	}
	return out
}

// judgeDefault checks one default route: its type, its interface and
// whether its gateway is on-link.
func judgeDefault(f *finding.Finding, r *Route, all []Route, ifs []ifaces.Interface) {
	if len(ifs) == 0 {
		// No interface list (a parsed routing table alone): only the
		// routing table can say whether the gateway is on-link.
		if r.Gateway.IsValid() && !r.Gateway.IsLinkLocalUnicast() && Lookup(connected(all), r.Gateway) == nil && !r.OnLink {
			f.Why(finding.Problem, "route.gateway-off-link", []string{r.Gateway.String()},
				fmt.Sprintf("the gateway %s is not on-link: no connected route covers it", r.Gateway), "use a gateway inside a local subnet")
		}
		return
	}
	var dev *ifaces.Interface
	for k := range ifs {
		if r.Iface != "" && ifs[k].Name == r.Iface || r.Iface == "" && r.IfIndex != 0 && ifs[k].Index == r.IfIndex {
			dev = &ifs[k]
			break
		}
	}
	switch {
	case dev == nil && (r.Iface != "" || r.IfIndex != 0):
		f.Why(finding.Problem, "route.iface-missing", []string{nameOr(r)}, fmt.Sprintf("the route's interface %s does not exist", nameOr(r)), "look at `ip link` or `ifconfig -a`")
		return
	case dev != nil && !dev.Up:
		f.Why(finding.Problem, "route.iface-down", []string{dev.Name}, fmt.Sprintf("the route's interface %s is down", dev.Name), fmt.Sprintf("bring %s up", dev.Name))
		return
	case dev != nil && dev.NoCarrier() || r.LinkDown:
		f.Why(finding.Problem, "route.iface-no-carrier", []string{nameOr(r)}, fmt.Sprintf("the route's interface %s has no carrier", nameOr(r)),
			"check the cable, the switch port or the other end of the link")
		return
	}
	if !r.Gateway.IsValid() {
		// A device route (point-to-point link) or a BSD link#N gateway.
		return
	}
	gw := r.Gateway
	if gw.Is6() && gw.IsLinkLocalUnicast() {
		return // link-local next hops are on-link by definition
	}
	if dev != nil {
		for _, a := range dev.Addrs {
			if a.Prefix.Masked().Contains(gw.WithZone("")) {
				if a.Prefix.Addr() == gw.WithZone("") {
					f.Why(finding.Problem, "route.gateway-own", []string{gw.String(), dev.Name},
						fmt.Sprintf("the gateway %s is this host's own address on %s", gw, dev.Name), "point the default route at the router, not at this host")
				}
				return
			}
		}
	}
	// A connected route (no gateway) covering the gateway also makes it
	// on-link, e.g. a /32 peer route on a point-to-point link.
	if c := Lookup(connected(all), gw); c != nil && (dev == nil || c.Iface == dev.Name || c.IfIndex == dev.Index) {
		return
	}
	where := "any local network"
	if dev != nil {
		var ps []string
		for _, a := range dev.Addrs {
			if a.Prefix.Addr().Is4() == gw.Is4() {
				ps = append(ps, a.Prefix.String())
			}
		}
		where = dev.Name
		if len(ps) > 0 {
			where += " (" + strings.Join(ps, ", ") + ")"
		} else {
			where += " (no address of its family)"
		}
	}
	code, reason := "route.gateway-not-in-subnet", fmt.Sprintf("the gateway %s is not on-link: it is in no subnet of %s", gw, where)
	if r.OnLink {
		code, reason = code+"-onlink", reason+"; the route was forced with onlink"
	}
	f.Why(finding.Problem, code, []string{gw.String(), where}, reason, "use a gateway inside the interface's subnet, or fix the interface's address or netmask")
}

func connected(rs []Route) []Route {
	var out []Route
	for _, r := range rs {
		// BSD tools print a connected route's gateway as link#N or a
		// MAC address, without the G flag.
		direct := r.GatewayText == "" || r.Flags != "" && !strings.Contains(r.Flags, "G")
		if !r.Gateway.IsValid() && direct && (r.Type == TypeUnicast || r.Type == "") && !r.IsDefault() {
			out = append(out, r)
		}
	}
	return out
}

func nameOr(r *Route) string {
	if r.Iface != "" {
		return r.Iface
	}
	return fmt.Sprintf("index %d", r.IfIndex)
}
