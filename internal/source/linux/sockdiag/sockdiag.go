// Package sockdiag lists the internet sockets of a Linux network namespace
// through NETLINK_SOCK_DIAG, the interface ss(8) uses.
//
// The wire format (the inet_diag_req_v2 request and the inet_diag_msg reply
// with its attributes) is encoded and decoded by portable code in this file,
// so that it is tested and fuzzed on every platform; only the netlink
// conversation itself (conn_linux.go) is Linux-specific.
//
// The state filter runs in the kernel: by default a dump asks for listening
// TCP and SCTP sockets and for unconnected (TCP_CLOSE) UDP, UDP-Lite and raw
// sockets only, so its cost does not grow with the number of established
// connections.
package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/openports/openports/internal/snapshot"
)

// Address families, as in <sys/socket.h> on Linux.
const (
	AFInet  = 2  // AF_INET
	AFInet6 = 10 // AF_INET6
)

// IP protocol numbers a dump may ask for.
const (
	protoTCP     = 6
	protoUDP     = 17
	protoSCTP    = 132
	protoUDPLite = 136
	protoRaw     = 255 // IPPROTO_RAW: selects the raw table, and "any" as sdiag_raw_protocol
)

// Kernel socket states (include/net/tcp_states.h). UDP and raw sockets use
// TCPClose when unconnected and TCPEstablished when connected.
const (
	TCPEstablished = 1
	TCPSynSent     = 2
	TCPSynRecv     = 3
	TCPFinWait1    = 4
	TCPFinWait2    = 5
	TCPTimeWait    = 6
	TCPClose       = 7
	TCPCloseWait   = 8
	TCPLastAck     = 9
	TCPListen      = 10
	TCPClosing     = 11
	TCPNewSynRecv  = 12
	TCPBoundInact  = 13
)

// AllStates is the state mask that selects every state.
const AllStates uint32 = 0xffffffff

// Netlink message types and sizes of the sock_diag protocol.
const (
	// MsgSockDiagByFamily is SOCK_DIAG_BY_FAMILY, the type of requests and
	// of the replies that carry one socket each.
	MsgSockDiagByFamily = 20

	// ReqSize is the size of inet_diag_req_v2 (and inet_diag_req_raw).
	ReqSize = 56
	// MsgSize is the size of inet_diag_msg, which starts every reply.
	MsgSize = 72
)

// Reply attribute types (enum INET_DIAG_* in <linux/inet_diag.h>).
const (
	attrProtocol = 10 // INET_DIAG_PROTOCOL: u8
	attrSKV6Only = 11 // INET_DIAG_SKV6ONLY: u8
	attrSockopt  = 22 // INET_DIAG_SOCKOPT: struct inet_diag_sockopt (bit fields), 5.10 on
)

// sockoptTransparent is the transparent bit of inet_diag_sockopt's first
// byte, the sixth field of eight one-bit fields: GCC allocates bit fields
// from the least significant bit on little-endian machines and from the
// most significant on big-endian ones.
func sockoptTransparent(order binary.ByteOrder) byte {
	if order.Uint16([]byte{1, 0}) == 1 {
		return 1 << 5
	}
	return 1 << 2
}

var stateNames = [...]snapshot.State{
	TCPEstablished: snapshot.Established,
	TCPSynSent:     "SYN-SENT",
	TCPSynRecv:     "SYN-RECV",
	TCPFinWait1:    "FIN-WAIT-1",
	TCPFinWait2:    "FIN-WAIT-2",
	TCPTimeWait:    "TIME-WAIT",
	TCPClose:       snapshot.Unconnected,
	TCPCloseWait:   "CLOSE-WAIT",
	TCPLastAck:     "LAST-ACK",
	TCPListen:      snapshot.Listen,
	TCPClosing:     "CLOSING",
	TCPNewSynRecv:  "SYN-RECV",
	TCPBoundInact:  "BOUND-INACTIVE",
}

// StateName returns the ss(8) name of a kernel socket state: "LISTEN",
// "UNCONN" for TCP_CLOSE, "ESTAB", "TIME-WAIT" and so on; "UNKNOWN-n" for a
// number the kernel did not have when this was written.
func StateName(st uint8) snapshot.State {
	if int(st) < len(stateNames) && stateNames[st] != "" {
		return stateNames[st]
	}
	return snapshot.State("UNKNOWN-" + strconv.Itoa(int(st)))
}

// DefaultStates returns the kernel state mask a dump of proto uses when
// all states are not wanted: listening for TCP and SCTP, unconnected
// (TCP_CLOSE) for the datagram protocols and raw sockets.
func DefaultStates(proto snapshot.Proto) uint32 {
	switch proto {
	case snapshot.TCP, snapshot.SCTP:
		return 1 << TCPListen
	default:
		return 1 << TCPClose
	}
}

// Query says what a dump asks the kernel for.
type Query struct {
	// Protos are the protocols to list; nil means TCP, UDP and UDP-Lite.
	// SCTP and Raw are optional: a kernel without their sock_diag
	// handler reports them in Result.Unavailable, not as an error.
	Protos []snapshot.Proto
	// Families are AFInet and/or AFInet6; nil means both.
	Families []int
	// AllStates asks for sockets in every state (connected TCP and UDP
	// sockets too), not only listening and unconnected ones. SCTP is
	// always asked for listeners only, because the kernel reports SCTP
	// associations with SCTP state numbers that mean something else.
	AllStates bool
}

// DefaultProtos are the protocols a Query with nil Protos lists.
var DefaultProtos = []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite}

// DefaultFamilies are the families a Query with nil Families lists.
var DefaultFamilies = []int{AFInet, AFInet6}

// States returns the kernel state mask q uses for proto.
func (q Query) States(proto snapshot.Proto) uint32 {
	if q.AllStates && proto != snapshot.SCTP {
		return AllStates
	}
	return DefaultStates(proto)
}

// Request is one sock_diag dump request: one protocol, one family.
type Request struct {
	Proto  snapshot.Proto
	Family int
	States uint32
}

// Requests expands q into the dump requests it needs, in a stable order
// (by protocol as listed, then family). It rejects protocols and families
// sock_diag cannot list.
func (q Query) Requests() ([]Request, error) {
	protos, fams := q.Protos, q.Families
	if protos == nil {
		protos = DefaultProtos
	}
	if fams == nil {
		fams = DefaultFamilies
	}
	reqs := make([]Request, 0, len(protos)*len(fams))
	for _, p := range protos {
		if _, err := protoNumber(p); err != nil {
			return nil, err
		}
		for _, f := range fams {
			if f != AFInet && f != AFInet6 {
				return nil, fmt.Errorf("sock_diag: address family %d is not AF_INET or AF_INET6", f)
			}
			reqs = append(reqs, Request{Proto: p, Family: f, States: q.States(p)})
		}
	}
	return reqs, nil
}

func protoNumber(p snapshot.Proto) (uint8, error) {
	switch p {
	case snapshot.TCP:
		return protoTCP, nil
	case snapshot.UDP:
		return protoUDP, nil
	case snapshot.UDPLite:
		return protoUDPLite, nil
	case snapshot.SCTP:
		return protoSCTP, nil
	case snapshot.Raw:
		return protoRaw, nil
	}
	return 0, fmt.Errorf("sock_diag: protocol %q cannot be listed", p)
}

// String names r the way errors and gaps do, e.g. "tcp/ipv6".
func (r Request) String() string {
	fam := "ipv4"
	if r.Family == AFInet6 {
		fam = "ipv6"
	}
	return string(r.Proto) + "/" + fam
}

// AppendBinary appends the inet_diag_req_v2 (inet_diag_req_raw for raw
// sockets) payload of r to b. The socket id part is zero: a dump matches
// every address and port.
func (r Request) AppendBinary(b []byte) ([]byte, error) {
	return r.appendBinary(b, binary.NativeEndian)
}

func (r Request) appendBinary(b []byte, order binary.ByteOrder) ([]byte, error) {
	p, err := protoNumber(r.Proto)
	if err != nil {
		return b, err
	}
	if r.Family != AFInet && r.Family != AFInet6 {
		return b, fmt.Errorf("sock_diag: address family %d is not AF_INET or AF_INET6", r.Family)
	}
	var raw uint8
	if r.Proto == snapshot.Raw {
		raw = protoRaw // sdiag_raw_protocol: every raw protocol
	}
	var req [ReqSize]byte
	req[0] = uint8(r.Family)
	req[1] = p
	req[2] = 0 // idiag_ext: no extensions; the attributes we read come unasked
	req[3] = raw
	order.PutUint32(req[4:8], r.States)
	return append(b, req[:]...), nil
}

// Errors returned by Decode. They are wrapped with the offending values.
var (
	ErrShort  = errors.New("sock_diag message too short")
	ErrFamily = errors.New("sock_diag message of unexpected address family")
	ErrAttr   = errors.New("malformed sock_diag attribute")
)

// Decode decodes one inet_diag_msg with its attributes (the payload of a
// SOCK_DIAG_BY_FAMILY reply, without the netlink header) into a socket of
// protocol proto. Remote is the zero AddrPort when the socket has no peer.
// IPv4 addresses are 4-byte addresses; IPv4-mapped IPv6 addresses are kept
// as the kernel reports them. UID is nil for sockets without an inode
// (TIME-WAIT and SYN-RECV mini sockets), whose uid the kernel reports as 0.
func Decode(b []byte, proto snapshot.Proto) (snapshot.Socket, error) {
	return decode(b, proto, binary.NativeEndian, nil)
}

// uidSlab hands out *uint32 from shared backing arrays so that a large
// dump does not allocate once per socket for its UID.
type uidSlab struct{ buf []uint32 }

func (s *uidSlab) ptr(v uint32) *uint32 {
	if s == nil {
		return snapshot.Uint32(v)
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]uint32, 0, 256)
	}
	s.buf = append(s.buf, v)
	return &s.buf[len(s.buf)-1]
}

func decode(b []byte, proto snapshot.Proto, order binary.ByteOrder, uids *uidSlab) (snapshot.Socket, error) {
	if len(b) < MsgSize {
		return snapshot.Socket{}, fmt.Errorf("%w: %d bytes, want at least %d", ErrShort, len(b), MsgSize)
	}
	family, state := b[0], b[1]
	if family != AFInet && family != AFInet6 {
		return snapshot.Socket{}, fmt.Errorf("%w: %d", ErrFamily, family)
	}
	// inet_diag_sockid starts at offset 4.
	sport := binary.BigEndian.Uint16(b[4:6])
	dport := binary.BigEndian.Uint16(b[6:8])
	src, dst := ipAddr(family, b[8:24]), ipAddr(family, b[24:40])
	s := snapshot.Socket{
		Proto:   proto,
		Local:   netip.AddrPortFrom(src, sport),
		State:   StateName(state),
		IfIndex: order.Uint32(b[40:44]),
		Cookie:  uint64(order.Uint32(b[44:48])) | uint64(order.Uint32(b[48:52]))<<32,
		Inode:   uint64(order.Uint32(b[68:72])),
	}
	if dport != 0 || !dst.IsUnspecified() {
		s.Remote = netip.AddrPortFrom(dst, dport)
	}
	if s.Inode != 0 {
		s.UID = uids.ptr(order.Uint32(b[64:68]))
	}
	// Attributes (struct rtattr: u16 len, u16 type, 4-byte aligned)
	// follow the 72-byte message, which is already aligned.
	for a := b[MsgSize:]; len(a) > 0; {
		if len(a) < 4 {
			return snapshot.Socket{}, fmt.Errorf("%w: %d trailing bytes", ErrAttr, len(a))
		}
		alen := int(order.Uint16(a[0:2]))
		atype := order.Uint16(a[2:4]) & 0x3fff // strip NLA_F_NESTED and NLA_F_NET_BYTEORDER
		if alen < 4 || alen > len(a) {
			return snapshot.Socket{}, fmt.Errorf("%w: type %d length %d with %d bytes left", ErrAttr, atype, alen, len(a))
		}
		val := a[4:alen]
		switch atype {
		case attrSKV6Only:
			if len(val) < 1 {
				return snapshot.Socket{}, fmt.Errorf("%w: INET_DIAG_SKV6ONLY has no value", ErrAttr)
			}
			if family == AFInet6 {
				s.V6Only = snapshot.Bool(val[0] != 0)
			}
		case attrSockopt:
			if len(val) >= 1 {
				s.Transparent = val[0]&sockoptTransparent(order) != 0
			}
		case attrProtocol:
			if len(val) < 1 {
				return snapshot.Socket{}, fmt.Errorf("%w: INET_DIAG_PROTOCOL has no value", ErrAttr)
			}
			if proto != snapshot.Raw { // a raw socket's protocol is the IP protocol it reads
				if p, ok := protoByNumber(val[0]); ok {
					s.Proto = p
				}
			}
		}
		next := (alen + 3) &^ 3
		if next > len(a) {
			next = len(a)
		}
		a = a[next:]
	}
	return s, nil
}

func protoByNumber(n uint8) (snapshot.Proto, bool) {
	switch n {
	case protoTCP:
		return snapshot.TCP, true
	case protoUDP:
		return snapshot.UDP, true
	case protoUDPLite:
		return snapshot.UDPLite, true
	case protoSCTP:
		return snapshot.SCTP, true
	}
	return "", false
}

func ipAddr(family uint8, b []byte) netip.Addr {
	if family == AFInet {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16]))
}

// fileName names a recorded dump of r, e.g. "tcp-ipv6.bin".
func (r Request) fileName() string {
	fam := "ipv4"
	if r.Family == AFInet6 {
		fam = "ipv6"
	}
	return string(r.Proto) + "-" + fam + ".bin"
}

// carriesAttr reports whether the inet_diag_msg b carries an attribute of
// type want (a malformed one ends the walk: decode says why).
func carriesAttr(b []byte, order binary.ByteOrder, want uint16) bool {
	if len(b) < MsgSize {
		return false
	}
	for a := b[MsgSize:]; len(a) >= 4; {
		alen := int(order.Uint16(a[0:2]))
		if alen < 4 || alen > len(a) {
			return false
		}
		if order.Uint16(a[2:4])&0x3fff == want {
			return true
		}
		a = a[min((alen+3)&^3, len(a)):]
	}
	return false
}
