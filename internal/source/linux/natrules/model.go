// Package natrules reads the destination-NAT rules of a Linux host out of
// the packet filter the firewall readers return (internal/firewall/nft over
// netlink — native rules and the rules iptables-nft writes — and
// internal/firewall/iptables from iptables-save), into one model of tables,
// chains and rules, and follows the jumps from the prerouting hook to every
// DNAT, which is a port the host publishes for a container or a service
// (Docker, Podman/netavark, kube-proxy). It runs no tool and opens no
// netlink socket of its own: the collector reads the firewall once.
//
// The model is the ruleset as written, not a verdict: it keeps what each
// rule matches and does, so that other readers (a filter evaluator) can use
// it too. Conditions it cannot decode are kept by name in Rule.Unknown: they
// may narrow a rule, so a mapping with them is reported as "may apply".
package natrules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Backend is where a ruleset lives.
type Backend string

// The backends a host may hold NAT rules in at the same time; the tools of
// one do not show the rules of the other.
const (
	NFTables       Backend = "nftables"
	IPTablesLegacy Backend = "iptables-legacy"
)

// Ruleset is the NAT rules of one backend.
type Ruleset struct {
	Backend Backend
	Tables  []Table
	// Undecoded are the chains of NAT tables whose rules the reader
	// could not decode: they may publish any port, so the mappings are
	// incomplete while one is listed.
	Undecoded []Undecoded
}

// Undecoded is a chain of a NAT table whose rules were not decoded.
type Undecoded struct {
	Family, Table, Chain string
	Err                  string
}

func (u Undecoded) String() string {
	return fmt.Sprintf("%s %s chain %s: rules not decoded: %s", u.Family, u.Table, u.Chain, u.Err)
}

// Table is one table: an nftables table (family ip, ip6 or inet) or an
// iptables nat table (family ip for iptables, ip6 for ip6tables).
type Table struct {
	Family string
	Name   string
	Chains []Chain
}

// Chain is a chain with its rules in order. Hook is set for base chains of
// type nat ("prerouting", "output", ...).
type Chain struct {
	Name  string
	Hook  string
	Rules []Rule
}

// Verdicts a rule can end in, as far as NAT is concerned.
const (
	VerdictNone   = ""       // counter, log, mark: go on with the next rule
	VerdictJump   = "jump"   // to Target, then come back
	VerdictGoto   = "goto"   // to Target, no return
	VerdictReturn = "return" // back to the calling chain
	VerdictAccept = "accept" // stop NAT processing of the packet
	VerdictDNAT   = "dnat"   // rewrite the destination to To/ToPorts
	VerdictRedir  = "redirect"
	VerdictOther  = "other" // masquerade, snat, drop, ...
)

// Rule is one rule: what it matches and what it does.
type Rule struct {
	// Proto is the transport protocol matched ("tcp", "udp", "sctp"), ""
	// for any.
	Proto string
	// Dst is the destination address matched; invalid for any. DstNot
	// inverts it (! -d 127.0.0.0/8).
	Dst    netip.Prefix
	DstNot bool
	// DstLocal: the rule matches only destinations that are local
	// addresses (-m addrtype --dst-type LOCAL, fib daddr type local).
	DstLocal bool
	// Ports is the destination port range matched; zero for any.
	Ports PortRange
	// InIface is the input interface matched (-i, iifname); InIfaceNot
	// inverts it.
	InIface    string
	InIfaceNot bool
	// Unknown names the conditions that were not decoded.
	Unknown []string
	// Verdict is one of the Verdict* constants, Target the chain of a
	// jump or goto.
	Verdict string
	Target  string
	// To and ToPorts are a DNAT's new destination; ToPorts is zero when
	// the port is kept, To invalid for a redirect (to the host itself).
	To      netip.Addr
	ToPorts PortRange
	// Comment is the rule's comment, if any (engines name containers and
	// services there).
	Comment string
}

// PortRange is an inclusive range of ports; the zero value means any.
type PortRange struct {
	First, Last uint16
}

// Any reports whether r matches every port.
func (r PortRange) Any() bool { return r.First == 0 && r.Last == 0 }

// Mapping is one published port: a path from a prerouting hook to a DNAT,
// with every condition met on the way.
type Mapping struct {
	Backend Backend
	Family  string
	Table   string
	// Chain is the chain holding the DNAT rule.
	Chain string
	Proto string
	// Dst is the published address: invalid when any local address
	// (the usual "-p 8080:80"), else the address or prefix matched.
	Dst    netip.Prefix
	DstNot bool
	Ports  PortRange
	// InIface and InIfaceNot restrict where packets come from
	// (Docker's "! -i docker0").
	InIface    string
	InIfaceNot bool
	// To and ToPorts are the target; To is invalid for a redirect to the
	// host itself.
	To       netip.Addr
	ToPorts  PortRange
	Redirect bool
	Comment  string
	// Unknown lists conditions on the way that were not decoded: the
	// mapping may apply to fewer packets than it says.
	Unknown []string
}

// rules counts the rules of every table.
func (rs *Ruleset) rules() int {
	n := 0
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			n += len(c.Rules)
		}
	}
	return n
}

// maxDepth bounds jump chains, which the kernel limits too; a loop in a
// saved file must not hang the walk.
const maxDepth = 32

// Mappings follows every nat prerouting base chain of rs, through jumps and
// gotos, to the DNAT and redirect rules reached, and returns one Mapping per
// rule reached by a path, in a stable order.
func (rs *Ruleset) Mappings() []Mapping {
	var out []Mapping
	for ti := range rs.Tables {
		t := &rs.Tables[ti]
		chains := map[string]*Chain{}
		for ci := range t.Chains {
			chains[t.Chains[ci].Name] = &t.Chains[ci]
		}
		for ci := range t.Chains {
			c := &t.Chains[ci]
			if c.Hook != "prerouting" {
				continue
			}
			w := walker{rs: rs, table: t, chains: chains, seen: map[string]bool{}}
			w.walk(c, Rule{}, 0)
			out = append(out, w.out...)
		}
	}
	slices.SortStableFunc(out, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(a.Ports.First, b.Ports.First), cmp.Compare(a.Proto, b.Proto),
			cmp.Compare(a.Dst.String(), b.Dst.String()), cmp.Compare(a.To.String(), b.To.String()))
	})
	return slices.CompactFunc(out, func(a, b Mapping) bool { return equalMapping(a, b) })
}

type walker struct {
	rs     *Ruleset
	table  *Table
	chains map[string]*Chain
	seen   map[string]bool // DNAT rules already reported, by chain and index
	out    []Mapping
}

// walk visits c with the conditions acc met so far. A jump continues with
// the target chain and comes back; the rules' own conditions are merged
// into acc; a merge that cannot match (tcp after udp) ends the path.
func (w *walker) walk(c *Chain, acc Rule, depth int) {
	if depth > maxDepth {
		return
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		cond, ok := merge(acc, r)
		if !ok {
			continue
		}
		switch r.Verdict {
		case VerdictJump, VerdictGoto:
			if next := w.chains[r.Target]; next != nil {
				w.walk(next, cond, depth+1)
			}
			if r.Verdict == VerdictGoto && unconditional(r) {
				return
			}
		case VerdictReturn, VerdictAccept:
			if unconditional(r) {
				return
			}
		case VerdictDNAT, VerdictRedir:
			w.out = append(w.out, Mapping{
				Backend: w.rs.Backend, Family: w.table.Family, Table: w.table.Name, Chain: c.Name,
				Proto: cond.Proto, Dst: cond.Dst, DstNot: cond.DstNot, Ports: cond.Ports,
				InIface: cond.InIface, InIfaceNot: cond.InIfaceNot,
				To: r.To, ToPorts: r.ToPorts, Redirect: r.Verdict == VerdictRedir,
				Comment: r.Comment, Unknown: cond.Unknown,
			})
			if unconditional(r) {
				return
			}
		}
	}
}

// unconditional reports whether r matches every packet that reaches it.
func unconditional(r *Rule) bool {
	return r.Proto == "" && !r.Dst.IsValid() && !r.DstLocal && r.Ports.Any() && r.InIface == "" && len(r.Unknown) == 0
}

// merge adds r's conditions to acc. It fails when they cannot both hold.
func merge(acc Rule, r *Rule) (Rule, bool) {
	out := acc
	out.Unknown = slices.Clone(acc.Unknown)
	if r.Proto != "" {
		if acc.Proto != "" && acc.Proto != r.Proto {
			return Rule{}, false
		}
		out.Proto = r.Proto
	}
	if r.Dst.IsValid() {
		switch {
		case !acc.Dst.IsValid():
			out.Dst, out.DstNot = r.Dst, r.DstNot
		case acc.DstNot == r.DstNot && !r.DstNot:
			// Both positive: the narrower one, if they overlap.
			if !acc.Dst.Overlaps(r.Dst) {
				return Rule{}, false
			}
			if r.Dst.Bits() > acc.Dst.Bits() {
				out.Dst = r.Dst
			}
		case acc.DstNot && !r.DstNot:
			// "! -d 127.0.0.0/8" then "-d 127.0.0.1": impossible;
			// otherwise the positive address says more.
			if acc.Dst.Contains(r.Dst.Addr()) && acc.Dst.Bits() <= r.Dst.Bits() {
				return Rule{}, false
			}
			out.Dst, out.DstNot = r.Dst, false
		}
	}
	out.DstLocal = acc.DstLocal || r.DstLocal
	if !r.Ports.Any() {
		if !acc.Ports.Any() {
			lo, hi := max(acc.Ports.First, r.Ports.First), min(acc.Ports.Last, r.Ports.Last)
			if lo > hi {
				return Rule{}, false
			}
			out.Ports = PortRange{lo, hi}
		} else {
			out.Ports = r.Ports
		}
	}
	if r.InIface != "" {
		if acc.InIface == "" {
			out.InIface, out.InIfaceNot = r.InIface, r.InIfaceNot
		} else if acc.InIface == r.InIface && acc.InIfaceNot != r.InIfaceNot {
			return Rule{}, false
		}
	}
	for _, u := range r.Unknown {
		if !slices.Contains(out.Unknown, u) {
			out.Unknown = append(out.Unknown, u)
		}
	}
	return out, true
}

func equalMapping(a, b Mapping) bool {
	return a.Backend == b.Backend && a.Family == b.Family && a.Table == b.Table && a.Chain == b.Chain &&
		a.Proto == b.Proto && a.Dst == b.Dst && a.DstNot == b.DstNot && a.Ports == b.Ports &&
		a.InIface == b.InIface && a.InIfaceNot == b.InIfaceNot && a.To == b.To && a.ToPorts == b.ToPorts &&
		a.Redirect == b.Redirect && a.Comment == b.Comment && slices.Equal(a.Unknown, b.Unknown)
}

// Backends lists the backends that hold at least one rule in a nat table
// (an empty nat table, left by a loaded module, does not count).
func Backends(rulesets []*Ruleset) []Backend {
	var out []Backend
	for _, rs := range rulesets {
		if rs.rules() > 0 && !slices.Contains(out, rs.Backend) {
			out = append(out, rs.Backend)
		}
	}
	return out
}
