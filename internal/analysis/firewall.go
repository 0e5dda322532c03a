package analysis

import (
	"net/netip"
	"slices"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// firewallVerdict evaluates the ruleset for a new connection from another
// machine to row: one synthetic packet per interface that can carry it, IP
// version and destination address. It returns nil for rows the ruleset
// does not filter (another namespace, loopback-only, raw sockets).
func firewallVerdict(rs *firewall.Ruleset, view *netView, row *report.Row) *report.Firewall {
	if rs == nil || rs.NetNS != 0 && rs.NetNS != row.NetNS || row.Exposure == report.ExposureLoopback {
		return nil
	}
	proto := protoNumber(row.Proto)
	if proto == 0 {
		return nil
	}
	fw := &report.Firewall{Backends: rs.Backends, Notes: rs.Notes, Probes: []report.FirewallProbe{}}
	if len(rs.Unread) > 0 {
		fw.Verdict = firewall.Unknown
		for _, u := range rs.Unread {
			fw.Reasons = append(fw.Reasons, firewall.NewReason(firewall.ReasonBackendUnread,
				map[string]string{"backend": u.Backend, "error": u.Detail}))
		}
		return fw
	}
	if slices.ContainsFunc(row.Sockets, func(s report.Socket) bool { return s.Transparent }) {
		// A TPROXY rule hands a transparent socket connections made to
		// other addresses and ports, which the input chain sees as they
		// were sent: probing the socket's own address would judge
		// packets it is not given, and could call it blocked.
		fw.Verdict = firewall.Unknown
		fw.Reasons = append(fw.Reasons, firewall.NewReason(firewall.ReasonUnmodelled,
			map[string]string{"what": "a transparent socket (IP_TRANSPARENT), which a TPROXY rule hands connections made to other addresses and ports"}))
		return fw
	}
	for _, p := range packets(view, row, proto) {
		res := rs.Evaluate(p)
		probe := report.FirewallProbe{Interface: p.Iif, Family: p.Family, Address: p.Daddr.String(), Result: res}
		if p.Iif == "" {
			probe.Interface = "any"
		}
		if !p.Daddr.IsValid() {
			probe.Address = "any"
		}
		fw.Probes = append(fw.Probes, probe)
	}
	summarise(fw)
	return fw
}

func protoNumber(p snapshot.Proto) uint8 {
	switch p {
	case snapshot.TCP:
		return firewall.ProtoTCP
	case snapshot.UDP:
		return firewall.ProtoUDP
	case snapshot.UDPLite:
		return firewall.ProtoUDPLite
	case snapshot.SCTP:
		return firewall.ProtoSCTP
	}
	return 0
}

// netView is what the packets to one namespace share: its interfaces,
// its addresses and connected networks, and each interface's prefixes of
// either family. It is made once per namespace, not once per row.
type netView struct {
	ifaces []snapshot.Interface
	local  []netip.Addr
	routes []firewall.Route
	// prefixes[i] are ifaces[i]'s IPv4 ([0]) and IPv6 ([1]) prefixes.
	prefixes [][2][]netip.Prefix
}

func newNetView(ifaces []snapshot.Interface) *netView {
	v := &netView{ifaces: ifaces, prefixes: make([][2][]netip.Prefix, len(ifaces))}
	for i, ifc := range ifaces {
		for _, p := range ifc.Addrs {
			v.local = append(v.local, p.Addr().Unmap())
			v.routes = append(v.routes, firewall.Route{Prefix: p.Masked(), Iface: ifc.Name, Index: uint32(ifc.Index)})
			f := 1
			if p.Addr().Unmap().Is4() {
				f = 0
			}
			v.prefixes[i][f] = append(v.prefixes[i][f], p)
		}
	}
	return v
}

// packets are the synthetic packets that can reach row's sockets from
// another machine: for a wildcard, every address of every interface other
// than loopback (of the IP versions the row reaches); for one address,
// that address on its interface; for a device-bound socket, that device's
// addresses.
func packets(v *netView, row *report.Row, proto uint8) []firewall.Packet {
	if v == nil || len(v.ifaces) == 0 {
		return anyInterface(row, proto)
	}
	type probe struct {
		iface int
		addr  netip.Addr
	}
	var out []firewall.Packet
	var seen []probe // few: a slice beats a map
	for _, s := range rowSockets(row) {
		local := s.Local.Addr().Unmap()
		for i, ifc := range v.ifaces {
			if !ifc.Up || isLoopbackIface(ifc) {
				continue
			}
			if s.Interface != "" && ifc.Name != s.Interface {
				continue
			}
			if local.Is4() && local.IsLoopback() {
				// Reached through route_localnet (see Exposure): a
				// packet for the loopback address on each interface
				// that takes one.
				if ifc.RouteLocalnet && !slices.Contains(seen, probe{i, local}) {
					seen = append(seen, probe{i, local})
					out = append(out, firewall.Packet{
						Family: firewall.FamilyIP, Iif: ifc.Name, IifIndex: uint32(ifc.Index), IifPrefixes: v.prefixes[i][0],
						Daddr: local, Proto: proto, Dport: s.Local.Port(), Local: v.local, Routes: v.routes,
					})
				}
				continue
			}
			for _, pfx := range ifc.Addrs {
				a := pfx.Addr().Unmap()
				if a.IsLoopback() || a.IsMulticast() {
					continue
				}
				family := addrFamily(a)
				if !reaches(s.Reach, family) {
					continue
				}
				if !local.IsUnspecified() && a != local {
					continue
				}
				if slices.Contains(seen, probe{i, a}) {
					continue
				}
				seen = append(seen, probe{i, a})
				f := 0
				if family == firewall.FamilyIP6 {
					f = 1
				}
				out = append(out, firewall.Packet{
					Family: family, Iif: ifc.Name, IifIndex: uint32(ifc.Index), IifPrefixes: v.prefixes[i][f],
					Daddr: a, Proto: proto, Dport: s.Local.Port(), Local: v.local, Routes: v.routes,
				})
			}
		}
	}
	return out
}

// rowSockets are the sockets a packet to row may reach: the row's own, or
// for a port published by DNAT with no local socket, one standing for the
// published address.
func rowSockets(row *report.Row) []report.Socket {
	if len(row.Sockets) > 0 || row.Published == nil {
		return row.Sockets
	}
	addr := netip.IPv6Unspecified()
	if a, err := netip.ParseAddr(row.Address); err == nil {
		addr = a
	}
	return []report.Socket{{Socket: snapshot.Socket{Proto: row.Proto, Local: netip.AddrPortFrom(addr, row.Port)},
		Exposure: row.Exposure, Reach: row.Reach, Interface: row.Interface}}
}

// anyInterface are the packets for a snapshot without interfaces (a saved
// tool output and a saved ruleset): one per IP version, on any interface,
// to the socket's address or, for a wildcard, any local address; rules on
// the interface or the address then make the row partly open.
func anyInterface(row *report.Row, proto uint8) []firewall.Packet {
	var out []firewall.Packet
	seen := map[string]bool{}
	for _, s := range rowSockets(row) {
		local := s.Local.Addr().Unmap()
		for _, family := range []string{firewall.FamilyIP, firewall.FamilyIP6} {
			if !reaches(s.Reach, family) || local.IsValid() && !local.IsUnspecified() && local.Is4() != (family == firewall.FamilyIP) {
				continue
			}
			p := firewall.Packet{Family: family, Proto: proto, Dport: s.Local.Port(), Iif: s.Interface}
			if local.IsValid() && !local.IsUnspecified() {
				p.Daddr = local
			}
			if key := family + "|" + p.Daddr.String() + "|" + p.Iif; !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// addrFamily is the firewall family of a (unmapped) address: ip or ip6.
func addrFamily(a netip.Addr) string {
	if a.Is6() {
		return firewall.FamilyIP6
	}
	return firewall.FamilyIP
}

// reaches reports whether a socket of reach takes packets of family.
func reaches(reach snapshot.Reach, family string) bool {
	switch reach {
	case report.ReachV4:
		return family == firewall.FamilyIP
	case report.ReachV6:
		return family == firewall.FamilyIP6
	}
	return true
}

// summarise turns the probes into the row's verdict: open or blocked only
// when every probe agrees, partly when some are open and some not, unknown
// when any probe is unknown or there is no probe at all.
func summarise(fw *report.Firewall) {
	count := map[firewall.Verdict]int{}
	for _, p := range fw.Probes {
		count[p.Verdict]++
		if p.DNAT != "" && !slices.Contains(fw.DNAT, p.DNAT) {
			fw.DNAT = append(fw.DNAT, p.DNAT)
		}
		for _, r := range p.Reasons {
			if !slices.ContainsFunc(fw.Reasons, func(x firewall.Reason) bool { return x.Detail == r.Detail }) {
				fw.Reasons = append(fw.Reasons, r)
			}
		}
	}
	n := len(fw.Probes)
	switch {
	case n == 0:
		fw.Verdict = firewall.Unknown
		fw.Reasons = append(fw.Reasons, firewall.NewReason(firewall.ReasonNoInterface, nil))
		return
	case count[firewall.Unknown] > 0:
		fw.Verdict = firewall.Unknown
		return
	case count[firewall.Open] == n:
		fw.Verdict = firewall.Open
	case count[firewall.Blocked] == n:
		fw.Verdict = firewall.Blocked
	default:
		fw.Verdict = firewall.Partly
		for _, p := range fw.Probes {
			v := "v4"
			if p.Family == firewall.FamilyIP6 {
				v = "v6"
			}
			where := report.OpenWhere{Interface: p.Interface, IP: v, DNAT: p.DNAT != "", SomeSources: p.Verdict == firewall.Partly}
			if p.Verdict != firewall.Blocked && !slices.Contains(fw.OpenOn, where) {
				fw.OpenOn = append(fw.OpenOn, where)
			}
		}
		return // no one rule decides: the probes and OpenOn say where
	}
	// The deciding rule: the first probe's (all probes agree).
	for _, p := range fw.Probes {
		if p.By != nil {
			by := *p.By
			fw.By = &by
			break
		}
	}
}
