package firewall

import (
	"encoding/binary"
	"net/netip"
)

// Packet is the synthetic packet evaluated: the first packet of a new
// connection (a TCP SYN, or a datagram) arriving on Iif for Daddr:Dport.
// Saddr is zero for "from anywhere": rules that look at the source then
// split the evaluation, and a listener open to some sources only is
// "partly" open. Tests give Saddr to get an answer for one peer.
type Packet struct {
	// Family is FamilyIP or FamilyIP6.
	Family string
	// Iif is the interface the packet arrives on; IifIndex its index (0
	// when unknown, e.g. a saved snapshot from another host) and
	// IifPrefixes its addresses, which say whether a source is on-link.
	Iif         string
	IifIndex    uint32
	IifPrefixes []netip.Prefix
	Daddr       netip.Addr
	// Proto is the IP protocol number (6 tcp, 17 udp, 132 sctp, 136
	// udplite).
	Proto uint8
	Dport uint16
	// Saddr is the source, or the zero Addr for any source.
	Saddr netip.Addr
	// Local are this host's addresses and Routes its connected
	// networks: where a DNAT target is, this host or out of an
	// interface (then the forward chains judge the packet).
	Local  []netip.Addr
	Routes []Route
	// Oif is set once a DNAT rule has sent the packet out of an
	// interface.
	Oif      string
	OifIndex uint32
}

// Route is a network directly connected to an interface.
type Route struct {
	Prefix netip.Prefix
	Iface  string
	Index  uint32
}

// daddr is the destination address; an invalid Daddr (like an empty Iif)
// means any local address of the family, and the evaluation splits on
// matches of it.
func (p *Packet) daddr() field {
	if !p.Daddr.IsValid() {
		if p.Family == FamilyIP6 {
			return unknown(kindDaddr, 16)
		}
		return unknown(kindDaddr, 4)
	}
	return known(p.Daddr.Unmap().AsSlice()...)
}

// IP protocol numbers.
const (
	ProtoTCP     = 6
	ProtoUDP     = 17
	ProtoSCTP    = 132
	ProtoUDPLite = 136
)

// Kinds of values the evaluator does not know. Source kinds depend on who
// sends the packet; the others on state the ruleset does not show.
const (
	// KindSource is the reason of a match that depends on the source
	// address only (iptables' addrtype --src-type, for one).
	KindSource = kindSaddr
	kindSaddr  = ReasonSourceAddress
	kindSport  = ReasonSourcePort
	kindFib    = ReasonSourceRoute
	// With a saved ruleset and no interfaces (a BSD host's pfctl -sr),
	// the interface and the local address are not known either.
	kindIface = ReasonInterface
	kindDaddr = ReasonLocalAddress
)

// sourceKind reports whether a kind says only where the packet comes from
// or arrives: a verdict that depends on it is partly open, not unknown.
func sourceKind(kind string) bool {
	switch kind {
	case kindSaddr, kindSport, kindFib, kindIface, kindDaddr:
		return true
	}
	return false
}

// field is packet bytes with, per byte, the kind of value when it is not
// known ("" when it is).
type field struct {
	data  []byte
	kinds []string
}

func known(b ...byte) field { return field{data: b, kinds: make([]string, len(b))} }

// unknown is n bytes of a value of the given kind: a reason code, or a
// description of the value ("meta mark").
func unknown(kind string, n int) field {
	if _, code := reasonEnglish[kind]; !code {
		kind = because(ReasonUnknownValue, kind)
	}
	f := field{data: make([]byte, n), kinds: make([]string, n)}
	for i := range f.kinds {
		f.kinds[i] = kind
	}
	return f
}

func concat(fs ...field) field {
	var out field
	for _, f := range fs {
		out.data = append(out.data, f.data...)
		out.kinds = append(out.kinds, f.kinds...)
	}
	return out
}

func be16(v uint16) field { return known(BE16(v)...) }

func native32(v uint32) field {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return known(b...)
}

func (p *Packet) saddr() field {
	n := 4
	if p.Family == FamilyIP6 {
		n = 16
	}
	if !p.Saddr.IsValid() {
		return unknown(kindSaddr, n)
	}
	return known(p.Saddr.AsSlice()...)
}

// networkHeader is the IPv4 or IPv6 header of the packet: the fields that
// vary between senders (TTL, identification, traffic class) are unknown.
func (p *Packet) networkHeader() field {
	if p.Family == FamilyIP6 {
		return concat(unknown("ip6 header field", 6), known(p.Proto), unknown("ip6 hoplimit", 1),
			p.saddr(), p.daddr())
	}
	return concat(known(0x45), unknown("ip header field", 8), known(p.Proto), unknown("ip checksum", 2),
		p.saddr(), p.daddr())
}

// transportHeader is the TCP SYN, UDP, UDP-Lite or SCTP header.
func (p *Packet) transportHeader() field {
	sport := unknown(kindSport, 2)
	switch p.Proto {
	case ProtoTCP:
		return concat(sport, be16(p.Dport), unknown("tcp sequence", 4), known(0, 0, 0, 0),
			unknown("tcp header field", 1), known(0x02), unknown("tcp header field", 6))
	case ProtoSCTP:
		return concat(sport, be16(p.Dport), unknown("sctp header field", 8))
	default:
		return concat(sport, be16(p.Dport), unknown("udp header field", 4))
	}
}

func (p *Packet) nfproto() byte {
	if p.Family == FamilyIP6 {
		return 10
	}
	return 2
}

func (p *Packet) ethertype() uint16 {
	if p.Family == FamilyIP6 {
		return 0x86dd
	}
	return 0x0800
}

// ifname is an interface name as the kernel stores it in a register.
func ifname(name string) field {
	b := make([]byte, 16)
	copy(b, name)
	return known(b...)
}

// onLink reports whether the packet's source lies in a prefix of Iif, so
// that the route back to it leaves through Iif (what rp_filter-style fib
// rules check).
func (p *Packet) onLink() bool {
	for _, pr := range p.IifPrefixes {
		if pr.Contains(p.Saddr) {
			return true
		}
	}
	return false
}
