package natrules

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/openports/openports/internal/firewall"
)

// Rulesets reads the NAT rules out of the packet filter as the firewall
// readers give it (firewall/nft over netlink, firewall/iptables from
// iptables-save): one Ruleset per backend, with the tables that have a nat
// base chain (only those rewrite destinations; regular chains are reached
// by jumps). The firewall is read once per collection; this is a second
// look at the same data.
func Rulesets(fw *firewall.Ruleset) []*Ruleset {
	if fw == nil {
		return nil
	}
	type tkey struct{ backend, family, table string }
	nat := map[tkey]bool{}
	for _, c := range fw.Chains {
		if c.Base() && c.Type == "nat" {
			nat[tkey{c.Backend, c.Family, c.Table}] = true
		}
	}
	var out []*Ruleset
	byBackend := map[string]*Ruleset{}
	tables := map[tkey]int{}
	for _, c := range fw.Chains {
		k := tkey{c.Backend, c.Family, c.Table}
		if !nat[k] {
			continue
		}
		rs := byBackend[c.Backend]
		if rs == nil {
			rs = &Ruleset{Backend: backendOf(c.Backend)}
			byBackend[c.Backend] = rs
			out = append(out, rs)
		}
		ti, ok := tables[k]
		if !ok {
			ti = len(rs.Tables)
			tables[k] = ti
			rs.Tables = append(rs.Tables, Table{Family: c.Family, Name: c.Table})
		}
		if c.Undecoded != "" {
			rs.Undecoded = append(rs.Undecoded, Undecoded{Family: c.Family, Table: c.Table, Chain: c.Name, Err: c.Undecoded})
		}
		ch := Chain{Name: c.Name}
		if c.Base() && c.Type == "nat" {
			ch.Hook = c.Hook
		}
		for i := range c.Rules {
			ch.Rules = append(ch.Rules, decodeRule(fw, &c, &c.Rules[i]))
		}
		rs.Tables[ti].Chains = append(rs.Tables[ti].Chains, ch)
	}
	return out
}

func backendOf(b string) Backend {
	if strings.HasPrefix(b, "iptables") || strings.HasPrefix(b, "ip6tables") {
		return IPTablesLegacy
	}
	return Backend(b)
}

// What a register holds while a rule's expressions are read.
type regKind int

const (
	regUnknown regKind = iota
	regL4Proto
	regIIFName
	regDAddr
	regSAddr
	regDPort
	regSPort
	regFibDAddrType
	regData // an immediate value, or nfproto (an inet table's family check)
)

type register struct {
	kind regKind
	size int    // address length: 4 or 16
	mask []byte // a bitwise mask applied to an address (a prefix)
	data []byte // regData
	// what names, for regUnknown, the value a comparison cannot read
	// ("" for "cmp").
	what string
}

// decodeRule interprets r's expressions: loads into registers followed by
// comparisons are conditions, immediates feed the nat expression.
func decodeRule(fw *firewall.Ruleset, c *firewall.Chain, r *firewall.Rule) Rule {
	out := Rule{Comment: r.Comment}
	regs := map[int]*register{} // by offset in the register file
	set := func(n uint32, v *register) {
		if off, ok := firewall.RegOffset(n); ok {
			regs[off] = v
		}
	}
	get := func(n uint32) *register {
		off, ok := firewall.RegOffset(n)
		if v := regs[off]; ok && v != nil {
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
		switch e.Op {
		case "meta":
			switch e.Key {
			case "l4proto":
				set(e.Dreg, &register{kind: regL4Proto})
			case "iifname":
				set(e.Dreg, &register{kind: regIIFName})
			case "nfproto":
				set(e.Dreg, &register{kind: regData})
			default:
				set(e.Dreg, &register{})
			}
		case "payload":
			set(e.Dreg, &register{kind: payloadKind(c.Family, &e), size: addrSize(c.Family, &e)})
		case "bitwise":
			set(e.Dreg, masked(get(e.Sreg), &e))
		case "fib":
			if e.Key == "type" && len(e.Flags) == 1 && e.Flags[0] == "daddr" {
				set(e.Dreg, &register{kind: regFibDAddrType})
			} else {
				set(e.Dreg, &register{})
			}
		case "ct":
			set(e.Dreg, &register{})
		case "cmp":
			cmpCondition(&out, get(e.Sreg), e.Cmp, e.Data, unknown)
		case "range":
			reg := get(e.Sreg)
			switch {
			case reg.kind == regDPort && e.Cmp == "eq" && len(e.Data) == 2 && len(e.To) == 2:
				out.Ports = PortRange{binary.BigEndian.Uint16(e.Data), binary.BigEndian.Uint16(e.To)}
			case reg.kind == regSPort:
				unknown("--sport")
			case reg.what != "":
				unknown(reg.what)
			default:
				unknown("range")
			}
		case "lookup":
			lookupCondition(&out, fw, c, get(e.Sreg), &e, unknown)
		case "immediate":
			set(e.Dreg, &register{kind: regData, data: e.Data})
		case "verdict":
			switch e.Verdict {
			case "jump":
				out.Verdict, out.Target = VerdictJump, e.Chain
			case "goto":
				out.Verdict, out.Target = VerdictGoto, e.Chain
			case "return":
				out.Verdict = VerdictReturn
			case "accept":
				out.Verdict = VerdictAccept
			default:
				out.Verdict = VerdictOther
			}
		case "nat":
			switch e.Key {
			case "dnat":
				out.Verdict = VerdictDNAT
				if e.Sreg != 0 {
					if a, ok := netip.AddrFromSlice(get(e.Sreg).data); ok {
						out.To = a.Unmap()
					}
				}
			case "redirect":
				out.Verdict = VerdictRedir
			default:
				out.Verdict = VerdictOther
				continue
			}
			if e.Dreg != 0 {
				p := portOf(get(e.Dreg).data)
				out.ToPorts = PortRange{p, p}
				if e.DregMax != 0 {
					out.ToPorts.Last = max(p, portOf(get(e.DregMax).data))
				}
			}
		case "condition":
			switch {
			case e.Reason == firewall.KindSource:
				unknown("--src-type") // -m addrtype --src-type: who may send
			case strings.HasSuffix(e.Reason, "match statistic"):
				// kube-proxy's load balancing between endpoints: it
				// does not narrow who reaches the target.
			default:
				unknown(e.Reason)
			}
		case "nop":
		case "unmodelled":
			// A DNAT the firewall readers could not load (an address
			// range): still a published port, its target unknown.
			switch {
			case strings.HasPrefix(e.Reason, "DNAT"):
				out.Verdict = VerdictDNAT
			case strings.HasPrefix(e.Reason, "REDIRECT"):
				out.Verdict = VerdictRedir
			}
			unknown(e.Reason)
		case "limit", "reject", "queue":
			if e.Reason != "" {
				unknown(e.Reason)
			} else {
				out.Verdict = VerdictOther
			}
		default:
			unknown(e.Op)
		}
	}
	return out
}

// payloadKind names what a payload load reads: a shorter address load is
// a byte-aligned prefix (iptables-nft's -d 10.0.0.0/8).
func payloadKind(family string, e *firewall.Expr) regKind {
	v6 := family == firewall.FamilyIP6
	switch {
	case e.Base == "network" && !v6 && e.Offset == 9 && e.Len == 1, e.Base == "network" && v6 && e.Offset == 6 && e.Len == 1:
		return regL4Proto // ip protocol, ip6 nexthdr
	case e.Base == "network" && !v6 && e.Offset == 16 && e.Len <= 4, e.Base == "network" && e.Offset == 24 && e.Len <= 16 && e.Len > 4:
		return regDAddr
	case e.Base == "network" && v6 && e.Offset == 24 && e.Len <= 16:
		return regDAddr
	case e.Base == "network" && !v6 && e.Offset == 12 && e.Len <= 4, e.Base == "network" && e.Offset == 8 && e.Len <= 16 && e.Len > 4:
		return regSAddr
	case e.Base == "network" && v6 && e.Offset == 8 && e.Len <= 16:
		return regSAddr
	case e.Base == "transport" && e.Offset == 2 && e.Len == 2:
		return regDPort
	case e.Base == "transport" && e.Offset == 0 && e.Len == 2:
		return regSPort
	}
	return regUnknown
}

func addrSize(family string, e *firewall.Expr) int {
	if family == firewall.FamilyIP6 || e.Base == "network" && (e.Offset == 24 || e.Offset == 8) && e.Len > 4 {
		return 16
	}
	return 4
}

func portOf(b []byte) uint16 {
	if len(b) < 2 {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// masked is reg after the bitwise step e. Only an AND mask on an address
// keeps a value the conditions can read (a prefix, or a mask iptables
// prints); masks that follow one another are one mask. An XOR, a shift or
// a mask on any other field changes the value compared into one that is
// not the field's: that comparison is an unknown condition, so that the
// mapping may apply rather than being read as the field's plain value (a
// port masked with 0xff00 is 256 ports, not one).
func masked(reg *register, e *firewall.Expr) *register {
	n := int(e.Len)
	if len(e.Mask) < n || len(e.Xor) < n || !isZero(e.Xor[:n]) {
		return &register{what: "bitwise " + reg.label()}
	}
	mask := e.Mask[:n]
	switch {
	case reg.kind != regDAddr && reg.kind != regSAddr:
		if allOnes(mask) {
			return reg
		}
		return &register{what: "masked " + reg.label()}
	case reg.mask == nil:
		out := *reg
		out.mask = mask
		return &out
	case len(reg.mask) == len(mask):
		out := *reg
		out.mask = make([]byte, len(mask))
		for i := range mask {
			out.mask[i] = reg.mask[i] & mask[i]
		}
		return &out
	}
	return &register{what: "masked " + reg.label()}
}

// label names what reg holds for an unknown condition.
func (reg *register) label() string {
	switch reg.kind {
	case regL4Proto:
		return "protocol"
	case regIIFName:
		return "input interface"
	case regDAddr:
		return "destination"
	case regSAddr:
		return "source"
	case regDPort:
		return "destination port"
	case regSPort:
		return "source port"
	case regFibDAddrType:
		return "destination type"
	}
	if reg.what != "" {
		return reg.what
	}
	return "value"
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func allOnes(b []byte) bool {
	for _, x := range b {
		if x != 0xff {
			return false
		}
	}
	return true
}

// cmpCondition turns "register op data" into a condition of out.
func cmpCondition(out *Rule, reg *register, op string, data []byte, unknown func(string)) {
	eq, neq := op == "eq", op == "neq"
	switch reg.kind {
	case regL4Proto:
		if eq && len(data) == 1 {
			out.Proto = firewall.ProtoName(data[0])
			if out.Proto == "" {
				out.Proto = fmt.Sprintf("proto-%d", data[0])
			}
			return
		}
	case regIIFName:
		if eq || neq {
			name := string(data)
			if trimmed, full := strings.CutSuffix(name, "\x00"); full {
				name = strings.TrimRight(trimmed, "\x00")
			} else {
				name += "+" // a prefix, as iptables writes it
			}
			out.InIface, out.InIfaceNot = name, neq
			return
		}
	case regDAddr:
		if p, ok := addrPrefix(reg, data); ok && (eq || neq) {
			out.Dst, out.DstNot = p, neq
			return
		}
		if s, ok := maskedAddr(reg, data); ok && (eq || neq) {
			unknown(negText(neq) + "destination " + s)
			return
		}
	case regSAddr:
		// Who may send: kept as text, it narrows the mapping.
		if p, ok := addrPrefix(reg, data); ok && (eq || neq) {
			unknown(negText(neq) + "source " + p.String())
			return
		}
		if s, ok := maskedAddr(reg, data); ok && (eq || neq) {
			unknown(negText(neq) + "source " + s)
			return
		}
	case regDPort:
		if eq && len(data) == 2 {
			p := binary.BigEndian.Uint16(data)
			out.Ports = PortRange{p, p}
			return
		}
	case regSPort:
		unknown("--sport")
		return
	case regFibDAddrType:
		if len(data) == 4 && binary.NativeEndian.Uint32(data) == firewall.RTNLocal {
			if eq {
				out.DstLocal = true
			} else {
				unknown("! --dst-type LOCAL")
			}
			return
		}
	case regData:
		return // nfproto: the family check of an inet table
	case regUnknown:
		if reg.what != "" {
			unknown(reg.what)
			return
		}
	}
	unknown("cmp")
}

// lookupCondition reads a set lookup: iptables' addrtype and multiport
// lists are sets of one element the walk can use; any other set may hold
// anything, and a verdict map's jumps are not followed.
func lookupCondition(out *Rule, fw *firewall.Ruleset, c *firewall.Chain, reg *register, e *firewall.Expr, unknown func(string)) {
	if e.Map {
		unknown("vmap @" + e.Set)
		return
	}
	var s *firewall.Set
	for i := range fw.Sets {
		if x := &fw.Sets[i]; x.Backend == c.Backend && x.Family == c.Family && x.Table == c.Table && x.Name == e.Set {
			s = x
		}
	}
	if s != nil && len(s.Elements) == 1 && !e.Invert && !s.Timeout && !s.Dynamic {
		el := s.Elements[0]
		switch {
		case reg.kind == regFibDAddrType && len(el.Key) == 4 && binary.NativeEndian.Uint32(el.Key) == firewall.RTNLocal && len(el.KeyEnd) == 0:
			out.DstLocal = true
			return
		case reg.kind == regDPort && len(el.Key) == 2:
			end := el.Key
			if len(el.KeyEnd) == 2 {
				end = el.KeyEnd
			}
			out.Ports = PortRange{binary.BigEndian.Uint16(el.Key), binary.BigEndian.Uint16(end)}
			return
		}
	}
	unknown("set @" + e.Set)
}

// addrPrefix reads an address comparison: data is the whole address, or
// its first bytes when the rule loaded only those (a byte-aligned prefix);
// a bitwise mask before the comparison narrows it further. A mask that is
// not a prefix (255.0.255.0) gives false: see maskedAddr.
func addrPrefix(reg *register, data []byte) (netip.Prefix, bool) {
	size := reg.size
	if size == 0 {
		size = 4
	}
	if len(data) == 0 || len(data) > size {
		return netip.Prefix{}, false
	}
	full := make([]byte, size)
	copy(full, data)
	a, _ := netip.AddrFromSlice(full)
	bits := len(data) * 8
	if reg.mask != nil {
		n, ok := firewall.PrefixLen(reg.mask)
		if !ok {
			return netip.Prefix{}, false
		}
		bits = min(bits, n)
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// maskedAddr writes a whole-address comparison under a mask that is not a
// prefix as iptables does, "198.0.100.0/255.0.255.0".
func maskedAddr(reg *register, data []byte) (string, bool) {
	a, ok := netip.AddrFromSlice(data)
	m, mok := netip.AddrFromSlice(reg.mask)
	if !ok || !mok || len(data) != len(reg.mask) {
		return "", false
	}
	return a.String() + "/" + m.String(), true
}

func negText(neg bool) string {
	if neg {
		return "! "
	}
	return ""
}
