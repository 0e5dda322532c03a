// Package firewall holds a host's packet filter as plain data (Ruleset: the
// chains of nftables and of iptables-legacy, in one register-machine form)
// and evaluates it for a synthetic new inbound packet: is a listener
// reachable through the INPUT path, and which rule decides?
//
// The readers live in sub-packages (nft reads the kernel over netlink,
// iptables parses iptables-save); both produce a Ruleset, which the
// snapshot carries so that a saved snapshot can be evaluated later. The
// evaluator never guesses: a match it does not model (a mark, a rate limit,
// a set with timeouts) splits the evaluation into both outcomes, and when
// they disagree the answer is unknown with the reason.
package firewall

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Ruleset is every chain that can see an inbound packet, from every backend
// that was read.
type Ruleset struct {
	// NetNS is the network namespace the rules filter (0: the
	// snapshot's only one).
	NetNS uint64 `json:"netns,omitempty"`
	// Backends lists what was read: "nftables", "iptables-legacy",
	// "ip6tables-legacy", "pf", "npf".
	Backends []string `json:"backends"`
	// Chains are all chains of all tables, base and regular.
	Chains []Chain `json:"chains"`
	// Sets are the named and anonymous sets and maps the rules use.
	Sets []Set `json:"sets,omitempty"`
	// Notes are facts about the ruleset as a whole, e.g. "both-backends"
	// when nftables and iptables-legacy both hold rules.
	Notes []string `json:"notes,omitempty"`
	// Unread are the backends that could not be read, and why: every
	// verdict is then unknown.
	Unread []Unread `json:"unread,omitempty"`
}

// Unread is a backend that could not be read.
type Unread struct {
	Backend string `json:"backend"`
	// Reason is a stable code: "permission", "error".
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Table families, as nft(8) names them.
const (
	FamilyInet   = "inet"
	FamilyIP     = "ip"
	FamilyIP6    = "ip6"
	FamilyNetdev = "netdev"
	FamilyBridge = "bridge"
	FamilyARP    = "arp"
)

// Chain is one chain. A base chain has a Hook; a regular chain is reached
// only by jumps and gotos.
type Chain struct {
	// Backend is the Ruleset backend the chain came from.
	Backend string `json:"backend"`
	Family  string `json:"family"`
	Table   string `json:"table"`
	Name    string `json:"name"`
	// Hook is "prerouting", "input", "forward", "output", "postrouting"
	// or "ingress"; "" for a regular chain.
	Hook string `json:"hook,omitempty"`
	// Type is "filter", "nat" or "route" for a base chain.
	Type     string `json:"type,omitempty"`
	Priority int32  `json:"priority,omitempty"`
	// Policy is "accept" or "drop" for a base chain.
	Policy string `json:"policy,omitempty"`
	// Devices are the devices an ingress chain (netdev, or inet since
	// Linux 5.10) is bound to; none when they could not be read.
	Devices []string `json:"devices,omitempty"`
	// Dormant is a base chain of a dormant table: the kernel keeps its
	// hook unregistered, so no packet meets it.
	Dormant bool `json:"dormant,omitempty"`
	// Undecoded is why the chain's rules could not be decoded (the
	// reader's error); its Rules then hold one unmodelled rule. Readers
	// of what the chain does (NAT: which ports it publishes) check this
	// field, not a reason text: an undecoded chain may do anything.
	Undecoded string `json:"undecoded,omitempty"`
	Rules     []Rule `json:"rules,omitempty"`
}

// Base reports whether c is hooked into the packet path.
func (c *Chain) Base() bool { return c.Hook != "" && !c.Dormant }

// Rule is one rule: expressions run in order, as the kernel runs them.
type Rule struct {
	// Handle is the kernel's rule handle (nftables) or the 1-based rule
	// number within its chain (iptables, pf).
	Handle uint64 `json:"handle"`
	// Text is the rule as a person writes it: the saved line for
	// iptables and pf, a rendering of the expressions for nftables.
	Text string `json:"text"`
	// Comment is the rule's comment (nft's comment, iptables' -m comment):
	// engines name containers and services there.
	Comment string `json:"comment,omitempty"`
	Exprs   []Expr `json:"exprs"`
}

// Expr is one expression of the nftables register machine, or one
// statement this package does not model (Op "unmodelled", with Reason).
type Expr struct {
	// Op is meta, payload, cmp, bitwise, range, lookup, ct, fib,
	// immediate, verdict, limit (and the other conditions that depend on
	// more than the packet: quota, connlimit, dynset), reject, nat,
	// queue, nop (counters, logs) or unmodelled.
	Op string `json:"op"`
	// Key names what meta, ct and fib load ("l4proto", "iifname",
	// "state", "daddr-type", ...).
	Key string `json:"key,omitempty"`
	// Base, Offset and Len locate a payload load: base "ll", "network"
	// or "transport".
	Base   string `json:"base,omitempty"`
	Offset uint32 `json:"offset,omitempty"`
	Len    uint32 `json:"len,omitempty"`
	// Dreg and Sreg are the destination and source registers in the
	// kernel's numbering (0 verdict, 1-4 wide, 8-23 32-bit). For nat,
	// Sreg holds the new address and Dreg the new port (0: unchanged).
	Dreg uint32 `json:"dreg,omitempty"`
	Sreg uint32 `json:"sreg,omitempty"`
	// DregMax is, for a nat to a port range, the register holding the
	// range's last port (Dreg holds its first).
	DregMax uint32 `json:"dreg_max,omitempty"`
	// Cmp is eq, neq, lt, lte, gt or gte for cmp and range (eq/neq).
	Cmp  string `json:"cmp,omitempty"`
	Data Bytes  `json:"data,omitempty"`
	To   Bytes  `json:"to,omitempty"`
	Mask Bytes  `json:"mask,omitempty"`
	Xor  Bytes  `json:"xor,omitempty"`
	// Set names the set a lookup reads (its Table and Family are the
	// rule's); Invert negates the lookup; Map makes it a verdict map.
	Set    string `json:"set,omitempty"`
	Invert bool   `json:"invert,omitempty"`
	Map    bool   `json:"map,omitempty"`
	// Verdict is accept, drop, jump, goto, return, continue, break,
	// queue or stolen; Chain is the target of jump and goto.
	Verdict string `json:"verdict,omitempty"`
	Chain   string `json:"chain,omitempty"`
	// Flags are fib's inputs ("saddr", "daddr", "iif", "oif", "mark").
	Flags []string `json:"flags,omitempty"`
	// Reason says what an unmodelled expression is.
	Reason string `json:"reason,omitempty"`
}

// Set is an nftables set or map (or an iptables multiport list).
type Set struct {
	Backend string `json:"backend"`
	Family  string `json:"family"`
	Table   string `json:"table"`
	Name    string `json:"name"`
	// Interval sets hold ranges: see Element.
	Interval bool `json:"interval,omitempty"`
	// Map is a verdict map: elements carry verdicts.
	Map bool `json:"map,omitempty"`
	// Timeout or Dynamic sets change with traffic, so their contents
	// at evaluation time are not known.
	Timeout bool `json:"timeout,omitempty"`
	Dynamic bool `json:"dynamic,omitempty"`
	// Fields are the byte lengths of a concatenated key's fields (each
	// padded to 4 bytes in the key); nil for a key of one field. A range
	// of a concatenation bounds each field on its own.
	Fields   []uint32  `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Element is one set element. In an interval set an element without
// KeyEnd opens a range at Key, and one with IntervalEnd closes the range
// before Key; with KeyEnd it is the closed range [Key, KeyEnd].
type Element struct {
	Key         Bytes  `json:"key"`
	KeyEnd      Bytes  `json:"key_end,omitempty"`
	IntervalEnd bool   `json:"interval_end,omitempty"`
	Verdict     string `json:"verdict,omitempty"`
	Chain       string `json:"chain,omitempty"`
	// Data is the value a data map (not a verdict map) gives the key.
	Data Bytes `json:"data,omitempty"`
}

// Bytes is a byte string written as hex in JSON, as nft --debug prints
// register data.
type Bytes []byte

// MarshalJSON writes b as a hex string.
func (b Bytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(b)) }

// UnmarshalJSON reads a hex string.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("firewall bytes: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("firewall bytes %q: %w", s, err)
	}
	*b = v
	return nil
}

// chain finds a chain by backend, family, table and name.
func (r *Ruleset) chain(backend, family, table, name string) *Chain {
	for i := range r.Chains {
		c := &r.Chains[i]
		if c.Backend == backend && c.Family == family && c.Table == table && c.Name == name {
			return c
		}
	}
	return nil
}

// set finds a set by backend, family, table and name.
func (r *Ruleset) set(backend, family, table, name string) *Set {
	for i := range r.Sets {
		s := &r.Sets[i]
		if s.Backend == backend && s.Family == family && s.Table == table && s.Name == name {
			return s
		}
	}
	return nil
}

// Merge adds the chains and sets of another backend, and notes when both
// hold rules: both filter every packet, and the stricter one wins.
func (r *Ruleset) Merge(o *Ruleset) {
	if r.hasRules() && o.hasRules() {
		r.Notes = append(r.Notes, NoteBothBackends)
	}
	r.Backends = append(r.Backends, o.Backends...)
	r.Chains = append(r.Chains, o.Chains...)
	r.Sets = append(r.Sets, o.Sets...)
	r.Notes = append(r.Notes, o.Notes...)
	r.Unread = append(r.Unread, o.Unread...)
}

// NoteBothBackends is the Ruleset note of a host where nftables and
// iptables-legacy both hold rules.
const NoteBothBackends = "both-backends"

func (r *Ruleset) hasRules() bool {
	for _, c := range r.Chains {
		if len(c.Rules) > 0 {
			return true
		}
	}
	return false
}

// TProxyRules are the texts of the rules with a TPROXY target or statement
// (iptables -j TPROXY, as iptables-legacy or iptables-nft writes it), which
// hand a transparent socket (IP_TRANSPARENT) packets for other addresses.
func (rs *Ruleset) TProxyRules() []string {
	var out []string
	for _, c := range rs.Chains {
		for _, r := range c.Rules {
			for _, e := range r.Exprs {
				if e.Op == "unmodelled" && (e.Reason == "iptables target TPROXY" || e.Reason == "xtables target TPROXY") {
					out = append(out, r.Text)
					break
				}
			}
		}
	}
	return out
}
