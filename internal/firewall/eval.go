package firewall

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Verdict is the answer for one packet or one listener.
type Verdict string

// The answers. Partly is open to some sources, interfaces or families
// and blocked for others; Unknown always comes with reasons.
const (
	Open    Verdict = "open"
	Blocked Verdict = "blocked"
	Partly  Verdict = "partly"
	Unknown Verdict = "unknown"
)

// Decision is what one base chain did with the packet: the rule that gave
// the verdict, or the chain's policy (Handle 0, Text "policy accept").
type Decision struct {
	Backend string `json:"backend"`
	Family  string `json:"family"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	// Handle is the deciding rule's handle, 0 for the policy.
	Handle uint64 `json:"handle,omitempty"`
	Text   string `json:"text"`
	// Verdict is accept, drop or reject.
	Verdict string `json:"verdict"`
}

// String names the rule: "inet filter input handle 7: tcp dport 22 drop",
// "iptables-legacy filter INPUT rule 3: ...", "pf rule 2: ...".
func (d Decision) String() string {
	where, handle := d.Family+" "+d.Table+" "+d.Chain, "handle"
	switch d.Backend {
	case "", "nftables":
	case "pf":
		where, handle = "pf", "rule"
	default:
		where, handle = d.Backend+" "+d.Table+" "+d.Chain, "rule"
	}
	if d.Handle == 0 {
		return where + ": " + d.Text
	}
	return fmt.Sprintf("%s %s %d: %s", where, handle, d.Handle, d.Text)
}

// Result is the evaluation of one packet.
type Result struct {
	Verdict Verdict `json:"verdict"`
	// By is the decision that settled the verdict: the drop or reject,
	// or for an open packet the last accept on its way.
	By *Decision `json:"by,omitempty"`
	// Path is what each base chain did, in the order the packet met them.
	Path []Decision `json:"path,omitempty"`
	// DNAT is where a destination NAT rule in prerouting sent the packet
	// ("192.0.2.2:80"); Path then goes on through the forward chains (or
	// input, for a local target), and the verdict is theirs.
	DNAT string `json:"dnat,omitempty"`
	// Reasons say why the verdict is unknown or partly: the matches the
	// evaluator does not model, or "source address" for a verdict that
	// depends on the sender.
	Reasons []Reason `json:"reasons,omitempty"`
}

// maxPaths bounds the evaluations of one packet: each match on an unknown
// value doubles them.
const maxPaths = 512

// maxDepth is the kernel's jump stack size (NFT_JUMP_STACK_SIZE).
const maxDepth = 16

// maxSteps bounds the rules run for one packet over all paths: the kernel
// refuses jump loops, but a saved ruleset is not checked by a kernel.
const maxSteps = 1 << 17

// Evaluate runs the packet through every base chain of the prerouting and
// input hooks (and ingress chains of its interface) that sees its family.
func (r *Ruleset) Evaluate(p Packet) Result {
	type leaf struct {
		verdict string
		path    []Decision
		reason  string
		forks   []fork
		dnat    string
	}
	var leaves []leaf
	pending := [][]bool{{}}
	steps := 0
	// A DNAT rewrites a run's address, port and output interface, never
	// the family or input interface that pick the base chains: every run
	// meets the same ones.
	hooks := stageChains{
		pre:     r.baseChains(p, "ingress", "prerouting"),
		input:   r.baseChains(p, "input"),
		forward: r.baseChains(p, "forward"),
		ctOn:    r.conntrackOn(p.Family),
	}
	for len(pending) > 0 {
		if len(leaves) >= maxPaths {
			return Result{Verdict: Unknown, Reasons: []Reason{reasonOf(because(ReasonTooManyPaths, maxPaths))}}
		}
		choices := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		pkt := p // a DNAT rewrites the run's own copy
		st := &evalState{rs: r, hooks: &hooks, pkt: &pkt, choices: choices, steps: &steps}
		v, path, reason := st.run()
		if steps > maxSteps {
			return Result{Verdict: Unknown, Reasons: []Reason{reasonOf(because(ReasonTooManySteps, maxSteps))}}
		}
		leaves = append(leaves, leaf{v, path, reason, st.forks, st.dnatTo})
		for i := len(choices); i < len(st.forks); i++ {
			alt := make([]bool, i+1)
			for j := 0; j < i; j++ {
				alt[j] = st.forks[j].taken
			}
			alt[i] = !st.forks[i].taken
			pending = append(pending, alt)
		}
	}
	if len(hooks.pre) == 0 && len(hooks.input) == 0 {
		return Result{Verdict: Open}
	}
	res := Result{}
	verdicts := map[string]bool{}
	var reasons, sourceReasons []string
	add := func(list *[]string, s string) {
		if s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	best := -1
	for i, l := range leaves {
		verdicts[l.verdict] = true
		add(&reasons, l.reason)
		for _, f := range l.forks {
			if sourceKind(f.kind) {
				add(&sourceReasons, f.kind)
			} else {
				add(&reasons, f.kind)
			}
		}
		if best < 0 || len(l.forks) < len(leaves[best].forks) {
			best = i
		}
	}
	res.Path = leaves[best].path
	res.DNAT = leaves[best].dnat
	if len(res.Path) > 0 {
		by := res.Path[len(res.Path)-1]
		res.By = &by
	}
	switch {
	case verdicts["unknown"]:
		res.Verdict = Unknown
		res.Reasons = reasonsOf(reasons)
		res.By = nil
	case len(verdicts) == 1 && verdicts["accept"]:
		res.Verdict = Open
	case len(verdicts) == 1:
		res.Verdict = Blocked
	default:
		// Some paths accept and some drop: definite only if every
		// split was on the source.
		var nonSource []string
		for _, l := range leaves {
			for _, f := range l.forks {
				if !sourceKind(f.kind) {
					add(&nonSource, f.kind)
				}
			}
		}
		if len(nonSource) == 0 {
			res.Verdict = Partly
			res.Reasons = reasonsOf(sourceReasons)
		} else {
			res.Verdict = Unknown
			res.Reasons = reasonsOf(nonSource)
			res.By = nil
		}
	}
	return res
}

// hookOrder is the order in which the hooks see an inbound packet.
var hookOrder = map[string]int{"ingress": 0, "prerouting": 1, "input": 2, "forward": 2}

// baseChains are the chains of the given hooks that a packet of p's family
// meets, in order.
func (r *Ruleset) baseChains(p Packet, hooks ...string) []*Chain {
	var out []*Chain
	for i := range r.Chains {
		c := &r.Chains[i]
		if !c.Base() || !slices.Contains(hooks, c.Hook) {
			continue
		}
		if c.Hook == "ingress" && p.Iif != "" && len(c.Devices) > 0 && !onDevice(c, p.Iif) && !wildcardDevice(c) {
			continue
		}
		switch c.Family {
		case FamilyInet, FamilyNetdev:
		case FamilyIP, FamilyIP6:
			if c.Family != p.Family {
				continue
			}
		default:
			continue
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *Chain) int {
		return cmp.Or(cmp.Compare(hookOrder[a.Hook], hookOrder[b.Hook]), cmp.Compare(a.Priority, b.Priority))
	})
	return out
}

// onDevice reports whether the ingress chain c is bound to the interface
// iif by its exact name.
func onDevice(c *Chain, iif string) bool {
	return slices.Contains(c.Devices, iif)
}

// deviceUnsure says why an ingress chain may or may not see the packet:
// its devices were not read, one is a wildcard, or the packet's interface
// is not known (a saved ruleset); "" when it surely does.
func deviceUnsure(c *Chain, iif string) string {
	if c.Hook != "ingress" {
		return ""
	}
	switch {
	case len(c.Devices) == 0:
		return because(ReasonUnknownValue, "devices of the ingress chain "+c.Name)
	case iif == "":
		return kindIface
	case onDevice(c, iif):
		return ""
	}
	if wildcardDevice(c) {
		return because(ReasonUnknownValue, "ingress devices "+strings.Join(c.Devices, ", "))
	}
	return ""
}

// wildcardDevice: a device name the kernel holds as a prefix (written
// with a '*' by the reader).
func wildcardDevice(c *Chain) bool {
	return slices.ContainsFunc(c.Devices, func(d string) bool { return strings.HasSuffix(d, "*") })
}

// stageChains are the base chains a packet meets, in order: at ingress
// and prerouting, then at input (for this host) or forward (for a packet
// DNAT sends on).
type stageChains struct {
	pre, input, forward []*Chain
	// ctOn: a rule of the ruleset turns connection tracking on for the
	// packet's family (see conntrackOn).
	ctOn bool
}

// conntrackOn reports whether a rule turns connection tracking on in the
// namespace for packets of family: the kernel tracks connections only
// while an expression needs it (a ct match or statement, a NAT statement,
// a connection limit; iptables' conntrack and state matches and NAT
// targets), for its table's family, inet being both. Without it no nat
// chain runs. What else may turn it on (a helper object, ipvs, Open
// vSwitch) is not in the ruleset: false means "not known to be on".
func (r *Ruleset) conntrackOn(family string) bool {
	for i := range r.Chains {
		c := &r.Chains[i]
		if c.Family != family && c.Family != FamilyInet {
			continue
		}
		for _, rule := range c.Rules {
			for _, e := range rule.Exprs {
				switch {
				case e.Op == "ct", strings.HasPrefix(e.Key, "ct "), e.Op == "nop" && e.Key == "ct":
					return true
				case e.Op == "nat" && e.Key != "":
					return true
				case e.Op == "limit" && e.Reason == "connection limit":
					return true
				}
			}
		}
	}
	return false
}

// reasonNoConntrack is why a nat chain may not run.
var reasonNoConntrack = because(ReasonUnknownValue, "connection tracking, which no rule turns on (nat chains run only with it)")

type fork struct {
	kind  string
	taken bool
}

// evalState is one evaluation path: choices are the outcomes of the
// first matches on unknown values, decided by the caller; later ones are
// taken as matching and recorded in forks.
type evalState struct {
	rs      *Ruleset
	hooks   *stageChains
	pkt     *Packet
	choices []bool
	forks   []fork
	regs    [80]byte
	kinds   [80]string
	steps   *int
	// dnatTo is the target of a DNAT rule the packet met; dnatLocal
	// says it is this host (redirect, or one of its addresses).
	dnatTo    string
	dnatLocal bool
	// untracked: a notrack statement before conntrack left the packet
	// without a conntrack entry.
	untracked bool
}

func (st *evalState) decide(kind string) bool {
	v := true
	if n := len(st.forks); n < len(st.choices) {
		v = st.choices[n]
	}
	st.forks = append(st.forks, fork{kind: kind, taken: v})
	return v
}

// run evaluates the base chains in order: an accept passes the packet on
// to the next chain, a drop ends it. After prerouting, a packet that a
// DNAT rule sent to another host goes through the forward chains instead
// of input.
func (st *evalState) run() (verdict string, path []Decision, reason string) {
	p := st.pkt
	for i, chains := range [][]*Chain{st.hooks.pre, st.hooks.input} {
		if i == 1 && st.dnatTo != "" && !st.dnatLocal {
			if p.Oif == "" {
				return "unknown", path, because(ReasonDNATUnrouted, st.dnatTo)
			}
			chains = st.hooks.forward
		}
		chains, why := st.orderTies(chains)
		if why != "" {
			return "unknown", path, why
		}
		for _, c := range chains {
			if c.Type == "nat" && (st.dnatTo != "" || st.untracked) {
				// A connection is NATed once, by the first match;
				// an untracked packet meets no nat chain.
				continue
			}
			if c.Type == "nat" && !st.hooks.ctOn && !st.decide(reasonNoConntrack) {
				continue
			}
			if why := deviceUnsure(c, p.Iif); why != "" && !st.decide(why) {
				continue
			}
			v, d, why := st.chain(c, c, 0)
			if v == "return" {
				v = c.Policy
				if v == "" {
					v = "accept"
				}
				d = Decision{Text: "policy " + v, Verdict: v}
			}
			d.Backend, d.Family, d.Table = c.Backend, c.Family, c.Table
			if d.Chain == "" {
				d.Chain = c.Name
			}
			path = append(path, d)
			switch v {
			case "accept", "dnat":
				continue
			case "drop", "reject":
				return "drop", path, ""
			default:
				return "unknown", path, why
			}
		}
	}
	return "accept", path, ""
}

// orderTies orders base chains of one hook and priority whose order
// matters. The kernel runs such chains in an order the ruleset does not
// show (the one registered last first, for nftables; iptables-legacy's
// against nftables' as their modules were loaded), and the order matters
// when one changes what another sees: a notrack, a DNAT. Two such chains
// split the evaluation into both orders; more are unknown.
func (st *evalState) orderTies(chains []*Chain) ([]*Chain, string) {
	var out []*Chain
	for i := 0; i < len(chains); {
		j := i + 1
		for j < len(chains) && hookOrder[chains[j].Hook] == hookOrder[chains[i].Hook] && chains[j].Priority == chains[i].Priority {
			j++
		}
		group := chains[i:j]
		// A chain without rules does the same wherever it runs.
		var ruled []int
		for k, c := range group {
			if len(c.Rules) > 0 {
				ruled = append(ruled, k)
			}
		}
		if len(ruled) > 1 && slices.ContainsFunc(group, st.rs.changesState) {
			var what []string
			for _, k := range ruled {
				c := group[k]
				what = append(what, c.Backend+" "+c.Family+" "+c.Table+" "+c.Name)
			}
			reason := because(ReasonUnknownValue, "the order of base chains at one priority ("+strings.Join(what, "; ")+")")
			if len(ruled) > 2 {
				return nil, reason
			}
			if out == nil {
				out = slices.Clone(chains[:i])
			}
			if st.decide(reason) {
				group = slices.Clone(group)
				a, b := ruled[0], ruled[1]
				group[a], group[b] = group[b], group[a]
			}
		}
		if out != nil {
			out = append(out, group...)
		}
		i = j
	}
	if out == nil {
		return chains, ""
	}
	return out, ""
}

// changesState reports whether c, or a chain it jumps to, holds a
// statement that changes what a later chain sees: notrack, a DNAT or
// redirect, or one whose effect is not modelled (a payload rewrite, an
// xtables target), which may change anything.
func (r *Ruleset) changesState(c *Chain) bool {
	seen := map[string]bool{}
	var walk func(c *Chain, depth int) bool
	walk = func(c *Chain, depth int) bool {
		if c == nil || seen[c.Name] || depth > maxDepth {
			return false
		}
		seen[c.Name] = true
		for _, rule := range c.Rules {
			for _, e := range rule.Exprs {
				switch {
				case e.Op == "nop" && e.Key == "notrack":
					return true
				case e.Op == "nat" && (e.Key == "dnat" || e.Key == "redirect"):
					return true
				case e.Op == "unmodelled":
					return true
				case e.Op == "verdict" && e.Chain != "":
					if walk(r.chain(c.Backend, c.Family, c.Table, e.Chain), depth+1) {
						return true
					}
				case e.Op == "lookup" && e.Map:
					if s := r.set(c.Backend, c.Family, c.Table, e.Set); s != nil {
						for _, el := range s.Elements {
							if el.Chain != "" && walk(r.chain(c.Backend, c.Family, c.Table, el.Chain), depth+1) {
								return true
							}
						}
					}
				}
			}
		}
		return false
	}
	return walk(c, 0)
}

// chain runs the rules of c; "return" means the packet fell off its end
// (or hit a return verdict).
func (st *evalState) chain(base, c *Chain, depth int) (string, Decision, string) {
	if depth > maxDepth {
		return "unknown", Decision{}, ReasonJumpsTooDeep
	}
	for _, rule := range c.Rules {
		if *st.steps++; *st.steps > maxSteps {
			return "unknown", Decision{}, because(ReasonTooManySteps, maxSteps)
		}
		v, target, why := st.rule(base, c, &rule)
		dec := Decision{Chain: c.Name, Handle: rule.Handle, Text: rule.Text, Verdict: v}
		switch v {
		case "", "continue", "break":
			continue
		case "accept", "drop", "reject", "dnat":
			return v, dec, ""
		case "return":
			return "return", dec, ""
		case "jump", "goto":
			next := st.rs.chain(c.Backend, c.Family, c.Table, target)
			if next == nil {
				return "unknown", dec, because(ReasonChainNotRead, target)
			}
			sub, d, why := st.chain(base, next, depth+1)
			if sub == "return" {
				if v == "goto" {
					return "return", d, ""
				}
				continue
			}
			return sub, d, why
		default:
			return "unknown", dec, why
		}
	}
	return "return", Decision{}, ""
}

// rule runs one rule's expressions. It returns the verdict ("" when an
// expression did not match or no verdict was set), the chain of a jump or
// goto, and the reason of an unknown verdict.
func (st *evalState) rule(base, c *Chain, rule *Rule) (string, string, string) {
	st.regs, st.kinds = [80]byte{}, [80]string{}
	for i := range rule.Exprs {
		e := &rule.Exprs[i]
		ok, verdict, target, why := st.expr(base, c, e)
		if why != "" {
			return "unknown", "", why
		}
		if !ok {
			return "", "", ""
		}
		if verdict != "" {
			return verdict, target, ""
		}
	}
	return "", "", ""
}

// expr runs one expression: ok false means the rule stops here (no match).
func (st *evalState) expr(base, c *Chain, e *Expr) (ok bool, verdict, target, why string) {
	p := st.pkt
	switch e.Op {
	case "meta":
		return st.load(e.Dreg, st.meta(e.Key))
	case "payload":
		var src field
		switch e.Base {
		case "network":
			src = p.networkHeader()
		case "transport":
			src = p.transportHeader()
		default:
			src = field{} // every byte unknown: see slice
		}
		if e.Base != "network" && e.Base != "transport" {
			return st.load(e.Dreg, slice(src, e.Offset, e.Len, "link-layer header"))
		}
		return st.load(e.Dreg, slice(src, e.Offset, e.Len, e.Base+" header beyond its fixed part"))
	case "ct":
		if st.untracked {
			// No conntrack entry, for good: the state is untracked,
			// and every other ct key ends the rule.
			if e.Key == "state" {
				return st.load(e.Dreg, native32(ctStateUntracked))
			}
			return false, "", "", ""
		}
		switch conntrackOrder(base) {
		case ctBefore:
			// No conntrack entry yet: the kernel reports the state as
			// invalid, and every other ct key ends the rule.
			if e.Key == "state" {
				return st.load(e.Dreg, native32(ctStateInvalid))
			}
			return false, "", "", ""
		case ctUnsure:
			return st.load(e.Dreg, unknown(ctOrderWhat, 16))
		}
		return st.load(e.Dreg, st.ct(e.Key))
	case "fib":
		return st.load(e.Dreg, st.fib(e))
	case "immediate":
		return st.load(e.Dreg, known(e.Data...))
	case "cmp":
		f, err := st.read(e.Sreg, len(e.Data))
		if err != "" {
			return false, "", "", err
		}
		if k := f.unknownKind(); k != "" {
			return st.decide(k), "", "", ""
		}
		d := bytes.Compare(f.data, e.Data)
		switch e.Cmp {
		case "eq":
			return d == 0, "", "", ""
		case "neq":
			return d != 0, "", "", ""
		case "lt":
			return d < 0, "", "", ""
		case "lte":
			return d <= 0, "", "", ""
		case "gt":
			return d > 0, "", "", ""
		case "gte":
			return d >= 0, "", "", ""
		}
		return false, "", "", because(ReasonUnmodelled, "comparison "+e.Cmp)
	case "range":
		f, err := st.read(e.Sreg, len(e.Data))
		if err != "" {
			return false, "", "", err
		}
		if k := f.unknownKind(); k != "" {
			return st.decide(k), "", "", ""
		}
		in := bytes.Compare(f.data, e.Data) >= 0 && bytes.Compare(f.data, e.To) <= 0
		return in == (e.Cmp != "neq"), "", "", ""
	case "bitwise":
		f, err := st.read(e.Sreg, int(e.Len))
		if err != "" {
			return false, "", "", err
		}
		if len(e.Mask) < int(e.Len) || len(e.Xor) < int(e.Len) {
			return false, "", "", because(ReasonUnmodelled, "bitwise operation other than mask and xor")
		}
		out := field{data: make([]byte, e.Len), kinds: make([]string, e.Len)}
		for i := range out.data {
			out.data[i] = f.data[i]&e.Mask[i] ^ e.Xor[i]
			if e.Mask[i] != 0 {
				out.kinds[i] = f.kinds[i]
			}
		}
		return st.load(e.Dreg, out)
	case "lookup":
		return st.lookup(c, e)
	case "verdict":
		return true, e.Verdict, e.Chain, ""
	case "reject":
		return true, "reject", "", ""
	case "nop":
		if e.Key == "notrack" && base.Hook == "prerouting" {
			switch conntrackOrder(base) {
			case ctBefore:
				st.untracked = true
			case ctUnsure:
				st.untracked = st.decide(because(ReasonUnknownValue, ctOrderWhat))
			}
		}
		return true, "", "", ""
	case "nat":
		if (e.Key == "dnat" || e.Key == "redirect") && base.Hook == "prerouting" {
			if why := st.dnat(e); why != "" {
				return false, "", "", why
			}
			return true, "dnat", "", ""
		}
		return true, "", "", ""
	case "queue":
		return false, "", "", because(ReasonUnmodelled, "packets queued to user space")
	case "limit", "condition":
		if e.Reason == KindSource {
			return st.decide(KindSource), "", "", ""
		}
		return st.decide(because(ReasonCondition, e.Reason)), "", "", ""
	case "unmodelled":
		return false, "", "", because(ReasonUnmodelled, e.Reason)
	}
	return false, "", "", because(ReasonUnmodelled, "expression "+e.Op)
}

// dnat rewrites the packet's destination as a dnat or redirect statement
// does, from the registers the rule loaded, and routes it: to this host,
// or out of the interface whose network holds the target.
func (st *evalState) dnat(e *Expr) string {
	p := st.pkt
	addr, port := p.Daddr, p.Dport
	if e.Key == "dnat" && e.Sreg != 0 {
		n := 4
		if p.Family == FamilyIP6 {
			n = 16
		}
		f, err := st.read(e.Sreg, n)
		if err != "" {
			return err
		}
		if k := f.unknownKind(); k != "" {
			return because(ReasonDNATTarget, "an address that depends on the "+reasonOf(k).Detail)
		}
		a, ok := netip.AddrFromSlice(f.data)
		if !ok {
			return because(ReasonDNATTarget, "an address of the other family")
		}
		addr = a
	}
	if e.Dreg != 0 {
		f, err := st.read(e.Dreg, 2)
		if err != "" {
			return err
		}
		if k := f.unknownKind(); k != "" {
			return because(ReasonDNATTarget, "a port that depends on the "+reasonOf(k).Detail)
		}
		port = uint16(f.data[0])<<8 | uint16(f.data[1])
		if e.DregMax != 0 {
			g, err := st.read(e.DregMax, 2)
			if err != "" {
				return err
			}
			if k := g.unknownKind(); k != "" {
				return because(ReasonDNATTarget, "a port that depends on the "+reasonOf(k).Detail)
			}
			// A port range: the kernel keeps the packet's port when
			// it is in the range (and the connection is new); it
			// picks one otherwise.
			last := uint16(g.data[0])<<8 | uint16(g.data[1])
			if p.Dport < port || p.Dport > last {
				return because(ReasonDNATTarget, "a port range that does not hold the packet's port")
			}
			port = p.Dport
		}
	}
	st.dnatLocal = e.Key == "redirect" || slices.Contains(p.Local, addr)
	if st.dnatLocal && e.Key == "redirect" {
		st.dnatTo = ":" + strconv.Itoa(int(port))
	} else {
		st.dnatTo = netip.AddrPortFrom(addr, port).String()
	}
	p.Daddr, p.Dport = addr, port
	p.Oif, p.OifIndex = "", 0
	if !st.dnatLocal {
		for _, r := range p.Routes {
			if r.Prefix.Contains(addr) {
				p.Oif, p.OifIndex = r.Iface, r.Index
				break
			}
		}
	}
	return ""
}

// meta is the value of a meta key for the packet.
func (st *evalState) meta(key string) field {
	p := st.pkt
	switch key {
	case "l4proto":
		return known(p.Proto)
	case "nfproto":
		return known(p.nfproto())
	case "protocol":
		return be16(p.ethertype())
	case "iifname":
		if p.Iif == "" {
			return unknown(kindIface, 16)
		}
		return ifname(p.Iif)
	case "iif":
		if p.IifIndex == 0 {
			return unknown("interface index", 4)
		}
		return native32(p.IifIndex)
	case "oif":
		return native32(p.OifIndex)
	case "oifname":
		return ifname(p.Oif)
	case "pkttype":
		return known(0) // PACKET_HOST: unicast to this host
	}
	return unknown("meta "+key, 16)
}

// Connection tracking state bits (NF_CT_STATE_BIT, NF_CT_STATE_UNTRACKED_BIT).
const (
	ctStateInvalid   = 1
	ctStateNew       = 8
	ctStateUntracked = 64
)

// conntrackPriority is where connection tracking hooks into prerouting
// (NF_IP_PRI_CONNTRACK): chains before it see no conntrack entry.
const conntrackPriority = -200

// Where a base chain runs against connection tracking.
const (
	ctAfter = iota
	ctBefore
	// ctUnsure: a prerouting chain at conntrack's own priority, whose
	// order against it depends on which hook was registered last.
	ctUnsure
)

// ctOrderWhat is why a ct match or notrack at conntrack's priority has no
// known outcome.
const ctOrderWhat = "conntrack, which runs at the chain's priority (-200), before or after it"

func conntrackOrder(base *Chain) int {
	switch {
	case base.Hook == "ingress":
		return ctBefore
	case base.Hook != "prerouting" || base.Priority > conntrackPriority:
		return ctAfter
	case base.Priority < conntrackPriority:
		return ctBefore
	}
	return ctUnsure
}

func (st *evalState) ct(key string) field {
	p := st.pkt
	switch key {
	case "state":
		return native32(ctStateNew)
	case "direction":
		return known(0) // IP_CT_DIR_ORIGINAL
	case "l3protocol":
		return known(p.nfproto())
	case "protocol":
		return known(p.Proto)
	case "proto-dst":
		return be16(p.Dport)
	case "dst", "dst-ip", "dst-ip6":
		return p.daddr()
	case "src", "src-ip", "src-ip6":
		return p.saddr()
	case "proto-src":
		return unknown(kindSport, 2)
	}
	return unknown("ct "+key, 16)
}

func (st *evalState) fib(e *Expr) field {
	p := st.pkt
	has := func(f string) bool { return slices.Contains(e.Flags, f) }
	switch {
	case e.Key == "type" && has("daddr") && !has("iif") && !has("saddr"):
		// The packet is addressed to this host by construction.
		return native32(RTNLocal)
	case (e.Key == "oif" || e.Key == "oifname") && has("saddr") && has("iif"):
		// Reverse path filter: is there a route back to the source
		// through the interface it came in on?
		if !p.Saddr.IsValid() {
			return unknown(kindFib, 16)
		}
		if !p.onLink() {
			return unknown("route back to the source", 16)
		}
		if has("present") {
			return known(1)
		}
		if e.Key == "oifname" {
			if p.Iif == "" {
				return unknown(kindIface, 16)
			}
			return ifname(p.Iif)
		}
		if p.IifIndex == 0 {
			return unknown("interface index", 4)
		}
		return native32(p.IifIndex)
	}
	return unknown("fib "+e.Key+" of "+strings.Join(e.Flags, " . "), 16)
}

// lookup tests set membership, or picks a verdict from a map.
func (st *evalState) lookup(c *Chain, e *Expr) (bool, string, string, string) {
	set := st.rs.set(c.Backend, c.Family, c.Table, e.Set)
	if set == nil {
		return false, "", "", because(ReasonSetNotRead, e.Set)
	}
	if set.Timeout || set.Dynamic {
		return st.decide(because(ReasonSetDynamic, set.Name)), "", "", ""
	}
	if len(set.Elements) == 0 {
		return e.Invert, "", "", ""
	}
	f, err := st.read(e.Sreg, len(set.Elements[0].Key))
	if err != "" {
		return false, "", "", err
	}
	if k := f.unknownKind(); k != "" {
		if e.Map {
			return false, "", "", because(ReasonUnmodelled, "verdict map keyed by "+reasonOf(k).Detail)
		}
		return st.decide(k), "", "", ""
	}
	el, why := set.find(f.data)
	if why != "" {
		return false, "", "", why
	}
	if e.Map {
		if el == nil {
			return false, "", "", ""
		}
		if e.Dreg != 0 {
			if el.Data == nil {
				return false, "", "", because(ReasonUnmodelled, "data map @"+set.Name)
			}
			return st.load(e.Dreg, known(el.Data...))
		}
		if el.Verdict == "" && el.Chain == "" {
			// A verdict map whose elements carry no verdict: its data
			// type was not read with its elements (the ruleset changed
			// between the reader's dumps). What it decides is unknown,
			// not "nothing".
			return false, "", "", because(ReasonUnmodelled, "verdict map without verdicts @"+set.Name)
		}
		return true, el.Verdict, el.Chain, ""
	}
	return (el != nil) != e.Invert, "", "", ""
}

// find returns the element that holds key, or nil; or why it cannot tell.
func (s *Set) find(key []byte) (*Element, string) {
	if !s.Interval {
		for i := range s.Elements {
			if bytes.Equal(s.Elements[i].Key, key) {
				return &s.Elements[i], ""
			}
		}
		return nil, ""
	}
	// An interval set: the element with the greatest start at or below
	// key decides, unless it ends the previous range.
	var best *Element
	for i := range s.Elements {
		el := &s.Elements[i]
		if len(el.KeyEnd) > 0 {
			in, why := s.inRange(el, key)
			if why != "" {
				return nil, why
			}
			if in {
				return el, ""
			}
			continue
		}
		if bytes.Compare(el.Key, key) > 0 {
			continue
		}
		if best == nil || bytes.Compare(el.Key, best.Key) > 0 || (bytes.Equal(el.Key, best.Key) && !el.IntervalEnd) {
			best = el
		}
	}
	if best == nil || best.IntervalEnd {
		return nil, ""
	}
	return best, ""
}

// inRange reports whether key lies in the closed range of el. A range of a
// concatenation bounds each field on its own: 192.0.2.0/24 . 22 holds
// 192.0.2.2 . 22, not 192.0.2.2 . 80, which lies between its ends as a
// whole.
func (s *Set) inRange(el *Element, key []byte) (bool, string) {
	if len(s.Fields) == 0 {
		if len(key) > 4 && s.Backend == "nftables" {
			// A range over more than one register may be a
			// concatenation whose fields were not read.
			return false, because(ReasonUnmodelled, "range of a key whose fields were not read @"+s.Name)
		}
		return bytes.Compare(el.Key, key) <= 0 && bytes.Compare(key, el.KeyEnd) <= 0, ""
	}
	off := 0
	for _, n := range s.Fields {
		end := off + int(n)
		if end > len(key) || end > len(el.Key) || end > len(el.KeyEnd) {
			return false, because(ReasonUnmodelled, "concatenation longer than its key @"+s.Name)
		}
		if bytes.Compare(el.Key[off:end], key[off:end]) > 0 || bytes.Compare(key[off:end], el.KeyEnd[off:end]) > 0 {
			return false, ""
		}
		off += (int(n) + 3) &^ 3
	}
	return true, ""
}

// load stores f in register reg, padding to a 32-bit boundary with zeros
// as the kernel does.
func (st *evalState) load(reg uint32, f field) (bool, string, string, string) {
	off, ok := RegOffset(reg)
	n := (len(f.data) + 3) &^ 3
	if !ok || off+n > len(st.regs) {
		return false, "", "", because(ReasonUnmodelled, fmt.Sprintf("register %d out of range", reg))
	}
	for i := 0; i < n; i++ {
		st.regs[off+i], st.kinds[off+i] = 0, ""
		if i < len(f.data) {
			st.regs[off+i], st.kinds[off+i] = f.data[i], f.kinds[i]
		}
	}
	return true, "", "", ""
}

func (st *evalState) read(reg uint32, n int) (field, string) {
	off, ok := RegOffset(reg)
	if !ok || n < 0 || off+n > len(st.regs) {
		return field{}, because(ReasonUnmodelled, fmt.Sprintf("register %d out of range", reg))
	}
	return field{data: st.regs[off : off+n], kinds: st.kinds[off : off+n]}, ""
}

// slice cuts Len bytes at Offset out of a header; bytes past its end are
// unknown.
func slice(f field, off, n uint32, beyond string) field {
	if n > 64 {
		n = 64
	}
	out := unknown(beyond, int(n))
	for i := uint32(0); i < n; i++ {
		if j := off + i; j >= off && j < uint32(len(f.data)) {
			out.data[i], out.kinds[i] = f.data[j], f.kinds[j]
		}
	}
	return out
}

func (f field) unknownKind() string {
	for _, k := range f.kinds {
		if k != "" {
			return k
		}
	}
	return ""
}

// nativeUint32 reads a host-order 32-bit register value (meta iif, ct
// state), for the rule text.
func nativeUint32(b []byte) uint32 {
	var x [4]byte
	copy(x[:], b)
	return binary.NativeEndian.Uint32(x[:])
}

func reasonsOf(list []string) []Reason {
	out := make([]Reason, 0, len(list))
	for _, s := range list {
		out = append(out, reasonOf(s))
	}
	return out
}
