// Package iptables reads iptables-legacy rules: it parses iptables-save and
// ip6tables-save output into a firewall.Ruleset, translating each match
// into the same register-machine expressions nftables uses, so that one
// evaluator judges both. Matches it does not translate (marks, ipsets,
// rate limits, owners) become conditions the evaluator splits on.
package iptables

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/firewall"
)

// Backends of the chains parsed here.
const (
	BackendLegacy = "iptables-legacy"
)

// tablePriority are the netfilter priorities of the iptables tables
// (NF_IP_PRI_*), which order them against nftables base chains.
var tablePriority = map[string]int32{"raw": -300, "mangle": -150, "nat": -100, "filter": 0, "security": 50}

// builtinHook maps a built-in chain to its hook.
var builtinHook = map[string]string{"PREROUTING": "prerouting", "INPUT": "input", "FORWARD": "forward", "OUTPUT": "output", "POSTROUTING": "postrouting"}

// SyntaxError is a line iptables-save would not have written.
type SyntaxError struct {
	Line int
	Text string
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: %s: %q", e.Line, e.Msg, e.Text)
}

// Parse reads iptables-save (family ip) or ip6tables-save (family ip6)
// output.
func Parse(data []byte, backend, family string) (*firewall.Ruleset, error) {
	rs := &firewall.Ruleset{Backends: []string{backend}, Chains: []firewall.Chain{}}
	index := map[string]int{} // chain name → index in rs.Chains, per table
	p := &parser{rs: rs, backend: backend, family: family, chains: index}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	table := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		fail := func(msg string) error { return &SyntaxError{Line: n, Text: line, Msg: msg} }
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			if _, ok := tablePriority[table]; !ok {
				return nil, fail("unknown table")
			}
			clear(index)
		case line == "COMMIT":
			table = ""
		case strings.HasPrefix(line, ":"):
			if table == "" {
				return nil, fail("chain outside a table")
			}
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				return nil, fail("chain line without a policy")
			}
			c := firewall.Chain{Backend: backend, Family: family, Table: table, Name: f[0]}
			if hook, ok := builtinHook[f[0]]; ok {
				c.Hook, c.Type, c.Priority = hook, "filter", tablePriority[table]
				if table == "nat" {
					c.Type = "nat"
				}
				switch f[1] {
				case "ACCEPT":
					c.Policy = "accept"
				case "DROP":
					c.Policy = "drop"
				case "-":
					// iptables-restore input (kube-proxy's) keeps the
					// policy; a nat chain's is always ACCEPT.
					if table != "nat" {
						return nil, fail("built-in chain without ACCEPT or DROP policy")
					}
					c.Policy = "accept"
				default:
					return nil, fail("built-in chain without ACCEPT or DROP policy")
				}
			}
			index[c.Name] = len(rs.Chains)
			rs.Chains = append(rs.Chains, c)
		case strings.HasPrefix(line, "-A ") || strings.HasPrefix(line, "-I "):
			if table == "" {
				return nil, fail("rule outside a table")
			}
			args, err := split(line)
			if err != nil {
				return nil, fail(err.Error())
			}
			if len(args) < 2 {
				return nil, fail("rule without a chain")
			}
			i, ok := index[args[1]]
			if !ok {
				return nil, fail("rule for an undeclared chain")
			}
			rule, err := p.rule(args[2:])
			if err != nil {
				return nil, fail(err.Error())
			}
			c := &rs.Chains[i]
			rule.Handle = uint64(len(c.Rules) + 1)
			rule.Text = strings.Join(quoteAll(args[2:]), " ")
			c.Rules = append(c.Rules, rule)
		default:
			return nil, fail("not an iptables-save line")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("iptables-save output: %w", err)
	}
	return rs, nil
}

type parser struct {
	rs      *firewall.Ruleset
	backend string
	family  string
	sets    int
	// chains are the chains of the table being read: a target with
	// one of their names is a jump, not an extension.
	chains map[string]int
}

// Registers used by the translations.
const (
	reg  = 1
	reg2 = 2
	reg3 = 3
)

// cutPorts splits --to-destination's ADDR:PORTS (ports "80" or "80-90")
// after the address, bracketed for IPv6.
func cutPorts(to string) (host, ports string, ok bool) {
	if strings.HasPrefix(to, "[") {
		end := strings.Index(to, "]")
		if end < 0 || !strings.HasPrefix(to[end+1:], ":") {
			return "", "", false
		}
		return to[:end+1], to[end+2:], true
	}
	if strings.Count(to, ":") != 1 {
		return "", "", false
	}
	return strings.Cut(to, ":")
}

// rule translates one rule's arguments (after "-A CHAIN").
func (p *parser) rule(args []string) (firewall.Rule, error) {
	var r firewall.Rule
	add := func(e ...firewall.Expr) { r.Exprs = append(r.Exprs, e...) }
	match := ""
	for i := 0; i < len(args); i++ {
		neg := false
		if args[i] == "!" {
			neg = true
			i++
			if i >= len(args) {
				return r, fmt.Errorf("! at the end")
			}
		}
		opt := args[i]
		val := func() (string, error) {
			i++
			if i >= len(args) {
				return "", fmt.Errorf("%s without a value", opt)
			}
			if args[i] == "!" { // old syntax: -s ! ADDR
				neg = !neg
				i++
				if i >= len(args) {
					return "", fmt.Errorf("%s without a value", opt)
				}
			}
			return args[i], nil
		}
		switch opt {
		case "-m", "--match":
			v, err := val()
			if err != nil {
				return r, err
			}
			match = v
			switch v {
			case "tcp", "udp", "udplite", "sctp", "multiport", "conntrack", "state", "addrtype", "iprange", "comment", "icmp", "icmp6", "pkttype":
			case "rt", "frag", "hbh", "dst", "mh":
				// IPv6 extension headers: a SYN or datagram as sent
				// by a host's stack carries none, and these matches
				// fail on a packet without the header (inverted or
				// not). Not ipv6header, which compares the set of
				// headers present: "! --header frag" holds for a
				// packet without any, and "--header prot" too.
				add(firewall.Expr{Op: "immediate", Dreg: reg2, Data: []byte{0}},
					firewall.Expr{Op: "cmp", Cmp: "eq", Sreg: reg2, Data: []byte{1}})
			case "limit", "hashlimit", "recent", "connlimit":
				add(firewall.Expr{Op: "limit", Reason: "iptables " + v})
			default:
				add(firewall.Expr{Op: "condition", Reason: "iptables match " + v})
			}
		case "-p", "--protocol":
			v, err := val()
			if err != nil {
				return r, err
			}
			n, ok := protocols[strings.ToLower(v)]
			if !ok {
				x, err := strconv.ParseUint(v, 10, 8)
				if err != nil {
					return r, fmt.Errorf("unknown protocol %q", v)
				}
				n = uint8(x)
			}
			if n != 0 { // "all"
				add(firewall.Expr{Op: "meta", Key: "l4proto", Dreg: reg}, firewall.Cmp(reg, neg, []byte{n}))
			}
		case "-i", "--in-interface", "-o", "--out-interface":
			v, err := val()
			if err != nil {
				return r, err
			}
			key := "iifname"
			if opt == "-o" || opt == "--out-interface" {
				key = "oifname"
			}
			name := []byte(v)
			if strings.HasSuffix(v, "+") {
				name = name[:len(name)-1] // a prefix: compare only its bytes
			} else {
				name = append(name, 0)
			}
			if len(name) > 16 {
				return r, fmt.Errorf("interface name %q too long", v)
			}
			add(firewall.Expr{Op: "meta", Key: key, Dreg: reg}, firewall.Cmp(reg, neg, name))
		case "-s", "--source", "-d", "--destination", "--src", "--dst":
			v, err := val()
			if err != nil {
				return r, err
			}
			dst := opt == "-d" || opt == "--destination" || opt == "--dst"
			if strings.Contains(v, ",") {
				add(firewall.Expr{Op: "condition", Reason: "iptables address list"})
				continue
			}
			exprs, err := p.addr(v, dst, neg)
			if err != nil {
				return r, err
			}
			add(exprs...)
		case "--dport", "--destination-port", "--sport", "--source-port":
			v, err := val()
			if err != nil {
				return r, err
			}
			off := uint32(2)
			if opt == "--sport" || opt == "--source-port" {
				off = 0
			}
			lo, hi, err := portRange(v)
			if err != nil {
				return r, err
			}
			add(firewall.Expr{Op: "payload", Base: "transport", Offset: off, Len: 2, Dreg: reg})
			add(firewall.RangeOrCmp(reg, neg, firewall.BE16(lo), firewall.BE16(hi)))
		case "--dports", "--destination-ports", "--sports", "--source-ports", "--ports":
			v, err := val()
			if err != nil {
				return r, err
			}
			if opt == "--ports" {
				add(firewall.Expr{Op: "condition", Reason: "multiport --ports (source or destination)"})
				continue
			}
			off := uint32(2)
			if strings.HasPrefix(opt, "--s") {
				off = 0
			}
			name, err := p.portSet(v)
			if err != nil {
				return r, err
			}
			add(firewall.Expr{Op: "payload", Base: "transport", Offset: off, Len: 2, Dreg: reg},
				firewall.Expr{Op: "lookup", Sreg: reg, Set: name, Invert: neg})
		case "--ctstate", "--state":
			v, err := val()
			if err != nil {
				return r, err
			}
			var mask uint32
			for _, s := range strings.Split(v, ",") {
				bit, ok := ctStates[s]
				if !ok {
					return r, fmt.Errorf("unknown conntrack state %q", s)
				}
				if bit == 0 { // SNAT, DNAT: a status, not a state
					add(firewall.Expr{Op: "condition", Reason: "conntrack state " + s})
				}
				mask |= bit
			}
			m := make([]byte, 4)
			binary.NativeEndian.PutUint32(m, mask)
			op := "neq"
			if neg {
				op = "eq"
			}
			add(firewall.Expr{Op: "ct", Key: "state", Dreg: reg},
				firewall.Expr{Op: "bitwise", Sreg: reg, Dreg: reg, Len: 4, Mask: m, Xor: make([]byte, 4)},
				firewall.Expr{Op: "cmp", Cmp: op, Sreg: reg, Data: make([]byte, 4)})
		case "--dst-type", "--src-type":
			v, err := val()
			if err != nil {
				return r, err
			}
			if opt == "--src-type" {
				add(firewall.Expr{Op: "condition", Reason: firewall.KindSource})
				continue
			}
			var types []uint32
			var mask uint32
			for _, t := range strings.Split(v, ",") {
				n, ok := addrTypes[t]
				if !ok {
					return r, fmt.Errorf("unknown address type %q", t)
				}
				types = append(types, n)
				mask |= 1 << n
			}
			if p.family == firewall.FamilyIP6 {
				// ip6tables tests the types as flags: a local
				// address is UNICAST as well as LOCAL.
				types = firewall.AddrTypes6(mask)
			}
			name := p.newSet(func(s *firewall.Set) {
				for _, t := range types {
					k := make([]byte, 4)
					binary.NativeEndian.PutUint32(k, t)
					s.Elements = append(s.Elements, firewall.Element{Key: k})
				}
			})
			add(firewall.Expr{Op: "fib", Key: "type", Flags: []string{"daddr"}, Dreg: reg},
				firewall.Expr{Op: "lookup", Sreg: reg, Set: name, Invert: neg})
		case "--limit-iface-in", "--limit-iface-out":
			add(firewall.Expr{Op: "condition", Reason: "addrtype " + opt})
		case "--src-range", "--dst-range":
			v, err := val()
			if err != nil {
				return r, err
			}
			lo, hi, ok := strings.Cut(v, "-")
			a, err1 := netip.ParseAddr(lo)
			b, err2 := netip.ParseAddr(hi)
			if !ok || err1 != nil || err2 != nil || a.Is4() != (p.family == firewall.FamilyIP) {
				return r, fmt.Errorf("bad address range %q", v)
			}
			off := p.addrOffset(opt == "--dst-range")
			add(firewall.Expr{Op: "payload", Base: "network", Offset: off, Len: uint32(a.BitLen() / 8), Dreg: reg},
				firewall.RangeOrCmp(reg, neg, a.AsSlice(), b.AsSlice()))
		case "--syn":
			add(firewall.Expr{Op: "payload", Base: "transport", Offset: 13, Len: 1, Dreg: reg},
				firewall.Expr{Op: "bitwise", Sreg: reg, Dreg: reg, Len: 1, Mask: []byte{0x17}, Xor: []byte{0}},
				firewall.Cmp(reg, neg, []byte{0x02}))
		case "--tcp-flags":
			m, err := val()
			if err != nil {
				return r, err
			}
			i++
			if i >= len(args) {
				return r, fmt.Errorf("--tcp-flags without the flags that must be set")
			}
			mask, err1 := tcpFlags(m)
			set, err2 := tcpFlags(args[i])
			if err1 != nil || err2 != nil {
				return r, fmt.Errorf("bad --tcp-flags %s %s", m, args[i])
			}
			add(firewall.Expr{Op: "payload", Base: "transport", Offset: 13, Len: 1, Dreg: reg},
				firewall.Expr{Op: "bitwise", Sreg: reg, Dreg: reg, Len: 1, Mask: []byte{mask}, Xor: []byte{0}},
				firewall.Cmp(reg, neg, []byte{set}))
		case "--pkt-type":
			v, err := val()
			if err != nil {
				return r, err
			}
			t, ok := map[string]byte{"unicast": 0, "host": 0, "broadcast": 1, "multicast": 2}[v]
			if !ok {
				return r, fmt.Errorf("unknown packet type %q", v)
			}
			add(firewall.Expr{Op: "meta", Key: "pkttype", Dreg: reg}, firewall.Cmp(reg, neg, []byte{t}))
		case "--comment":
			v, err := val()
			if err != nil {
				return r, err
			}
			r.Comment = v
		case "-j", "--jump", "-g", "--goto":
			v, err := val()
			if err != nil {
				return r, err
			}
			target, rest := p.target(v, opt == "-g" || opt == "--goto")
			if v == "CT" && slices.Contains(args[i+1:], "--notrack") {
				target.Key = "notrack" // as -j NOTRACK: the packet stays untracked
			}
			if target.Op == "nat" && (target.Key == "dnat" || target.Key == "redirect") {
				exprs, err := p.natTarget(target, args[i+1:])
				if err != nil {
					return r, err
				}
				add(exprs...)
			} else {
				add(target)
			}
			i += skipTargetOptions(args[i+1:], rest)
		case "-c", "--set-counters":
			i += 2
		case "-f", "--fragment":
			add(firewall.Expr{Op: "condition", Reason: "fragment"})
		default:
			if !strings.HasPrefix(opt, "-") {
				return r, fmt.Errorf("unexpected %q", opt)
			}
			// An option this package does not translate (an ICMP type,
			// a TCP option, a match it treats as a condition): the
			// rule may or may not match.
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && args[i+1] != "!" {
				i++
			}
			if known(match) && !extensionHeader(match) {
				add(firewall.Expr{Op: "condition", Reason: "iptables " + match + " " + opt})
			}
		}
	}
	return r, nil
}

func known(match string) bool {
	switch match {
	case "", "tcp", "udp", "udplite", "sctp", "multiport", "conntrack", "state", "addrtype", "iprange", "comment", "icmp", "icmp6", "pkttype":
		return true
	}
	return false
}

// extensionHeader reports whether match looks at an IPv6 extension header
// (its options are then irrelevant: the match already failed).
func extensionHeader(match string) bool {
	switch match {
	case "rt", "frag", "hbh", "dst", "mh":
		return true
	}
	return false
}

// target translates -j TARGET; rest says whether the target takes options
// that the caller must skip.
func (p *parser) target(t string, gotoChain bool) (firewall.Expr, bool) {
	switch t {
	case "ACCEPT":
		return firewall.Expr{Op: "verdict", Verdict: "accept"}, false
	case "DROP":
		return firewall.Expr{Op: "verdict", Verdict: "drop"}, false
	case "RETURN":
		return firewall.Expr{Op: "verdict", Verdict: "return"}, false
	case "REJECT":
		return firewall.Expr{Op: "reject"}, true
	case "LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "MARK", "CONNMARK", "CT", "NOTRACK", "TCPMSS", "CHECKSUM", "DSCP", "TOS", "TTL", "HL", "SECMARK", "CONNSECMARK", "CLASSIFY":
		return firewall.Expr{Op: "nop", Key: strings.ToLower(t)}, true
	case "DNAT", "REDIRECT":
		return firewall.Expr{Op: "nat", Key: map[string]string{"DNAT": "dnat", "REDIRECT": "redirect"}[t]}, true
	case "SNAT", "MASQUERADE", "NETMAP":
		return firewall.Expr{Op: "nat", Key: "snat"}, true
	case "QUEUE", "NFQUEUE":
		return firewall.Expr{Op: "queue"}, true
	}
	if _, ok := p.chains[t]; !ok {
		return firewall.Expr{Op: "unmodelled", Reason: "iptables target " + t}, true
	}
	v := "jump"
	if gotoChain {
		v = "goto"
	}
	return firewall.Expr{Op: "verdict", Verdict: v, Chain: t}, false
}

// natTarget loads DNAT's --to-destination ADDR[:PORT] or REDIRECT's
// --to-ports PORT into registers for the nat expression, as nft does; a
// range or a missing target leaves the destination unknown.
func (p *parser) natTarget(nat firewall.Expr, opts []string) ([]firewall.Expr, error) {
	var out []firewall.Expr
	for i := 0; i+1 < len(opts); i++ {
		switch opts[i] {
		case "--to-destination":
			to := opts[i+1]
			var last uint16
			if host, ports, ok := cutPorts(to); ok {
				lo, hi, err := portRange(strings.ReplaceAll(ports, "-", ":"))
				if err != nil {
					return nil, fmt.Errorf("bad --to-destination %q", to)
				}
				if lo != hi {
					to, last = host+":"+strconv.Itoa(int(lo)), hi
				}
			}
			if strings.Contains(strings.TrimPrefix(to, "["), "-") {
				return []firewall.Expr{{Op: "unmodelled", Reason: "DNAT to an address range " + to}}, nil
			}
			var addr netip.Addr
			var port uint16
			if ap, err := netip.ParseAddrPort(to); err == nil {
				addr, port = ap.Addr(), ap.Port()
			} else if a, err := netip.ParseAddr(strings.Trim(to, "[]")); err == nil {
				addr = a
			} else {
				return nil, fmt.Errorf("bad --to-destination %q", to)
			}
			out = append(out, firewall.Expr{Op: "immediate", Dreg: reg, Data: addr.AsSlice()})
			nat.Sreg = reg
			if port != 0 {
				out = append(out, firewall.Expr{Op: "immediate", Dreg: reg2, Data: firewall.BE16(port)})
				nat.Dreg = reg2
			}
			if last != 0 {
				out = append(out, firewall.Expr{Op: "immediate", Dreg: reg3, Data: firewall.BE16(last)})
				nat.DregMax = reg3
			}
		case "--to-ports":
			lo, hi, err := portRange(strings.ReplaceAll(opts[i+1], "-", ":"))
			if err != nil {
				return nil, err
			}
			if lo != hi {
				return []firewall.Expr{{Op: "unmodelled", Reason: "REDIRECT to a port range"}}, nil
			}
			out = append(out, firewall.Expr{Op: "immediate", Dreg: reg2, Data: firewall.BE16(lo)})
			nat.Dreg = reg2
		}
	}
	if nat.Key == "dnat" && nat.Sreg == 0 {
		return []firewall.Expr{{Op: "unmodelled", Reason: "DNAT without --to-destination"}}, nil
	}
	return append(out, nat), nil
}

// skipTargetOptions counts the arguments that belong to a target (its
// --options and their values) so that they are not read as matches.
func skipTargetOptions(args []string, has bool) int {
	if !has {
		return 0
	}
	n := 0
	for n < len(args) && strings.HasPrefix(args[n], "--") {
		n++
		for n < len(args) && !strings.HasPrefix(args[n], "-") {
			n++
		}
	}
	return n
}

func (p *parser) addrOffset(dst bool) uint32 {
	if p.family == firewall.FamilyIP6 {
		if dst {
			return 24
		}
		return 8
	}
	if dst {
		return 16
	}
	return 12
}

// addr translates -s/-d ADDR[/MASK].
func (p *parser) addr(v string, dst, neg bool) ([]firewall.Expr, error) {
	var pfx netip.Prefix
	if strings.Contains(v, "/") {
		a, m, _ := strings.Cut(v, "/")
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("bad address %q", v)
		}
		bits, err := strconv.Atoi(m)
		if err != nil {
			// A dotted mask (iptables-save prints /255.255.255.0 for
			// non-contiguous masks only).
			mask, err := netip.ParseAddr(m)
			if err != nil {
				return nil, fmt.Errorf("bad mask %q", v)
			}
			return p.maskedAddr(addr, mask.AsSlice(), dst, neg), nil
		}
		pfx, err = addr.Prefix(bits)
		if err != nil {
			return nil, fmt.Errorf("bad prefix %q", v)
		}
	} else {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("bad address %q (host names are resolved by iptables-save, not here)", v)
		}
		pfx = netip.PrefixFrom(addr, addr.BitLen())
	}
	if pfx.Addr().Is4() != (p.family == firewall.FamilyIP) {
		return nil, fmt.Errorf("address %q of the other IP version", v)
	}
	mask := make([]byte, pfx.Addr().BitLen()/8)
	for b := 0; b < pfx.Bits(); b++ {
		mask[b/8] |= 0x80 >> (b % 8)
	}
	return p.maskedAddr(pfx.Addr(), mask, dst, neg), nil
}

func (p *parser) maskedAddr(a netip.Addr, mask []byte, dst, neg bool) []firewall.Expr {
	data := a.AsSlice()
	for i := range data {
		data[i] &= mask[i]
	}
	n := uint32(len(data))
	return []firewall.Expr{
		{Op: "payload", Base: "network", Offset: p.addrOffset(dst), Len: n, Dreg: reg},
		{Op: "bitwise", Sreg: reg, Dreg: reg, Len: n, Mask: mask, Xor: make([]byte, n)},
		firewall.Cmp(reg, neg, data),
	}
}

// portSet adds an interval set of the ports of a multiport list.
func (p *parser) portSet(v string) (string, error) {
	var ranges [][2]uint16
	for _, part := range strings.Split(v, ",") {
		lo, hi, err := portRange(part)
		if err != nil {
			return "", err
		}
		ranges = append(ranges, [2]uint16{lo, hi})
	}
	return p.newSet(func(s *firewall.Set) {
		for _, r := range ranges {
			s.Elements = append(s.Elements, firewall.Element{Key: firewall.BE16(r[0]), KeyEnd: firewall.BE16(r[1])})
		}
		s.Interval = true
	}), nil
}

func (p *parser) newSet(fill func(*firewall.Set)) string {
	p.sets++
	s := firewall.Set{Backend: p.backend, Family: p.family, Name: fmt.Sprintf("__list%d", p.sets)}
	fill(&s)
	// The set belongs to every table of the family: lookups name the
	// rule's table, so give each table its copy.
	for _, t := range []string{"raw", "mangle", "nat", "filter", "security"} {
		c := s
		c.Table = t
		p.rs.Sets = append(p.rs.Sets, c)
	}
	return s.Name
}

// portRange reads "22", "1024:65535", ":1023" or "1024:".
func portRange(v string) (uint16, uint16, error) {
	lo, hi, isRange := strings.Cut(v, ":")
	parse := func(s string, def uint16) (uint16, error) {
		if s == "" {
			return def, nil
		}
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("bad port %q (service names are resolved by iptables-save)", v)
		}
		return uint16(n), nil
	}
	a, err := parse(lo, 0)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return a, a, nil
	}
	b, err := parse(hi, 65535)
	if err != nil {
		return 0, 0, err
	}
	if a > b {
		a, b = b, a
	}
	return a, b, nil
}

var protocols = map[string]uint8{"all": 0, "tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmpv6": 58, "udplite": 136, "sctp": 132, "esp": 50, "ah": 51, "gre": 47}

var ctStates = map[string]uint32{"INVALID": 1, "ESTABLISHED": 2, "RELATED": 4, "NEW": 8, "UNTRACKED": 64, "SNAT": 0, "DNAT": 0}

var addrTypes = map[string]uint32{"UNSPEC": 0, "UNICAST": 1, "LOCAL": 2, "BROADCAST": 3, "ANYCAST": 4, "MULTICAST": 5, "BLACKHOLE": 6, "UNREACHABLE": 7, "PROHIBIT": 8, "THROW": 9, "NAT": 10, "XRESOLVE": 11}

func tcpFlags(s string) (byte, error) {
	var f byte
	for _, n := range strings.Split(s, ",") {
		switch n {
		case "FIN":
			f |= 0x01
		case "SYN":
			f |= 0x02
		case "RST":
			f |= 0x04
		case "PSH":
			f |= 0x08
		case "ACK":
			f |= 0x10
		case "URG":
			f |= 0x20
		case "ALL":
			f |= 0x3f
		case "NONE":
		default:
			return 0, fmt.Errorf("unknown tcp flag %q", n)
		}
	}
	return f, nil
}

// split splits a rule line into arguments, honouring the double quotes
// iptables-save puts around comments and log prefixes.
func split(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && inQuote && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			inQuote = !inQuote
			have = true
		case (c == ' ' || c == '\t') && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote")
	}
	if have {
		out = append(out, cur.String())
	}
	return out, nil
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}
