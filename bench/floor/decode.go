// Command floor is the benchmark's lower bound: the fewest system calls
// that answer "which process holds each listening socket". It asks the
// kernel once per address family and protocol for TCP listeners and
// unconnected UDP sockets (NETLINK_SOCK_DIAG with a kernel-side state
// filter), then walks /proc once, reading each descriptor link with one
// readlinkat, and prints every socket with the PIDs that hold it.
//
// It does nothing openports does beyond that (no process names, users,
// namespaces, analysis or rendering), so openports' time over the floor's is
// the price of everything else. With -threads N the /proc walk is split over
// N threads.
//
// Output, sorted: "PROTO ADDRESS:PORT INODE PID[,PID...]" ("-" for none).
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Netlink and sock_diag constants (linux/netlink.h, linux/sock_diag.h,
// linux/inet_diag.h). They are ABI and do not change.
const (
	nlmsgHdrLen       = 16
	nlmsgNoop         = 1
	nlmsgError        = 2
	nlmsgDone         = 3
	nlmFRequest       = 0x1
	nlmFDump          = 0x300
	sockDiagByFamily  = 20
	inetDiagReqV2Len  = 56
	inetDiagMsgLen    = 72
	tcpStateListen    = 10
	tcpStateClose     = 7
	listeningStateSet = 1<<tcpStateListen | 1<<tcpStateClose
)

// Socket is one socket of a sock_diag dump.
type Socket struct {
	Proto string
	Local netip.AddrPort
	Inode uint32
}

// request returns one SOCK_DIAG_BY_FAMILY dump request for family and
// protocol with sequence number seq, asking for sockets in the states of
// the bit set states (bit n is TCP state n).
func request(family, protocol uint8, states uint32, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	// b[12:16]: port id 0, the kernel.
	r := b[nlmsgHdrLen:]
	r[0] = family
	r[1] = protocol
	ne.PutUint32(r[4:], states)
	// The socket id stays zero: no address filter; cookie "no cookie"
	// is all ones.
	ne.PutUint32(r[8+40:], ^uint32(0))
	ne.PutUint32(r[8+44:], ^uint32(0))
	return b
}

// errDone is returned by decode at the end of a dump.
var errDone = errors.New("dump done")

// decode calls fn for each inet_diag_msg in one netlink datagram b, which
// answers a request with sequence number seq for protocol proto ("tcp",
// "udp"). It returns errDone when the datagram ends the dump, and an error
// for a kernel error or a malformed message; it never reads past b.
func decode(b []byte, seq uint32, proto string, fn func(Socket)) error {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return fmt.Errorf("netlink: %d trailing bytes, shorter than a header", len(b))
		}
		n := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if n < nlmsgHdrLen || n > len(b) {
			return fmt.Errorf("netlink: message length %d outside [%d, %d]", n, nlmsgHdrLen, len(b))
		}
		if got := ne.Uint32(b[8:]); got != seq {
			return fmt.Errorf("netlink: sequence %d, want %d", got, seq)
		}
		body := b[nlmsgHdrLen:n]
		switch typ {
		case nlmsgDone:
			return errDone
		case nlmsgError:
			if len(body) < 4 {
				return fmt.Errorf("netlink: error message of %d bytes", len(body))
			}
			if code := int32(ne.Uint32(body)); code != 0 {
				return fmt.Errorf("netlink: kernel error %d", -code)
			}
		case nlmsgNoop:
		case sockDiagByFamily:
			s, err := decodeMsg(body, proto)
			if err != nil {
				return err
			}
			fn(s)
		default:
			return fmt.Errorf("netlink: unexpected message type %d", typ)
		}
		// Messages are aligned to 4 bytes.
		adv := (n + 3) &^ 3
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
	}
	return nil
}

// decodeMsg decodes the fixed part of one inet_diag_msg.
func decodeMsg(m []byte, proto string) (Socket, error) {
	if len(m) < inetDiagMsgLen {
		return Socket{}, fmt.Errorf("inet_diag_msg: %d bytes, want at least %d", len(m), inetDiagMsgLen)
	}
	port := binary.BigEndian.Uint16(m[4:])
	var addr netip.Addr
	switch family := m[0]; family {
	case 2: // AF_INET
		addr = netip.AddrFrom4([4]byte(m[8:12]))
	case 10: // AF_INET6
		addr = netip.AddrFrom16([16]byte(m[8:24]))
	default:
		return Socket{}, fmt.Errorf("inet_diag_msg: address family %d", family)
	}
	return Socket{Proto: proto, Local: netip.AddrPortFrom(addr, port), Inode: binary.NativeEndian.Uint32(m[68:])}, nil
}

// socketInode returns N of a descriptor link "socket:[N]".
func socketInode(link []byte) (uint32, bool) {
	const pre = "socket:["
	if len(link) < len(pre)+2 || string(link[:len(pre)]) != pre || link[len(link)-1] != ']' {
		return 0, false
	}
	digits := link[len(pre) : len(link)-1]
	if len(digits) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}

// atoiPID returns the PID a /proc entry name spells, or false for
// other entries.
func atoiPID(name []byte) (int, bool) {
	if len(name) == 0 || len(name) > 9 {
		return 0, false
	}
	v := 0
	for _, c := range name {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// dirents calls fn with the name of each entry in a getdents64 buffer b,
// skipping "." and "..". It never reads past b.
func dirents(b []byte, fn func(name []byte)) error {
	ne := binary.NativeEndian
	for len(b) > 0 {
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		if len(b) < 19 {
			return fmt.Errorf("getdents64: %d trailing bytes", len(b))
		}
		reclen := int(ne.Uint16(b[16:]))
		if reclen < 19 || reclen > len(b) {
			return fmt.Errorf("getdents64: record length %d outside [19, %d]", reclen, len(b))
		}
		name := b[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if !(len(name) == 1 && name[0] == '.') && !(len(name) == 2 && name[0] == '.' && name[1] == '.') {
			fn(name)
		}
		b = b[reclen:]
	}
	return nil
}
