package netstat

import (
	"net/netip"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/portname"
	"github.com/openports/openports/internal/snapshot"
)

// protoInfo is what a Proto column says: the transport protocol, whether
// the socket is IPv6, and whether it is dual-stack (macOS tcp46/udp46).
type protoInfo struct {
	proto snapshot.Proto
	v6    bool
	dual  bool
}

// endpoint is one parsed address column.
type endpoint struct {
	ap netip.AddrPort
	// wildcard is true for a "*" or unspecified host with a "*" port:
	// the remote end of a listening or unconnected socket.
	wildcard bool
	// cutAddr and cutPort say that the tool may have cut the address or
	// the port to its column width.
	cutAddr, cutPort bool
	// text is the host part as the tool printed it when it is not an
	// address (a resolved name, a cut column), "" otherwise.
	text string
	// portText is the port as printed when it could not be read (a cut
	// port, a service name missing from internal/parse/portname, or cut
	// to the prefix of several), "" otherwise.
	portText string
	// family is "inet" or "inet6" when the host could not be read.
	family string
}

// familyOf names the address family of a protocol column.
func familyOf(pi protoInfo) string {
	if pi.v6 {
		return "inet6"
	}
	return "inet"
}

// servicePort reads a port column: a number, a service name, or a service
// name the tool cut that is the prefix of exactly one service (then cut is
// true). ok is false when the port cannot be read.
func servicePort(port string, proto snapshot.Proto) (p uint16, cut, ok bool) {
	if p, ok := portNumber(port, proto); ok {
		return p, false, true
	}
	if proto == snapshot.Raw || parse.IsDigits(port) {
		return 0, false, false
	}
	p, ok = portname.Prefix(port, proto)
	return p, ok, ok
}

// hostAddr turns a host column into an address: "*" and "" are the
// wildcard of the family, "localhost" its loopback, anything else must be
// numeric. IPv6 zones ("fe80::1%lo0") are kept.
func hostAddr(host string, v6 bool) (netip.Addr, bool) {
	if host == "" {
		host = "*"
	}
	if a, ok := parse.NamedAddr(host, v6); ok {
		return a, true
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// portNumber turns a port column into a number: "*" is 0, raw sockets show
// an IP protocol, other sockets a port number or service name. It reports
// false for a name missing from internal/parse/portname.
func portNumber(port string, proto snapshot.Proto) (uint16, bool) {
	if port == "*" {
		return 0, true
	}
	if proto == snapshot.Raw {
		return portname.Protocol(port)
	}
	return portname.Port(port, proto)
}

// linuxAddrWidth is the width of net-tools' address columns without -W:
// when address and port do not fit, the address is cut so that
// "ADDRESS:PORT" is exactly this long.
const linuxAddrWidth = 23

// linuxEndpoint parses a net-tools "ADDRESS:PORT" column ("0.0.0.0:22",
// ":::*", "[::]:ssh", "localhost:smtp"). A host that is not an address (a
// resolved name, a cut column) keeps the port with an invalid address and
// the host text; a port name missing from internal/parse/portname keeps the
// address with port 0 and the whole column as text. It returns the expected
// text of a problem, or "".
func linuxEndpoint(tok string, pi protoInfo) (endpoint, string) {
	var e endpoint
	i := strings.LastIndexByte(tok, ':')
	if i < 0 {
		return e, "ADDRESS:PORT"
	}
	host, port := tok[:i], tok[i+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	mayBeCut := len(tok) == linuxAddrWidth
	addr, ok := hostAddr(host, pi.v6)
	if host == "localhost" {
		e.text = host // read as the loopback address, the name kept
	}
	switch {
	case ok && mayBeCut && !addr.Is4():
		// A full IPv4 address and port never fill the column; an IPv6
		// one may fill it exactly or have been cut: it cannot be trusted.
		e.cutAddr = true
	case !ok:
		// A host name, or an address cut to the column: never guessed.
		addr = netip.Addr{}
		e.cutAddr = mayBeCut
		e.text, e.family = host, familyOf(pi)
	}
	p, cut, ok := servicePort(port, pi.proto)
	if !ok {
		e.portText = port
	}
	e.cutPort = cut
	e.ap = netip.AddrPortFrom(addr, p)
	e.wildcard = port == "*" && addr.IsValid() && addr.IsUnspecified()
	return e, ""
}

// bsdWidths are the column widths of BSD and macOS netstat: the whole
// "HOST.PORT" column, and the host part, which is cut to 16 characters (12
// with -A when ports are shown as names) unless -W is given.
type bsdWidths struct {
	column, host int
}

// bsdEndpoint parses a BSD "HOST.PORT" column ("10.0.0.251.25", "*.22",
// "*.*", "fe80::1%lo0.123", "localhost.smtp"), with the same rules for
// unreadable hosts and ports as linuxEndpoint. A port the column may have
// cut is never completed: it stays 0 with the whole column as text. It
// returns the expected text of a problem, or "".
func bsdEndpoint(tok string, pi protoInfo, w bsdWidths) (endpoint, string) {
	var e endpoint
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return e, "HOST.PORT"
	}
	host, port := tok[:i], tok[i+1:]
	if w.column > 0 && len(tok) >= w.column && !(len(port) == 5 && parse.IsDigits(port)) {
		// The column is full: the port may have been cut, unless it
		// already has the five digits a port number can have at most.
		e.cutPort = true
	}
	if w.host > 0 && len(host) >= w.host && host != "*" {
		e.cutAddr = true
	}
	addr, ok := hostAddr(host, pi.v6)
	if host == "localhost" {
		e.text = host // read as the loopback address, the name kept
	}
	if !ok {
		// A host name, or an address cut to the column: never guessed.
		addr = netip.Addr{}
		e.text, e.family = host, familyOf(pi)
	}
	p, cut, ok := uint16(0), false, false
	switch {
	case e.cutPort && parse.IsDigits(port):
		// never guess the missing digits of a cut port
	case e.cutPort:
		// a cut name is read only when one service starts with it
		p, ok = portname.Prefix(port, pi.proto)
	default:
		p, cut, ok = servicePort(port, pi.proto)
		e.cutPort = cut
	}
	if !ok {
		p, e.portText = 0, port
	}
	e.ap = netip.AddrPortFrom(addr, p)
	e.wildcard = port == "*" && addr.IsValid() && addr.IsUnspecified()
	return e, ""
}
