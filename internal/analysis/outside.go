package analysis

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Outside joins a port scan of this host (nmap) with the report's rows by
// address, protocol and port. rep.Policy, when set, marks open ports that
// the policy does not know. Addresses that are not this host's (by snap's
// interfaces) are reported as such, never joined.
func Outside(rep *report.Report, snap *snapshot.Snapshot, scan *snapshot.Scan) *report.Outside {
	out := &report.Outside{Scanner: scan.Scanner, Args: scan.Args, Ports: []report.OutsidePort{}}
	if !scan.Started.IsZero() {
		out.Started = scan.Started.Format(time.RFC3339)
	}
	local := map[netip.Addr]bool{}
	for _, ifc := range snap.Interfaces {
		for _, p := range ifc.Addrs {
			local[p.Addr().Unmap()] = true
		}
	}
	newRows := map[[2]any]bool{}
	if rep.Policy != nil {
		for _, v := range rep.Policy.Violations {
			if v.Kind == report.PolicyNew {
				newRows[[2]any{v.Proto, v.Port}] = true
			}
		}
	}
	joined := map[*report.Row]bool{}
	for _, h := range scan.Hosts {
		for _, a := range h.Addrs {
			a = a.Unmap()
			if !local[a] {
				join := report.OutsideNotThisHost
				if len(local) == 0 {
					join = report.OutsideAddressUnknown
				}
				for _, p := range h.Ports {
					if p.State == "open" {
						out.Ports = append(out.Ports, report.OutsidePort{Address: a.String(), Proto: string(p.Proto), Port: p.Port, State: p.State, Join: join})
					}
				}
				continue
			}
			listed := map[[2]any]bool{}
			for _, p := range h.Ports {
				listed[[2]any{p.Proto, p.Port}] = true
				op := report.OutsidePort{Address: a.String(), Proto: string(p.Proto), Port: p.Port, State: p.State}
				row := rowFor(rep, a, p.Proto, p.Port)
				switch {
				case row == nil && p.State == "open":
					op.Join = report.OutsideNoSocket
				case row == nil:
					continue // closed or filtered, and nothing listens: as it should be
				case p.State == "open" && newRows[[2]any{string(p.Proto), p.Port}]:
					op.Join = report.OutsideNotInPolicy
				case p.State == "open" && row.Published != nil && row.Published.Target != "":
					op.Join = report.OutsidePublished
				case p.State == "open":
					op.Join = report.OutsideExpected
				case p.State == "open|filtered":
					op.Join = report.OutsideUnanswered
				default:
					op.Join = report.OutsideFiltered
				}
				if row != nil {
					describeLocal(&op, row)
					for i := range rep.Rows {
						if r := &rep.Rows[i]; r.Proto == p.Proto && r.Port == p.Port && reachedAt(r, a) {
							joined[r] = true
						}
					}
				}
				out.Ports = append(out.Ports, op)
			}
			// Rows whose port was probed but not listed: the scan saw
			// them in the host's extra state (closed or filtered).
			for i := range rep.Rows {
				row := &rep.Rows[i]
				if joined[row] || listed[[2]any{row.Proto, row.Port}] || !reachedAt(row, a) || !scan.Probed(row.Proto, row.Port) {
					continue
				}
				op := report.OutsidePort{Address: a.String(), Proto: string(row.Proto), Port: row.Port, State: h.ExtraState, Join: report.OutsideFiltered}
				describeLocal(&op, row)
				joined[row] = true
				out.Ports = append(out.Ports, op)
			}
		}
	}
	for i := range rep.Rows {
		if !joined[&rep.Rows[i]] && rep.Rows[i].Exposure != report.ExposureLoopback {
			out.NotScanned++
		}
	}
	slices.SortStableFunc(out.Ports, func(x, y report.OutsidePort) int {
		return cmp.Or(cmp.Compare(x.Address, y.Address), cmp.Compare(x.Proto, y.Proto), cmp.Compare(x.Port, y.Port))
	})
	return out
}

// rowFor finds the row listening on proto/port that a packet to a reaches
// (the DNAT-published row first: it is where such a packet goes).
func rowFor(rep *report.Report, a netip.Addr, proto snapshot.Proto, port uint16) *report.Row {
	var found *report.Row
	for i := range rep.Rows {
		row := &rep.Rows[i]
		if row.Proto == proto && row.Port == port && reachedAt(row, a) {
			if row.Published != nil && len(row.Sockets) == 0 {
				return row
			}
			if found == nil {
				found = row
			}
		}
	}
	return found
}

// reachedAt reports whether a packet to address a reaches one of row's
// sockets: a wildcard of a's IP version, or a itself.
func reachedAt(row *report.Row, a netip.Addr) bool {
	for _, s := range rowSockets(row) {
		l := s.Local.Addr().Unmap()
		if l == a {
			return true
		}
		if l.IsUnspecified() && s.Exposure != report.ExposureLoopback && reaches(s.Reach, addrFamily(a)) {
			return true
		}
	}
	return false
}

func describeLocal(op *report.OutsidePort, row *report.Row) {
	op.Service = row.ServiceLabel
	if row.Published != nil {
		op.PublishedTo = row.Published.Target
	}
	for _, p := range row.Processes {
		op.Processes = append(op.Processes, p.PID)
	}
	if row.Firewall != nil {
		op.Firewall = row.Firewall.Verdict
	}
}
