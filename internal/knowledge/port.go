package knowledge

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// PortSpec is a protocol and an inclusive port range, written "22/tcp" or
// "6000-6063/tcp" in the data.
type PortSpec struct {
	Proto snapshot.Proto
	First uint16
	Last  uint16
}

// specProtos are the protocols a PortSpec may name.
var specProtos = map[string]snapshot.Proto{
	"tcp":     snapshot.TCP,
	"udp":     snapshot.UDP,
	"udplite": snapshot.UDPLite,
	"sctp":    snapshot.SCTP,
}

// ParsePortSpec parses "PORT/PROTO" or "FIRST-LAST/PROTO". Port 0 is not a
// valid service port.
func ParsePortSpec(s string) (PortSpec, error) {
	num, proto, ok := strings.Cut(s, "/")
	if !ok {
		return PortSpec{}, fmt.Errorf("port %q: want PORT/PROTO or FIRST-LAST/PROTO", s)
	}
	p, ok := specProtos[proto]
	if !ok {
		return PortSpec{}, fmt.Errorf("port %q: unknown protocol %q (want tcp, udp, udplite or sctp)", s, proto)
	}
	lo, hi, isRange := strings.Cut(num, "-")
	first, err := parsePort(lo)
	if err != nil {
		return PortSpec{}, fmt.Errorf("port %q: %w", s, err)
	}
	last := first
	if isRange {
		if last, err = parsePort(hi); err != nil {
			return PortSpec{}, fmt.Errorf("port %q: %w", s, err)
		}
		if last <= first {
			return PortSpec{}, fmt.Errorf("port %q: range end %d is not above its start %d", s, last, first)
		}
	}
	return PortSpec{Proto: p, First: first, Last: last}, nil
}

// parsePort parses a decimal port number in 1..65535.
func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number in 1-65535", s)
	}
	return uint16(n), nil
}

// String formats the spec as it is written in the data.
func (p PortSpec) String() string {
	if p.First == p.Last {
		return fmt.Sprintf("%d/%s", p.First, p.Proto)
	}
	return fmt.Sprintf("%d-%d/%s", p.First, p.Last, p.Proto)
}

// Contains reports whether the spec covers port on proto.
func (p PortSpec) Contains(proto snapshot.Proto, port uint16) bool {
	return proto == p.Proto && port >= p.First && port <= p.Last
}

// overlaps reports whether p and q share a protocol and a port.
func (p PortSpec) overlaps(q PortSpec) bool {
	return p.Proto == q.Proto && p.First <= q.Last && q.First <= p.Last
}
