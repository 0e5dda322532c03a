package firewall

import (
	"bytes"
	"math/bits"
)

// The pieces of the nftables register machine that every reader of a
// Ruleset decodes the same way (the evaluator, Text, and the NAT model in
// internal/source/linux/natrules), and the expressions the translators
// (iptables, nft's xtables matches, pf) build the same way.

// RegOffset is the byte offset of a register in the kernel's register
// file (struct nft_regs): 1-4 are 16 bytes wide, 8-23 are 4 bytes, and
// each wide register overlaps four narrow ones (1 is 8-11). Two register
// numbers name the same register when their offsets are equal.
func RegOffset(reg uint32) (int, bool) {
	switch {
	case reg >= 1 && reg <= 4:
		return int(reg) * 16, true
	case reg >= 8 && reg <= 23:
		return 16 + int(reg-8)*4, true
	}
	return 0, false
}

// RTNLocal is RTN_LOCAL of linux/rtnetlink.h, the route type "fib daddr
// type local" compares with (a host-order 32-bit value).
const RTNLocal = 2

// PrefixLen returns the prefix length of a bitwise mask, false when the
// mask is not a run of ones followed by zeros (255.0.255.0 keeps bits of
// the address but is no prefix of any length).
func PrefixLen(mask []byte) (int, bool) {
	n := 0
	for i, b := range mask {
		if b == 0xff {
			n += 8
			continue
		}
		ones := bits.LeadingZeros8(^b)
		if b<<ones != 0 {
			return 0, false
		}
		n += ones
		for _, rest := range mask[i+1:] {
			if rest != 0 {
				return 0, false
			}
		}
		break
	}
	return n, true
}

// ProtoName names an IP protocol number as nft(8) prints it, "" for one
// without a name here.
func ProtoName(p byte) string {
	return protoNames[p]
}

var protoNames = map[byte]string{1: "icmp", ProtoTCP: "tcp", ProtoUDP: "udp", 58: "ipv6-icmp", ProtoSCTP: "sctp", ProtoUDPLite: "udplite"}

// Cmp compares register reg with data: equal, or not equal when neg.
func Cmp(reg uint32, neg bool, data []byte) Expr {
	op := "eq"
	if neg {
		op = "neq"
	}
	return Expr{Op: "cmp", Cmp: op, Sreg: reg, Data: data}
}

// RangeOrCmp compares register reg with the inclusive range lo-hi, or
// with lo alone when they are equal: inside (outside when neg).
func RangeOrCmp(reg uint32, neg bool, lo, hi []byte) Expr {
	e := Cmp(reg, neg, lo)
	if !bytes.Equal(lo, hi) {
		e.Op, e.To = "range", hi
	}
	return e
}

// BE16 is v in network byte order, as a payload load of a port holds it.
func BE16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// Route types (RTN_* of linux/rtnetlink.h) that ip6tables' addrtype looks
// at on its own.
const (
	rtnUnspec      = 0
	rtnMulticast   = 5
	rtnMax         = 11
	addrTypeLookup = 1<<RTNLocal | 1<<4 | 1<<7 // LOCAL, ANYCAST, UNREACHABLE
)

// AddrTypes6 are the route types of a destination that ip6tables'
// "-m addrtype --dst-type" with the type mask (XT_ADDRTYPE_*, 1<<RTN_*)
// matches. Unlike IPv4's, where an address has one type and the match is
// any of the listed ones, IPv6's match (xt_addrtype's match_type6) tests
// flags: every listed one of MULTICAST, UNICAST and UNSPEC must hold (a
// local address is UNICAST too), then one of LOCAL, ANYCAST and
// UNREACHABLE if any is listed; other types are not tested.
func AddrTypes6(mask uint32) []uint32 {
	var out []uint32
	for t := uint32(0); t <= rtnMax; t++ {
		multicast, unspec := t == rtnMulticast, t == rtnUnspec
		switch {
		case mask&(1<<rtnMulticast) != 0 && !multicast:
		case mask&(1<<1) != 0 && (multicast || unspec): // UNICAST
		case mask&(1<<rtnUnspec) != 0 && !unspec:
		case mask&addrTypeLookup != 0 && mask&addrTypeLookup&(1<<t) == 0:
		default:
			out = append(out, t)
		}
	}
	return out
}
