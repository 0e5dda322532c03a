package analysis

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// The rules beyond single services. Each adds findings to rows; they see
// every row, hidden loopback rows included (a loopback twin is found
// through one).

// finding makes a finding of the knowledge-base message rule.<id>.
func finding(kb *knowledge.Base, id string, args ...string) report.Finding {
	sev := knowledge.Review
	if m, ok := kb.Message("rule." + id); ok && m.Severity.Valid() {
		sev = m.Severity
	}
	return report.Finding{Rule: id, Severity: sev,
		Message: report.Note{Key: "message.rule." + id + ".text", Args: args}}
}

func applyRules(kb *knowledge.Base, snap *snapshot.Snapshot, rows []*report.Row) {
	duplicateListeners(kb, rows)
	ephemeralBound(kb, snap, rows)
	loopbackTwins(kb, rows)
	rootWildcard(kb, rows)
	publicWildcard(kb, snap, rows)
}

// duplicateListeners: two independent processes on the same port and
// overlapping addresses — not a parent and its children sharing one socket.
func duplicateListeners(kb *knowledge.Base, rows []*report.Row) {
	// Only rows of one namespace, protocol and port can clash: compare
	// within those groups (all pairs of all rows is quadratic in the
	// rows of a large parsed output).
	type portKey struct {
		netns uint64
		proto snapshot.Proto
		port  uint16
	}
	groups := map[portKey][]*report.Row{}
	var order []portKey
	for _, r := range rows {
		k := portKey{r.NetNS, r.Proto, r.Port}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		duplicatesAmong(kb, groups[k])
	}
}

// duplicatesAmong applies duplicateListeners to rows of one port.
func duplicatesAmong(kb *knowledge.Base, rows []*report.Row) {
	for i, a := range rows {
		for _, b := range rows[i+1:] {
			if a.NetNS != b.NetNS || a.Proto != b.Proto || a.Port != b.Port ||
				len(a.Processes) == 0 || len(b.Processes) == 0 || !overlap(a, b) || related(a.Processes, b.Processes) ||
				multicastGroup(a) || multicastGroup(b) {
				continue
			}
			where := string(a.Proto) + "/" + strconv.Itoa(int(a.Port))
			pa, pb := describe(rootProcess(a.Processes)), describe(rootProcess(b.Processes))
			a.Findings = append(a.Findings, finding(kb, "duplicate-listener", pa, pb, where))
			b.Findings = append(b.Findings, finding(kb, "duplicate-listener", pb, pa, where))
		}
	}
}

// multicastGroup reports whether row is bound to a multicast group address
// (224.0.0.251:5353): every socket bound to a group gets its own copy of
// each datagram, so processes sharing the group do not steal each other's.
func multicastGroup(row *report.Row) bool {
	a, err := netip.ParseAddr(row.Address)
	return err == nil && a.IsMulticast()
}

func describe(p report.Process) string { return fmt.Sprintf("%s (%d)", p.Name, p.PID) }

// overlap reports whether a connection could reach either row: same IP
// version and the same address, or a wildcard.
func overlap(a, b *report.Row) bool {
	if a.Reach != b.Reach && a.Reach != report.ReachBoth && b.Reach != report.ReachBoth {
		return false
	}
	return a.Address == b.Address || a.Address == "*" || b.Address == "*"
}

// related reports whether the two process sets share a process or a
// parent-child link (forked servers, SO_REUSEPORT workers of one master).
func related(a, b []report.Process) bool {
	for _, p := range a {
		for _, q := range b {
			if p.PID == q.PID || p.PID == q.PPID || q.PID == p.PPID || (p.PPID != 0 && p.PPID == q.PPID && p.PPID != 1) {
				return true
			}
		}
	}
	return false
}

// ephemeralBound: a datagram socket bound, not listening, on a port of the
// ephemeral range (usually a short-lived client socket).
func ephemeralBound(kb *knowledge.Base, snap *snapshot.Snapshot, rows []*report.Row) {
	r := snap.EphemeralPorts
	if r == nil {
		if d, ok := knowledge.DefaultEphemeral(snap.OS); ok {
			r = &d
		}
	}
	if r == nil {
		return
	}
	span := fmt.Sprintf("%d-%d", r.First, r.Last)
	for _, row := range rows {
		if !r.Contains(row.Port) || row.Port == 0 || slices.ContainsFunc(row.Sockets, func(s report.Socket) bool { return s.State == snapshot.Listen }) {
			continue
		}
		row.Findings = append(row.Findings, finding(kb, "ephemeral-bound", strconv.Itoa(int(row.Port)), span))
	}
}

// loopbackTwins: a program that listens on all interfaces and, on the same
// port, on loopback only.
func loopbackTwins(kb *knowledge.Base, rows []*report.Row) {
	for _, a := range rows {
		if a.Exposure != report.ExposureAll || len(a.Processes) == 0 {
			continue
		}
		for _, b := range rows {
			if b.Exposure == report.ExposureLoopback && b.NetNS == a.NetNS && b.Proto == a.Proto && b.Port == a.Port &&
				len(b.Processes) > 0 && related(a.Processes, b.Processes) {
				a.Findings = append(a.Findings, finding(kb, "loopback-twin", rootProcess(a.Processes).Name))
				break
			}
		}
	}
}

// rootWildcard: a process running as root listens on all interfaces.
func rootWildcard(kb *knowledge.Base, rows []*report.Row) {
	for _, row := range rows {
		if row.Exposure != report.ExposureAll {
			continue
		}
		for _, p := range row.Processes {
			if (p.UID != nil && *p.UID == 0) || (p.UID == nil && p.User == "root") {
				row.Findings = append(row.Findings, finding(kb, "root-wildcard", p.Name))
				break
			}
		}
	}
}

// publicWildcard: wildcard binds on a host that has a public address (on
// an interface, or bound by some socket).
func publicWildcard(kb *knowledge.Base, snap *snapshot.Snapshot, rows []*report.Row) {
	public := map[uint64]netip.Addr{}
	for _, i := range snap.Interfaces {
		for _, p := range i.Addrs {
			if _, ok := public[i.NetNS]; !ok && isPublic(p.Addr()) {
				public[i.NetNS] = p.Addr()
			}
		}
	}
	for _, s := range snap.Sockets {
		if a := s.Local.Addr().Unmap(); isPublic(a) {
			if _, ok := public[s.NetNS]; !ok {
				public[s.NetNS] = a
			}
		}
	}
	for _, row := range rows {
		if a, ok := public[row.NetNS]; ok && row.Exposure == report.ExposureAll {
			row.Findings = append(row.Findings, finding(kb, "public-wildcard", a.String()))
		}
	}
}

// notPublic are special-purpose ranges that are not reachable from the
// Internet although Addr.IsPrivate does not say so.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

func isPublic(a netip.Addr) bool {
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
