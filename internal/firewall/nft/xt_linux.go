package nft

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"

	"github.com/openports/openports/internal/firewall"
)

// Registers the xtables translations load into; each translation loads and
// compares in one go, so no other expression's value is overwritten.
const (
	xtReg  = 1
	xtReg2 = 2
	xtReg3 = 3
)

// xtMatch translates the xtables-compat matches iptables-nft writes (their
// info blobs decoded by google/nftables' xt package) into the expressions
// iptables-save's text gives in package iptables, so that a rule means the
// same whichever iptables wrote it. A comment is returned apart: it is the
// rule's, not a match.
func xtMatch(m *expr.Match, family string) (exprs []firewall.Expr, comment string) {
	switch info := m.Info.(type) {
	case *xt.Tcp:
		exprs = xtPorts(info.SrcPorts, info.DstPorts, info.InvFlags&xt.TcpInvSrcPorts != 0, info.InvFlags&xt.TcpInvDestPorts != 0)
		if info.FlagsMask != 0 {
			exprs = append(exprs,
				firewall.Expr{Op: "payload", Base: "transport", Offset: 13, Len: 1, Dreg: xtReg},
				firewall.Expr{Op: "bitwise", Sreg: xtReg, Dreg: xtReg, Len: 1, Mask: []byte{info.FlagsMask}, Xor: []byte{0}},
				firewall.Cmp(xtReg, info.InvFlags&xt.TcpInvFlags != 0, []byte{info.FlagsCmp & info.FlagsMask}))
		}
		if info.Option != 0 {
			exprs = append(exprs, firewall.Expr{Op: "condition", Reason: "xtables tcp --tcp-option"})
		}
		return exprs, ""
	case *xt.Udp:
		return xtPorts(info.SrcPorts, info.DstPorts, info.InvFlags&xt.UdpInvSrcPorts != 0, info.InvFlags&xt.UdpInvDestPorts != 0), ""
	case *xt.AddrType:
		return xtAddrType(family, info.Source, info.Dest, info.InvertDest, 0), ""
	case *xt.AddrTypeV1:
		const invertDest, limitIface = 2, 4 | 8 // XT_ADDRTYPE_INVERT_DEST, XT_ADDRTYPE_LIMIT_IFACE_IN|OUT
		return xtAddrType(family, info.Source, info.Dest, uint32(info.Flags)&invertDest != 0, uint32(info.Flags)&limitIface), ""
	case *xt.Comment:
		return []firewall.Expr{{Op: "nop", Key: "comment"}}, string(*info)
	}
	return []firewall.Expr{{Op: "condition", Reason: "xtables match " + m.Name}}, ""
}

// xtPorts compares the transport header's ports with the ranges of a tcp or
// udp match; the full range matches every port and is left out.
func xtPorts(src, dst [2]uint16, invSrc, invDst bool) []firewall.Expr {
	var out []firewall.Expr
	for _, p := range []struct {
		r      [2]uint16
		inv    bool
		offset uint32
	}{{src, invSrc, 0}, {dst, invDst, 2}} {
		if p.r == [2]uint16{0, 0xffff} && !p.inv {
			continue
		}
		out = append(out, firewall.Expr{Op: "payload", Base: "transport", Offset: p.offset, Len: 2, Dreg: xtReg},
			firewall.RangeOrCmp(xtReg, p.inv, firewall.BE16(p.r[0]), firewall.BE16(p.r[1])))
	}
	return out
}

// xtAddrType translates -m addrtype: a destination of one type becomes
// "fib daddr type"; a source type depends on who sends. ip6tables' match
// tests types as flags (firewall.AddrTypes6): where that is more than one
// route type, or the family is not known, the match is a condition.
func xtAddrType(family string, source, dest uint16, invDest bool, limitIface uint32) []firewall.Expr {
	var out []firewall.Expr
	if source != 0 {
		out = append(out, firewall.Expr{Op: "condition", Reason: firewall.KindSource})
	}
	if limitIface != 0 {
		out = append(out, firewall.Expr{Op: "condition", Reason: "addrtype --limit-iface"})
	}
	typ := uint32(0)
	if dest != 0 {
		for dest>>typ != 1 {
			typ++
		}
	}
	if dest != 0 && family != firewall.FamilyIP {
		// In ip6 (or an unknown family) the type mask may mean
		// several route types, or none.
		switch types := firewall.AddrTypes6(uint32(dest)); {
		case family != firewall.FamilyIP6:
			return append(out, firewall.Expr{Op: "condition", Reason: "addrtype in a table of family " + family})
		case len(types) != 1:
			return append(out, firewall.Expr{Op: "condition", Reason: "addrtype of several types"})
		default:
			typ, dest = types[0], 1<<types[0]
		}
	}
	switch {
	case dest == 0:
	case dest&(dest-1) != 0:
		out = append(out, firewall.Expr{Op: "condition", Reason: "addrtype of several types"})
	default:
		data := make([]byte, 4)
		binary.NativeEndian.PutUint32(data, typ)
		out = append(out, firewall.Expr{Op: "fib", Key: "type", Flags: []string{"daddr"}, Dreg: xtReg},
			firewall.Cmp(xtReg, invDest, data))
	}
	if len(out) == 0 {
		out = append(out, firewall.Expr{Op: "nop", Key: "addrtype"})
	}
	return out
}

// xtTarget translates the xtables-compat targets iptables-nft writes: DNAT
// (revisions 0-2) and REDIRECT load their target into registers for a nat
// expression, as nft's own dnat does; log targets do nothing to the
// packet; the rest is not modelled.
func xtTarget(t *expr.Target) []firewall.Expr {
	switch t.Name {
	case "LOG", "NFLOG", "TRACE", "AUDIT":
		return []firewall.Expr{{Op: "nop", Key: strings.ToLower(t.Name)}}
	case "REJECT":
		return []firewall.Expr{{Op: "reject"}}
	case "MASQUERADE", "SNAT":
		return []firewall.Expr{{Op: "nat", Key: "snat"}}
	case "DNAT", "REDIRECT":
		var r *xt.NatRange
		switch info := t.Info.(type) {
		case *xt.NatRange:
			r = info
		case *xt.NatRange2:
			r = &info.NatRange
		}
		if r == nil {
			break
		}
		nat := firewall.Expr{Op: "nat", Key: strings.ToLower(t.Name)}
		var out []firewall.Expr
		if t.Name == "DNAT" {
			a, ok := netip.AddrFromSlice(r.MinIP)
			if r.Flags&uint(xt.NatRangeMapIPs) == 0 || !ok {
				return []firewall.Expr{{Op: "unmodelled", Reason: "DNAT without an address"}}
			}
			if max, ok := netip.AddrFromSlice(r.MaxIP); ok && max.Unmap() != a.Unmap() && max.IsValid() && !max.IsUnspecified() {
				return []firewall.Expr{{Op: "unmodelled", Reason: "DNAT to an address range"}}
			}
			out = append(out, firewall.Expr{Op: "immediate", Dreg: xtReg, Data: a.Unmap().AsSlice()})
			nat.Sreg = xtReg
		}
		if r.Flags&uint(xt.NatRangeProtoSpecified) != 0 {
			out = append(out, firewall.Expr{Op: "immediate", Dreg: xtReg2, Data: firewall.BE16(r.MinPort)})
			nat.Dreg = xtReg2
			if r.MaxPort > r.MinPort {
				out = append(out, firewall.Expr{Op: "immediate", Dreg: xtReg3, Data: firewall.BE16(r.MaxPort)})
				nat.DregMax = xtReg3
			}
		}
		return append(out, nat)
	}
	return []firewall.Expr{{Op: "unmodelled", Reason: "xtables target " + t.Name}}
}

// ruleComment reads the comment nft keeps in a rule's user data (a TLV,
// type 0 = comment, NUL-terminated).
func ruleComment(ud []byte) string {
	for len(ud) >= 2 {
		typ, n := ud[0], int(ud[1])
		if 2+n > len(ud) {
			break
		}
		if typ == 0 {
			return strings.TrimRight(string(ud[2:2+n]), "\x00")
		}
		ud = ud[2+n:]
	}
	return ""
}
