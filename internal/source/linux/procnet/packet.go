package procnet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Packet is one row of /proc/net/packet: an AF_PACKET socket, which
// receives frames off an interface before the IP stack (and any port) sees
// them.
type Packet struct {
	// Type is the socket type: 3 SOCK_RAW, 2 SOCK_DGRAM.
	Type int
	// Protocol is the ethertype it receives (host order): 0x0003
	// ETH_P_ALL, 0x0800 ETH_P_IP; 0 receives nothing.
	Protocol uint16
	// IfIndex is the interface it is bound to, 0 for every one.
	IfIndex int
	UID     uint32
	Inode   uint64
}

// ParsePacket parses /proc/net/packet, whose rows af_packet.c prints as
// "sk RefCnt Type Proto Iface R Rmem User Inode" (Proto in hex, the rest
// decimal).
func ParsePacket(r io.Reader) ([]Packet, error) {
	sc := bufio.NewScanner(r)
	var out []Packet
	for n := 1; sc.Scan(); n++ {
		f := bytes.Fields(sc.Bytes())
		if n == 1 {
			if len(f) < 9 || string(f[2]) != "Type" || string(f[3]) != "Proto" || string(f[4]) != "Iface" || string(f[8]) != "Inode" {
				return nil, fmt.Errorf("line 1: expected the header \"sk RefCnt Type Proto Iface R Rmem User Inode\", found %q", clip(sc.Bytes()))
			}
			continue
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 9 {
			return out, fmt.Errorf("line %d: expected 9 columns, found %d", n, len(f))
		}
		typ, ok1 := decUint(f[2], 8)
		proto, ok2 := hexUint(f[3], 4)
		ifx, ok3 := decUint(f[4], 31)
		uid, ok4 := decUint(f[7], 32)
		inode, ok5 := decUint(f[8], 64)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return out, fmt.Errorf("line %d: expected decimal Type, Iface, User and Inode and a hex Proto, found %q", n, clip(sc.Bytes()))
		}
		out = append(out, Packet{Type: int(typ), Protocol: uint16(proto), IfIndex: int(ifx), UID: uint32(uid), Inode: inode})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read /proc/net/packet: %w", err)
	}
	return out, nil
}
