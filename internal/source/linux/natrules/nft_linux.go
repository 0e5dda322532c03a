package natrules

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/openports/openports/internal/firewall/nft"
	"golang.org/x/sys/unix"
)

// ReadNFTables lists the nat chains of every nftables table in the
// network namespace nsFD (-1: the caller's own) — native tables (Docker's
// "docker-bridges", netavark's "netavark") and the tables iptables-nft
// writes ("nat", with its xtables-compat expressions) alike.
func ReadNFTables(nsFD int) (*Ruleset, error) {
	var opts []nftables.ConnOption
	if nsFD >= 0 {
		opts = append(opts, nftables.WithNetNSFd(nsFD))
	}
	conn, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("open nftables netlink: %w", err)
	}
	defer conn.CloseLasting()
	chains, err := conn.ListChains()
	if err != nil {
		return nil, fmt.Errorf("list nftables chains: %w", err)
	}
	rs := &Ruleset{Backend: NFTables}
	// A table is read when it has a nat base chain: only then can its
	// rules rewrite destinations (regular chains are reached by jumps).
	natTables := map[string]bool{}
	for _, c := range chains {
		if c.Type == nftables.ChainTypeNAT && c.Hooknum != nil {
			natTables[tableKey(c.Table)] = true
		}
	}
	index := map[string]int{}
	for _, c := range chains {
		key := tableKey(c.Table)
		if !natTables[key] {
			continue
		}
		ti, ok := index[key]
		if !ok {
			ti = len(rs.Tables)
			index[key] = ti
			rs.Tables = append(rs.Tables, Table{Family: familyName(c.Table.Family), Name: c.Table.Name})
		}
		rules, err := conn.GetRules(c.Table, c)
		if err != nil {
			return nil, fmt.Errorf("list rules of %s %s chain %s: %w", familyName(c.Table.Family), c.Table.Name, c.Name, err)
		}
		ch := Chain{Name: c.Name}
		if c.Type == nftables.ChainTypeNAT && c.Hooknum != nil {
			ch.Hook = nft.HookName(familyName(c.Table.Family), *c.Hooknum)
		}
		for _, r := range rules {
			ch.Rules = append(ch.Rules, decodeRule(r, c.Table.Family))
		}
		rs.Tables[ti].Chains = append(rs.Tables[ti].Chains, ch)
	}
	return rs, nil
}

func tableKey(t *nftables.Table) string { return familyName(t.Family) + " " + t.Name }

func familyName(f nftables.TableFamily) string { return nft.Family(f) }

// What a register holds while a rule's expressions are read.
type regKind int

const (
	regUnknown regKind = iota
	regL4Proto
	regIIFName
	regDAddr4
	regDAddr6
	regSAddr4
	regSAddr6
	regDPort
	regFibDAddrType
	regData // an immediate value
)

type register struct {
	kind regKind
	mask []byte // a bitwise mask applied to an address (a prefix)
	data []byte // regData
}

// decodeRule interprets r's expressions: loads into registers followed by
// comparisons are conditions, immediates feed the NAT expression, and
// xtables-compat matches and targets (iptables-nft) are decoded from their
// info blobs.
func decodeRule(r *nftables.Rule, fam nftables.TableFamily) Rule {
	var out Rule
	regs := map[uint32]*register{}
	set := func(n uint32, v *register) { regs[normReg(n)] = v }
	get := func(n uint32) *register {
		if v := regs[normReg(n)]; v != nil {
			return v
		}
		return &register{}
	}
	unknown := func(what string) {
		for _, u := range out.Unknown {
			if u == what {
				return
			}
		}
		out.Unknown = append(out.Unknown, what)
	}
	for _, e := range r.Exprs {
		switch e := e.(type) {
		case *expr.Meta:
			switch e.Key {
			case expr.MetaKeyL4PROTO:
				set(e.Register, &register{kind: regL4Proto})
			case expr.MetaKeyIIFNAME:
				set(e.Register, &register{kind: regIIFName})
			case expr.MetaKeyNFPROTO:
				// inet tables check the family first: "ip daddr"
				// follows, which says as much.
				set(e.Register, &register{kind: regData})
			default:
				set(e.Register, &register{})
			}
		case *expr.Payload:
			k := regUnknown
			switch {
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 9 && e.Len == 1:
				k = regL4Proto // ip protocol
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 6 && e.Len == 1 && fam == nftables.TableFamilyIPv6:
				k = regL4Proto // ip6 nexthdr
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 16 && e.Len <= 4 && fam != nftables.TableFamilyIPv6:
				k = regDAddr4 // a shorter load is a byte-aligned prefix (iptables-nft's -d 10.0.0.0/8)
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 24 && e.Len <= 16:
				k = regDAddr6
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 12 && e.Len <= 4 && fam != nftables.TableFamilyIPv6:
				k = regSAddr4
			case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 8 && e.Len <= 16:
				k = regSAddr6
			case e.Base == expr.PayloadBaseTransportHeader && e.Offset == 2 && e.Len == 2:
				k = regDPort
			}
			set(e.DestRegister, &register{kind: k})
		case *expr.Bitwise:
			src := *get(e.SourceRegister)
			src.mask = e.Mask
			set(e.DestRegister, &src)
		case *expr.Fib:
			if e.FlagDADDR && e.ResultADDRTYPE {
				set(e.Register, &register{kind: regFibDAddrType})
			} else {
				set(e.Register, &register{})
			}
		case *expr.Cmp:
			cmpCondition(&out, get(e.Register), e.Op, e.Data, unknown)
		case *expr.Range:
			reg := get(e.Register)
			if reg.kind == regDPort && e.Op == expr.CmpOpEq && len(e.FromData) == 2 && len(e.ToData) == 2 {
				out.Ports = PortRange{binary.BigEndian.Uint16(e.FromData), binary.BigEndian.Uint16(e.ToData)}
			} else {
				unknown("range")
			}
		case *expr.Lookup:
			if e.IsDestRegSet {
				// A verdict map (vmap): jumps we cannot follow
				// without its elements.
				unknown("vmap @" + e.SetName)
			} else {
				unknown("set @" + e.SetName)
			}
		case *expr.Immediate:
			set(e.Register, &register{kind: regData, data: e.Data})
		case *expr.Verdict:
			switch e.Kind {
			case expr.VerdictJump:
				out.Verdict, out.Target = VerdictJump, e.Chain
			case expr.VerdictGoto:
				out.Verdict, out.Target = VerdictGoto, e.Chain
			case expr.VerdictReturn:
				out.Verdict = VerdictReturn
			case expr.VerdictAccept:
				out.Verdict = VerdictAccept
			default:
				out.Verdict = VerdictOther
			}
		case *expr.NAT:
			if e.Type != expr.NATTypeDestNAT {
				out.Verdict = VerdictOther
				continue
			}
			out.Verdict = VerdictDNAT
			if e.RegAddrMin != 0 {
				if a, ok := netip.AddrFromSlice(get(e.RegAddrMin).data); ok {
					out.To = a
				}
			}
			if e.RegProtoMin != 0 {
				lo := portOf(get(e.RegProtoMin).data)
				hi := lo
				if e.RegProtoMax != 0 {
					hi = portOf(get(e.RegProtoMax).data)
				}
				out.ToPorts = PortRange{lo, max(lo, hi)}
			}
		case *expr.Redir:
			out.Verdict = VerdictRedir
			if e.RegisterProtoMin != 0 {
				p := portOf(get(e.RegisterProtoMin).data)
				out.ToPorts = PortRange{p, p}
			}
		case *expr.Match:
			xtMatch(&out, e, unknown)
		case *expr.Target:
			xtTarget(&out, e)
		case *expr.Counter, *expr.Log:
		default:
			unknown(fmt.Sprintf("%T", e))
		}
	}
	if len(r.UserData) > 0 {
		out.Comment = ruleComment(r.UserData)
	}
	return out
}

// normReg maps the 128-bit registers (1-4) onto the first of the 32-bit
// registers (8-23) that overlap them, as the kernel does.
func normReg(n uint32) uint32 {
	if n >= 1 && n <= 4 {
		return 8 + (n-1)*4
	}
	return n
}

func portOf(b []byte) uint16 {
	if len(b) < 2 {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// cmpCondition turns "register op data" into a condition of out.
func cmpCondition(out *Rule, reg *register, op expr.CmpOp, data []byte, unknown func(string)) {
	eq, neq := op == expr.CmpOpEq, op == expr.CmpOpNeq
	switch reg.kind {
	case regL4Proto:
		if eq && len(data) == 1 {
			out.Proto = protoName(data[0])
			return
		}
	case regIIFName:
		if eq || neq {
			name := strings.TrimRight(string(data), "\x00")
			out.InIface, out.InIfaceNot = name, neq
			return
		}
	case regDAddr4, regDAddr6:
		if p, ok := addrPrefix(reg, data); ok && (eq || neq) {
			out.Dst, out.DstNot = p, neq
			return
		}
	case regSAddr4, regSAddr6:
		// Who may send: kept as text, it narrows the mapping.
		if p, ok := addrPrefix(reg, data); ok && (eq || neq) {
			unknown(sourceText(neq, p))
			return
		}
	case regDPort:
		if eq && len(data) == 2 {
			p := binary.BigEndian.Uint16(data)
			out.Ports = PortRange{p, p}
			return
		}
	case regFibDAddrType:
		if eq && len(data) == 4 && binary.NativeEndian.Uint32(data) == unix.RTN_LOCAL {
			out.DstLocal = true
			return
		}
	case regData:
		return // nfproto: the family check of an inet table
	}
	unknown("cmp")
}

// addrPrefix reads an address comparison: data is the whole address, or
// its first bytes when the rule loaded only those (a byte-aligned prefix);
// a bitwise mask before the comparison narrows it further.
func addrPrefix(reg *register, data []byte) (netip.Prefix, bool) {
	size := 4
	if reg.kind == regDAddr6 || reg.kind == regSAddr6 {
		size = 16
	}
	if len(data) == 0 || len(data) > size {
		return netip.Prefix{}, false
	}
	full := make([]byte, size)
	copy(full, data)
	a, _ := netip.AddrFromSlice(full)
	bits := len(data) * 8
	if reg.mask != nil {
		bits = min(bits, maskBits(reg.mask))
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

func maskBits(mask []byte) int {
	n := 0
	for _, b := range mask {
		for ; b&0x80 != 0; b <<= 1 {
			n++
		}
	}
	return n
}

func protoName(p byte) string {
	switch p {
	case unix.IPPROTO_TCP:
		return "tcp"
	case unix.IPPROTO_UDP:
		return "udp"
	case unix.IPPROTO_SCTP:
		return "sctp"
	case unix.IPPROTO_UDPLITE:
		return "udplite"
	}
	return fmt.Sprintf("proto-%d", p)
}

// xtMatch decodes the xtables matches iptables-nft keeps as compat
// expressions.
func xtMatch(out *Rule, m *expr.Match, unknown func(string)) {
	switch info := m.Info.(type) {
	case *xt.Tcp:
		if info.DstPorts != [2]uint16{0, 0xffff} {
			out.Ports = PortRange{info.DstPorts[0], info.DstPorts[1]}
		}
		if info.InvFlags != 0 || info.SrcPorts != [2]uint16{0, 0xffff} || info.FlagsMask != 0 || info.Option != 0 {
			unknown("-m tcp options")
		}
	case *xt.Udp:
		if info.DstPorts != [2]uint16{0, 0xffff} {
			out.Ports = PortRange{info.DstPorts[0], info.DstPorts[1]}
		}
		if info.InvFlags != 0 || info.SrcPorts != [2]uint16{0, 0xffff} {
			unknown("-m udp options")
		}
	case *xt.AddrType:
		switch {
		case info.Source != 0:
			unknown("--src-type")
		case info.Dest == xtAddrTypeLocal && !info.InvertDest:
			out.DstLocal = true
		default:
			unknown("-m addrtype")
		}
	case *xt.AddrTypeV1:
		const invertDest = 2 // XT_ADDRTYPE_INVERT_DEST
		switch {
		case info.Source != 0:
			unknown("--src-type")
		case info.Dest == xtAddrTypeLocal && info.Flags&invertDest == 0:
			out.DstLocal = true
		default:
			unknown("-m addrtype")
		}
	case *xt.Comment:
		out.Comment = string(*info)
	default:
		if m.Name != "statistic" {
			unknown("-m " + m.Name)
		}
	}
}

// xtAddrTypeLocal is XT_ADDRTYPE_LOCAL (1 << RTN_LOCAL) of
// linux/netfilter/xt_addrtype.h.
const xtAddrTypeLocal = 1 << unix.RTN_LOCAL

// xtTarget decodes the xtables targets iptables-nft keeps as compat
// expressions: DNAT (revisions 0-2) and REDIRECT.
func xtTarget(out *Rule, t *expr.Target) {
	switch t.Name {
	case "DNAT", "REDIRECT":
		out.Verdict = VerdictDNAT
		if t.Name == "REDIRECT" {
			out.Verdict = VerdictRedir
		}
		var r *xt.NatRange
		switch info := t.Info.(type) {
		case *xt.NatRange:
			r = info
		case *xt.NatRange2:
			r = &info.NatRange
		}
		if r == nil {
			return
		}
		if r.Flags&uint(xt.NatRangeMapIPs) != 0 {
			if a, ok := netip.AddrFromSlice(r.MinIP); ok {
				out.To = a.Unmap()
			}
		}
		if r.Flags&uint(xt.NatRangeProtoSpecified) != 0 {
			out.ToPorts = PortRange{r.MinPort, max(r.MinPort, r.MaxPort)}
		}
	default:
		out.Verdict = VerdictOther
	}
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
