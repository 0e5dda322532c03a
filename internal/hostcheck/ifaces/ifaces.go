// Package ifaces describes a host's network interfaces (state, MTU and
// addresses) and judges them: an interface that is up without carrier, one
// without any address, only a link-local IPv6 address, a duplicate address.
// The facts come from netlink on Linux (Collect) or from `ifconfig -a` output
// (ParseIfconfig), which is also how the BSDs and macOS are read.
package ifaces

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/hostcheck/finding"
)

// Interface is one network interface.
type Interface struct {
	Index int    `json:"index,omitempty"`
	Name  string `json:"name"`
	// Up is the administrative state (IFF_UP).
	Up bool `json:"up"`
	// Running is IFF_RUNNING.
	Running bool `json:"running"`
	// Carrier is the physical link state, nil when the source does not
	// say (e.g. a BSD ifconfig without a status line).
	Carrier *bool `json:"carrier,omitempty"`
	// OperState is the kernel's operational state word (Linux: "up",
	// "down", "lowerlayerdown", ...) or the BSD status line, when known.
	OperState string `json:"oper_state,omitempty"`
	Loopback  bool   `json:"loopback,omitempty"`
	// PointToPoint is set for tunnels and other point-to-point links.
	PointToPoint bool `json:"point_to_point,omitempty"`
	MTU          int  `json:"mtu,omitempty"`
	// Master names the bridge or bond the interface is a port of.
	Master string `json:"master,omitempty"`
	Addrs  []Addr `json:"addrs,omitempty"`
}

// Addr is one address of an interface.
type Addr struct {
	Prefix netip.Prefix `json:"prefix"`
	// Tentative: IPv6 duplicate address detection has not finished.
	Tentative bool `json:"tentative,omitempty"`
	// DADFailed: IPv6 duplicate address detection found another host
	// with this address on the link.
	DADFailed bool `json:"dad_failed,omitempty"`
	// Deprecated: the address's preferred lifetime is over.
	Deprecated bool `json:"deprecated,omitempty"`
}

// HasCarrier reports whether the interface is known to have carrier.
func (i *Interface) HasCarrier() bool { return i.Carrier != nil && *i.Carrier }

// NoCarrier reports whether the interface is known to lack carrier.
func (i *Interface) NoCarrier() bool { return i.Carrier != nil && !*i.Carrier }

// State is a short description of the interface state for people,
// e.g. "up,running,carrier".
func (i *Interface) State() string {
	var s []string
	if i.Up {
		s = append(s, "up")
	} else {
		s = append(s, "down")
	}
	if i.Running {
		s = append(s, "running")
	}
	switch {
	case i.HasCarrier():
		s = append(s, "carrier")
	case i.NoCarrier():
		s = append(s, "no-carrier")
	}
	return strings.Join(s, ",")
}

// Global reports whether a is an address other hosts can use beyond the
// link: neither loopback, link-local, multicast nor unspecified.
func Global(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified()
}

// Sort orders interfaces by index, then name, and each one's addresses by
// family and address.
func Sort(ifs []Interface) {
	for i := range ifs {
		slices.SortFunc(ifs[i].Addrs, func(a, b Addr) int {
			return cmp.Or(cmp.Compare(a.Prefix.Addr().BitLen(), b.Prefix.Addr().BitLen()),
				a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
		})
	}
	slices.SortStableFunc(ifs, func(a, b Interface) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Name, b.Name))
	})
}

// Evaluate judges each interface and the set as a whole. It is a pure
// function of its input.
func Evaluate(ifs []Interface) []finding.Finding {
	var out []finding.Finding
	if len(ifs) == 0 {
		f := finding.Finding{Subject: "interfaces"}
		f.Say("iface.none-found", nil, "no network interface found")
		f.Why(finding.Problem, "iface.none", nil, "not even a loopback interface exists", "look at `ip link` (Linux) or `ifconfig -a`")
		return []finding.Finding{f}
	}
	for i := range ifs {
		out = append(out, evaluateOne(&ifs[i]))
	}
	out = append(out, duplicates(ifs)...)
	return out
}

// Describe formats the state, MTU and addresses of an interface in one line.
func Describe(i *Interface) string {
	if len(i.Addrs) == 0 {
		return describe(i) + " no address"
	}
	return describe(i)
}

// describe is Describe without the words "no address", which the
// catalogue words in each language.
func describe(i *Interface) string {
	var b strings.Builder
	b.WriteString(i.State())
	if i.MTU > 0 {
		fmt.Fprintf(&b, " mtu %d", i.MTU)
	}
	if i.Master != "" {
		fmt.Fprintf(&b, " master %s", i.Master)
	}
	for _, a := range i.Addrs {
		b.WriteString(" ")
		b.WriteString(a.Prefix.String())
		switch {
		case a.DADFailed:
			b.WriteString("(dadfailed)")
		case a.Tentative:
			b.WriteString("(tentative)")
		case a.Deprecated:
			b.WriteString("(deprecated)")
		}
	}
	return b.String()
}

func evaluateOne(i *Interface) finding.Finding {
	f := finding.Finding{Subject: i.Name, Verdict: finding.OK, Message: Describe(i)}
	if len(i.Addrs) == 0 {
		f.Say("iface.state-no-address", []string{describe(i)}, f.Message)
	}
	var v4, v6global, v6ll int
	for _, a := range i.Addrs {
		addr := a.Prefix.Addr()
		switch {
		case addr.Is4():
			v4++
		case addr.IsLinkLocalUnicast():
			v6ll++
		case Global(addr):
			v6global++
		}
	}
	set := func(v finding.Verdict, code string, args []string, reason, hint string) {
		if f.Verdict == finding.OK || v == finding.Problem && f.Verdict != finding.Problem {
			f.Why(v, code, args, reason, hint)
		}
	}
	if i.Loopback {
		if !i.Up {
			set(finding.Problem, "iface.loopback-down", nil, "the loopback interface is down: programs on this host cannot reach 127.0.0.1 or ::1",
				"bring it up (`ip link set lo up`, `ifconfig lo0 up`)")
		} else if !hasAddr(i, netip.MustParseAddr("127.0.0.1")) && !hasAddr(i, netip.IPv6Loopback()) {
			set(finding.Problem, "iface.loopback-no-address", nil, "the loopback interface has neither 127.0.0.1 nor ::1",
				"look at the loopback configuration (`ifconfig lo0`, `ip addr show lo`)")
		}
		return f
	}
	for _, a := range i.Addrs {
		if a.DADFailed {
			set(finding.Problem, "iface.dad-failed", []string{a.Prefix.Addr().String()}, fmt.Sprintf("duplicate address detection failed for %s: another host on the link uses it", a.Prefix.Addr()),
				"find the other host (`ndp -an`, `ip -6 neigh`) or change the address")
		}
	}
	if !i.Up {
		// An interface that is administratively down is a choice, not a
		// fault; an expectation can require it to be up.
		return f
	}
	if i.NoCarrier() {
		// Without addresses nothing configured is lost (an unplugged
		// spare port); with addresses this host is unreachable there.
		v := finding.Warning
		if len(i.Addrs) > 0 {
			v = finding.Problem
		}
		set(v, "iface.no-carrier", nil, "the interface is up but has no carrier: no cable, the peer or switch port is down",
			"check the cable, the switch port or the other end of the link (for a veth, its peer)")
	}
	if len(i.Addrs) == 0 && i.Master == "" {
		set(finding.Warning, "iface.no-address", nil, "the interface is up but has no address",
			"configure an address, or bring it down if it is unused")
	} else if v4 == 0 && v6global == 0 && v6ll > 0 && i.Master == "" {
		set(finding.Warning, "iface.link-local-only", nil, "only a link-local IPv6 address: hosts beyond this link cannot reach this host through it",
			"configure a global address (static, DHCP, SLAAC) if it should be reachable")
	}
	return f
}

func hasAddr(i *Interface, a netip.Addr) bool {
	for _, x := range i.Addrs {
		if x.Prefix.Addr().WithZone("") == a {
			return true
		}
	}
	return false
}

// duplicates reports an address configured more than once: on two
// interfaces, or twice on one. Link-local addresses are only compared
// within one interface, since each link is its own scope.
func duplicates(ifs []Interface) []finding.Finding {
	type where struct{ names []string }
	seen := map[netip.Addr]*where{}
	var order []netip.Addr
	for _, i := range ifs {
		for _, a := range i.Addrs {
			addr := a.Prefix.Addr().WithZone("")
			key := addr
			if addr.IsLinkLocalUnicast() || i.Loopback {
				key = addr.WithZone(i.Name)
				if addr.Is4() {
					// IPv4 has no zones: key link-local v4 by
					// interface through the v4-mapped form.
					key = netip.AddrFrom16(addr.As16()).WithZone(i.Name)
				}
			}
			w, ok := seen[key]
			if !ok {
				w = &where{}
				seen[key] = w
				order = append(order, key)
			}
			w.names = append(w.names, i.Name)
		}
	}
	var out []finding.Finding
	for _, key := range order {
		w := seen[key]
		if len(w.names) < 2 {
			continue
		}
		addr := key.Unmap().WithZone("")
		f := finding.Finding{Subject: addr.String()}
		f.Say("iface.configured-twice", []string{addr.String(), strconv.Itoa(len(w.names)), strings.Join(w.names, ", ")},
			fmt.Sprintf("%s is configured %d times: on %s", addr, len(w.names), strings.Join(w.names, ", ")))
		f.Why(finding.Problem, "iface.duplicate", nil, "a duplicate address makes replies leave through the wrong interface, or not at all",
			"remove all but one (`ip addr del`, `ifconfig IF inet ADDR delete`)")
		out = append(out, f)
	}
	return out
}
