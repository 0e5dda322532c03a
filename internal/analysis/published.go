package analysis

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// proxyProcesses hold the host side of a published port for an engine:
// their socket and the DNAT rule are one published port.
var proxyProcesses = []string{"docker-proxy", "rootlessport", "rootlesskit", "slirp4netns", "pasta", "pasta.avx2", "conmon"}

// addPublished joins the snapshot's DNAT-published ports to rows: to the
// row of a proxy process on the same port of the host namespace, whose
// exposure becomes the rule's when the rule is wider (a docker-proxy on
// 127.0.0.1 with a rule for every address is not loopback-only), else as
// a row of its own, which no socket backs. Rows of a container namespace
// that no rule targets are marked "container network only". The sockets
// of a slirp4netns are joined to the namespace it forwards into. It
// returns the new rows.
func addPublished(snap *snapshot.Snapshot, rows []*report.Row, ifaces map[uint64][]snapshot.Interface) []*report.Row {
	host := uint64(0)
	labels := map[uint64]string{}
	names := map[uint64]string{} // → the container's name, as a policy keys it
	containerNS := map[uint64]bool{}
	forwarder := map[int]uint64{} // slirp4netns PID → the namespace it serves
	for _, ns := range snap.Namespaces {
		if ns.Current {
			host = ns.ID
		}
		if ns.Container != nil {
			containerNS[ns.ID] = true
			labels[ns.ID] = ns.Name
			names[ns.ID] = ns.Container.Key()
		}
		for _, pid := range ns.ForwardedBy {
			forwarder[pid] = ns.ID
		}
	}
	type targetKey struct {
		netns uint64
		proto snapshot.Proto
		port  uint16
	}
	targeted := map[targetKey]string{} // → "*:8080" as published
	var added []*report.Row
	for _, p := range snap.Published {
		class, iface := PublishedExposure(p, ifaces[host])
		addr := "*"
		if class != report.ExposureAll {
			addr = p.Address.Addr().String()
			if p.Address.Bits() != p.Address.Addr().BitLen() {
				addr = p.Address.String()
			}
		}
		if p.AddressNot {
			addr = "!" + addr
		}
		pub := &report.Published{
			Target: TargetText(p), TargetNetNS: p.TargetNetNS, PortLast: p.PortLast, Container: labels[p.TargetNetNS],
			ContainerName: names[p.TargetNetNS], Exposure: class, Address: addr,
			Backend: p.Backend, Table: p.Table, Chain: p.Chain, Comment: p.Comment, Conditions: p.Conditions,
		}
		if p.TargetNetNS != 0 {
			port := p.Target.Port()
			if port == 0 {
				port = p.Port
			}
			targeted[targetKey{p.TargetNetNS, p.Proto, port}] = addr + ":" + strconv.Itoa(int(p.Port))
		}
		if row := proxyRow(rows, host, p); row != nil {
			row.Published = pub
			if exposureRank(class) < exposureRank(row.Exposure) {
				row.Notes = append(row.Notes, report.Note{Key: "published.wider", Args: []string{rootProcess(row.Processes).Name, row.Address, addr}})
				row.Exposure, row.Address, row.Interface = class, addr, iface
			}
			row.Notes = append(row.Notes, publishedNote(pub, p.Port))
			continue
		}
		row := &report.Row{
			NetNS: host, Proto: p.Proto, Address: addr, Port: p.Port, Reach: publishedReach(p),
			Exposure: class, Interface: iface, OwnerState: snapshot.OwnersNone,
			Sockets: []report.Socket{}, Published: pub,
			Notes: []report.Note{publishedNote(pub, p.Port)},
		}
		added = append(added, row)
	}
	forwardedNS := map[uint64]bool{}
	for _, row := range rows {
		for _, proc := range row.Processes {
			ns, ok := forwarder[proc.PID]
			if !ok || row.Published != nil {
				continue
			}
			forwardedNS[ns] = true
			to := labels[ns]
			if to == "" {
				to = "netns " + strconv.FormatUint(ns, 10)
			}
			row.Published = &report.Published{TargetNetNS: ns, Container: labels[ns], ContainerName: names[ns], Exposure: row.Exposure, Address: row.Address, Backend: proc.Name}
			row.Notes = append(row.Notes, report.Note{Key: "published.forwarded", Args: []string{proc.Name, to}})
		}
	}
	for _, row := range rows {
		// A forwarder's ports are added through its API, not seen
		// here: its namespace's listeners may be published or not.
		if !containerNS[row.NetNS] || forwardedNS[row.NetNS] {
			continue
		}
		if as, ok := targeted[targetKey{row.NetNS, row.Proto, row.Port}]; ok {
			row.Notes = append(row.Notes, report.Note{Key: "published.target", Args: []string{as}})
		} else {
			row.Notes = append(row.Notes, report.Note{Key: "netns.container-only", Args: []string{labels[row.NetNS]}})
		}
	}
	return added
}

// proxyRow is the row of a proxy process holding p's port in the host
// namespace, if any.
func proxyRow(rows []*report.Row, host uint64, p snapshot.Published) *report.Row {
	for _, row := range rows {
		if row.NetNS != host || row.Proto != p.Proto || row.Port != p.Port || row.Published != nil {
			continue
		}
		for _, proc := range row.Processes {
			if slices.Contains(proxyProcesses, proc.Name) {
				return row
			}
		}
	}
	return nil
}

// PublishedExposure classifies a DNAT rule by the address it matches.
func PublishedExposure(p snapshot.Published, ifaces []snapshot.Interface) (class snapshot.Exposure, iface string) {
	a := p.Address.Addr().Unmap()
	switch {
	case p.Address.Bits() == 0 || p.AddressNot:
		return report.ExposureAll, ""
	case a.IsLoopback():
		return report.ExposureLoopback, ""
	case a.IsLinkLocalUnicast():
		return report.ExposureLinkLocal, ""
	}
	if p.Address.Bits() == a.BitLen() {
		return report.ExposureAddress, interfaceOf(ifaces, a)
	}
	return report.ExposureAddress, ""
}

func publishedReach(p snapshot.Published) snapshot.Reach {
	if p.Address.Addr().Is4() || p.Address.Addr().Is4In6() {
		return report.ReachV4
	}
	return report.ReachV6
}

// TargetText is "192.0.2.2:80", "192.0.2.2" (port kept), or for a
// redirect "this host:PORT".
func TargetText(p snapshot.Published) string {
	a := p.Target.Addr()
	switch {
	case !a.IsValid() && p.Target.Port() != 0:
		return "localhost:" + strconv.Itoa(int(p.Target.Port()))
	case !a.IsValid():
		return "localhost"
	case p.Target.Port() == 0:
		return a.String()
	}
	return netip.AddrPortFrom(a, p.Target.Port()).String()
}

// publishedNote says where the port goes and that INPUT rules do not see
// it: "published by DNAT to 192.0.2.2:80 (container web): not filtered
// by INPUT rules (ufw, firewalld)".
func publishedNote(p *report.Published, port uint16) report.Note {
	to := p.Target
	if p.PortLast != 0 {
		to += " (ports " + strconv.Itoa(int(port)) + "-" + strconv.Itoa(int(p.PortLast)) + ")"
	}
	if p.Container != "" {
		to += " (" + p.Container + ")"
	}
	args := []string{to, p.Backend + " " + p.Table + "/" + p.Chain}
	if len(p.Conditions) > 0 {
		args = append(args, strings.Join(p.Conditions, ", "))
		return report.Note{Key: "published.dnat-conditions", Args: args}
	}
	return report.Note{Key: "published.dnat", Args: args}
}
