// Package analysis turns a snapshot into a report: it classifies each
// socket's exposure and reach, hides what the view hides, merges sockets into
// the rows a person reads, and decides the exit code. It is pure: no I/O.
package analysis

import (
	"net/netip"
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Exposure classifies who can reach s by its local address, and names the
// interface where one applies. ifaces are the interfaces of s's namespace.
func Exposure(s *snapshot.Socket, ifaces []snapshot.Interface) (class snapshot.Exposure, iface string) {
	addr := s.Local.Addr().Unmap()
	dev := s.Interface
	if dev == "" && s.IfIndex != 0 {
		dev = interfaceName(ifaces, int(s.IfIndex))
	}
	switch {
	case !addr.IsValid() && s.LocalText != "":
		// A host name or a cut address from a parsed tool output: one
		// address of the host, which one is unknown.
		return report.ExposureAddress, dev
	case addr.IsLoopback():
		if s.Transparent && !isLoopbackDevice(ifaces, dev) {
			// IP_TRANSPARENT: a TPROXY rule can hand it other
			// machines' connections, whatever its address.
			return report.ExposureAddress, dev
		}
		if via := localnetVia(ifaces, addr, dev); len(via) > 0 {
			// route_localnet: other machines reach 127.0.0.0/8
			// through these interfaces. One is named; for several
			// the row's note names them.
			if len(via) == 1 {
				return report.ExposureAddress, via[0]
			}
			return report.ExposureAddress, ""
		}
		return report.ExposureLoopback, dev
	case addr.IsUnspecified() || !addr.IsValid():
		if dev != "" {
			if isLoopbackDevice(ifaces, dev) {
				return report.ExposureLoopback, dev
			}
			return report.ExposureDevice, dev
		}
		return report.ExposureAll, ""
	case addr.IsLinkLocalUnicast():
		if z := addr.Zone(); z != "" && dev == "" {
			dev = z
		}
		if dev != "" && isLoopbackDevice(ifaces, dev) {
			// fe80::1%lo0, the BSDs' loopback link-local address
			return report.ExposureLoopback, dev
		}
		return report.ExposureLinkLocal, dev
	}
	if dev == "" {
		dev = interfaceOf(ifaces, addr)
	}
	return report.ExposureAddress, dev
}

// Reach says which IP versions can reach s. An IPv6 wildcard socket accepts
// IPv4 too unless IPV6_V6ONLY is set; where the socket does not say, the
// host's default applies, and where that is unknown too, the wider reach is
// assumed (an over-statement is safer than a hidden exposure).
func Reach(s *snapshot.Socket, hostV6Only *bool) snapshot.Reach {
	addr := s.Local.Addr()
	if addr.Is4() || addr.Is4In6() || !addr.IsValid() && s.Family == "inet" {
		return report.ReachV4
	}
	if !addr.IsUnspecified() {
		return report.ReachV6
	}
	v6only := s.V6Only
	if v6only == nil {
		v6only = hostV6Only
	}
	if v6only != nil && *v6only {
		return report.ReachV6
	}
	return report.ReachBoth
}

func interfaceName(ifaces []snapshot.Interface, index int) string {
	for _, i := range ifaces {
		if i.Index == index {
			return i.Name
		}
	}
	return ""
}

// localnetVia names the interfaces through which other machines reach addr,
// an IPv4 loopback address, because their route_localnet is on: those of
// ifaces with RouteLocalnet, or only dev when the socket is bound to one.
func localnetVia(ifaces []snapshot.Interface, addr netip.Addr, dev string) []string {
	if !addr.Is4() || !addr.IsLoopback() {
		return nil
	}
	var via []string
	for _, i := range ifaces {
		if i.RouteLocalnet && !isLoopbackIface(i) && (dev == "" || i.Name == dev) {
			via = append(via, i.Name)
		}
	}
	return via
}

// localnetNotes are the notes of a row that listens on a loopback address
// other machines reach anyway: through a TPROXY rule (IP_TRANSPARENT),
// and through route_localnet, naming the interfaces; none for any other
// row. Both apply at once on a node that has both (Istio and kube-proxy).
func localnetNotes(row *report.Row, ifaces []snapshot.Interface) []report.Note {
	if row.Exposure == report.ExposureLoopback || len(row.Sockets) == 0 {
		return nil
	}
	var notes []report.Note
	s := row.Sockets[0]
	if s.Transparent && s.Local.Addr().Unmap().IsLoopback() {
		notes = append(notes, report.Note{Key: "exposure.transparent"})
	}
	if via := localnetVia(ifaces, s.Local.Addr().Unmap(), s.Socket.Interface); len(via) > 0 {
		notes = append(notes, report.Note{Key: "exposure.route-localnet", Args: []string{strings.Join(via, ", ")}})
	}
	return notes
}

func isLoopbackDevice(ifaces []snapshot.Interface, name string) bool {
	for _, i := range ifaces {
		if i.Name == name && len(i.Addrs) > 0 {
			return isLoopbackIface(i)
		}
	}
	return name == "lo" || name == "lo0"
}

// isLoopbackIface says whether ifc is the loopback: by its name, or by all
// of its addresses being loopback ones.
func isLoopbackIface(ifc snapshot.Interface) bool {
	if ifc.Name == "lo" || ifc.Name == "lo0" {
		return true
	}
	for _, p := range ifc.Addrs {
		if !p.Addr().IsLoopback() {
			return false
		}
	}
	return len(ifc.Addrs) > 0
}

func interfaceOf(ifaces []snapshot.Interface, addr netip.Addr) string {
	addr = addr.WithZone("")
	for _, i := range ifaces {
		for _, p := range i.Addrs {
			if p.Addr().WithZone("").Unmap() == addr {
				return i.Name
			}
		}
	}
	return ""
}

var (
	loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	loopback6 = netip.IPv6Loopback()
)
