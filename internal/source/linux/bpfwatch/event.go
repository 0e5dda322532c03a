// Package bpfwatch loads bpf/watch.bpf.c: eBPF programs that record, when
// bind(2) or listen(2) on an internet socket returns, which process called
// it and what the socket got (protocol, address, port, inode), and when a
// TCP listener closes, into a ring buffer that openports watch reads. It names
// the owner of a socket that lives for milliseconds, which no poll of
// sock_diag and /proc can.
//
// The event format is decoded by portable code (this file), tested and
// fuzzed everywhere; loading and reading need Linux with BTF (5.5 or later
// for BTF raw tracepoints, 5.8 for the ring buffer), CAP_BPF and
// CAP_PERFMON (or CAP_SYS_ADMIN).
package bpfwatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// EventSize is the size of struct event in bpf/watch.bpf.c.
const EventSize = 96

// EventVersion is the layout version the decoder understands.
const EventVersion = 1

// Kind is what an event reports.
type Kind uint8

// The event kinds (EV_* in bpf/watch.bpf.c).
const (
	// Bind: bind(2) on the socket succeeded.
	Bind Kind = 1
	// Listen: listen(2) on a TCP socket succeeded.
	Listen Kind = 2
	// Close: a TCP listener closed (left LISTEN for CLOSE).
	Close Kind = 3
)

// String names k.
func (k Kind) String() string {
	switch k {
	case Bind:
		return "bind"
	case Listen:
		return "listen"
	case Close:
		return "close"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IP protocol numbers an event may carry.
const (
	ProtoTCP     = 6
	ProtoUDP     = 17
	ProtoUDPLite = 136
)

// Event is one decoded struct event.
type Event struct {
	Kind Kind
	// Cookie is the socket cookie, the key sock_diag reports too; 0 when
	// nobody asked the kernel for it before the event.
	Cookie uint64
	// MonoNS is CLOCK_MONOTONIC in nanoseconds when the event happened.
	MonoNS uint64
	// Inode is the socket's inode number (0 for Close).
	Inode uint64
	// PID and TID are the process and thread that caused the event (for
	// Close, the one that closed the socket, possibly a kernel worker).
	PID, TID int
	// UID is the caller's uid; SockUID the socket's owner uid.
	UID, SockUID uint32
	// NetNS is the inode of the socket's network namespace.
	NetNS uint64
	// Protocol is the IP protocol (ProtoTCP, ProtoUDP, ProtoUDPLite).
	Protocol uint16
	// Local is the local address and port; a Close has port 0 (the
	// listener gave its port back before it changed state).
	Local netip.AddrPort
	// IfIndex is the device the socket is bound to, 0 when unbound.
	IfIndex uint32
	// Comm is the caller's command name.
	Comm string
	// OldState is the TCP state a Close came from.
	OldState uint32
}

// Errors returned by ParseEvent.
var (
	ErrShort   = errors.New("bpfwatch: event too short")
	ErrVersion = errors.New("bpfwatch: event of another layout version")
	ErrFamily  = errors.New("bpfwatch: event of unexpected address family")
)

const (
	afInet  = 2
	afInet6 = 10
)

// ParseEvent decodes one struct event written in byte order order (the
// object's: the host's).
func ParseEvent(b []byte, order binary.ByteOrder) (Event, error) {
	if len(b) < EventSize {
		return Event{}, fmt.Errorf("%w: %d bytes, want %d", ErrShort, len(b), EventSize)
	}
	if v := order.Uint16(b[44:46]); v != EventVersion {
		return Event{}, fmt.Errorf("%w: %d, want %d", ErrVersion, v, EventVersion)
	}
	e := Event{
		Cookie:   order.Uint64(b[0:8]),
		MonoNS:   order.Uint64(b[8:16]),
		Inode:    order.Uint64(b[16:24]),
		PID:      int(order.Uint32(b[24:28])),
		TID:      int(order.Uint32(b[28:32])),
		UID:      order.Uint32(b[32:36]),
		SockUID:  order.Uint32(b[36:40]),
		NetNS:    uint64(order.Uint32(b[40:44])),
		Kind:     Kind(b[46]),
		Protocol: order.Uint16(b[48:50]),
		IfIndex:  order.Uint32(b[52:56]),
		OldState: order.Uint32(b[88:92]),
	}
	port := order.Uint16(b[50:52])
	var addr netip.Addr
	switch fam := b[47]; fam {
	case afInet:
		addr = netip.AddrFrom4([4]byte(b[56:60]))
	case afInet6:
		addr = netip.AddrFrom16([16]byte(b[56:72]))
	default:
		return Event{}, fmt.Errorf("%w: %d", ErrFamily, fam)
	}
	e.Local = netip.AddrPortFrom(addr, port)
	// The kernel's comm is at most 15 bytes and a NUL: a 16th byte that
	// is not NUL is not part of it (and AppendEvent could not write it).
	comm := b[72:87]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	e.Comm = string(comm)
	return e, nil
}

// AppendEvent appends e in the layout of struct event, for tests and for
// replaying recorded events.
func AppendEvent(b []byte, order binary.AppendByteOrder, e Event) []byte {
	b = order.AppendUint64(b, e.Cookie)
	b = order.AppendUint64(b, e.MonoNS)
	b = order.AppendUint64(b, e.Inode)
	b = order.AppendUint32(b, uint32(e.PID))
	b = order.AppendUint32(b, uint32(e.TID))
	b = order.AppendUint32(b, e.UID)
	b = order.AppendUint32(b, e.SockUID)
	b = order.AppendUint32(b, uint32(e.NetNS))
	b = order.AppendUint16(b, EventVersion)
	fam := byte(afInet6)
	if e.Local.Addr().Is4() {
		fam = afInet
	}
	b = append(b, byte(e.Kind), fam)
	b = order.AppendUint16(b, e.Protocol)
	b = order.AppendUint16(b, e.Local.Port())
	b = order.AppendUint32(b, e.IfIndex)
	var addr [16]byte
	if fam == afInet {
		a4 := e.Local.Addr().As4()
		copy(addr[:], a4[:])
	} else {
		addr = e.Local.Addr().As16()
	}
	b = append(b, addr[:]...)
	var comm [16]byte
	copy(comm[:15], e.Comm)
	b = append(b, comm[:]...)
	b = order.AppendUint32(b, e.OldState)
	return order.AppendUint32(b, 0)
}
