package netstat

import (
	"net/netip"
	"strings"

	"github.com/openports/openports/internal/parse/portname"
	"github.com/openports/openports/internal/snapshot"
)

// Expected texts of address problems.
const (
	expectNumericHost = "numeric address (run the tool with -n)"
	expectPort        = "a port number or a known service name (run the tool with -n)"
	expectProtocol    = "an IP protocol number or name"
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
}

// hostAddr turns a host column into an address: "*" and "" are the
// wildcard of the family, "localhost" its loopback, anything else must be
// numeric. IPv6 zones ("fe80::1%lo0") are kept.
func hostAddr(host string, v6 bool) (netip.Addr, bool) {
	switch host {
	case "*", "":
		if v6 {
			return netip.IPv6Unspecified(), true
		}
		return netip.IPv4Unspecified(), true
	case "localhost":
		if v6 {
			return netip.IPv6Loopback(), true
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// portNumber turns a port column into a number: "*" is 0, raw sockets show
// an IP protocol, other sockets a port number or service name.
func portNumber(port string, proto snapshot.Proto) (uint16, string) {
	if port == "*" {
		return 0, ""
	}
	if proto == snapshot.Raw {
		if n, ok := portname.Protocol(port); ok {
			return n, ""
		}
		return 0, expectProtocol
	}
	if n, ok := portname.Port(port, proto); ok {
		return n, ""
	}
	return 0, expectPort
}

// looksLikeIPFragment reports whether s could be the start of a numeric
// address that a tool cut: hex digits, dots, colons and a zone.
func looksLikeIPFragment(s string) bool {
	if s == "" {
		return false
	}
	host, _, _ := strings.Cut(s, "%")
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

// linuxAddrWidth is the width of net-tools' address columns without -W:
// when address and port do not fit, the address is cut so that
// "ADDRESS:PORT" is exactly this long.
const linuxAddrWidth = 23

// linuxEndpoint parses a net-tools "ADDRESS:PORT" column ("0.0.0.0:22",
// ":::*", "[::]:ssh", "localhost:smtp"). It returns the expected text of a
// problem, or "".
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
	switch {
	case ok && mayBeCut && !addr.Is4():
		// A full IPv4 address and port never fill the column; an IPv6
		// one may fill it exactly or have been cut: it cannot be trusted.
		e.cutAddr = true
	case !ok && mayBeCut && looksLikeIPFragment(host):
		addr = netip.Addr{}
		e.cutAddr = true
	case !ok:
		return e, expectNumericHost
	}
	p, exp := portNumber(port, pi.proto)
	if exp != "" {
		return e, exp
	}
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
// "*.*", "fe80::1%lo0.123", "localhost.smtp"). It returns the expected
// text of a problem, or "".
func bsdEndpoint(tok string, pi protoInfo, w bsdWidths) (endpoint, string) {
	var e endpoint
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return e, "HOST.PORT"
	}
	host, port := tok[:i], tok[i+1:]
	if w.column > 0 && len(tok) >= w.column && !(len(port) == 5 && isDigits(port)) {
		// The column is full: the port may have been cut, unless it
		// already has the five digits a port number can have at most.
		e.cutPort = true
	}
	if w.host > 0 && len(host) >= w.host && host != "*" {
		e.cutAddr = true
	}
	addr, ok := hostAddr(host, pi.v6)
	switch {
	case ok && e.cutAddr:
		// kept, flagged: it cannot be trusted in full
	case !ok && e.cutAddr && looksLikeIPFragment(host):
		addr = netip.Addr{}
	case !ok:
		return e, expectNumericHost
	}
	var p uint16
	if !e.cutPort { // never guess the missing digits or letters of a cut port
		var exp string
		if p, exp = portNumber(port, pi.proto); exp != "" {
			return e, exp
		}
	}
	e.ap = netip.AddrPortFrom(addr, p)
	e.wildcard = port == "*" && addr.IsValid() && addr.IsUnspecified()
	return e, ""
}
