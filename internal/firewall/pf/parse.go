// Package pf parses the filter rules of OpenBSD's and FreeBSD's pf as
// `pfctl -sr` prints them (a saved file, for `analyze --firewall`) into a
// firewall.Ruleset.
//
// pf applies the last rule that matches, unless a matching rule is quick,
// which applies at once; with no match the packet passes. The evaluator
// applies the first match, so the chain is rewritten: every quick rule in
// order, then every other rule in reverse order, then the pass policy.
// The first match of that chain is pf's decision. Anchors hold rules this
// file does not show: a packet an anchor can see gets an unknown verdict.
package pf

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/parse/portname"
	"github.com/openports/openports/internal/snapshot"
)

// Backend is the firewall.Chain backend of pf rules.
const Backend = "pf"

// SyntaxError is a line pfctl would not have printed.
type SyntaxError struct {
	Line int
	Text string
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s: %q", e.Line, e.Msg, e.Text) }

// Detect reports whether data looks like `pfctl -sr` output: rules that
// start with pass, block, match or anchor and carry pf's words.
func Detect(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		return slices.Contains([]string{"pass", "block", "match", "anchor", "scrub", "antispoof"}, f[0]) &&
			(slices.Contains(f, "in") || slices.Contains(f, "out") || slices.Contains(f, "all") || slices.Contains(f, "from"))
	}
	return false
}

// rule is one parsed pf rule.
type rule struct {
	n      int // 1-based position in the file, pfctl's @N with -v
	text   string
	quick  bool
	anchor bool
	exprs  []firewall.Expr
}

// Parse reads `pfctl -sr` output.
func Parse(data []byte) (*firewall.Ruleset, error) {
	var rules []rule
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		// pfctl -vsr prints "@N" before each rule and statistics lines
		// in brackets after it.
		if strings.HasPrefix(text, "[") {
			continue
		}
		if strings.HasPrefix(text, "@") {
			if _, rest, ok := strings.Cut(text, " "); ok {
				text = strings.TrimSpace(rest)
			}
		}
		n++
		r, keep, err := parseRule(text)
		if err != nil {
			return nil, &SyntaxError{Line: line, Text: text, Msg: err.Error()}
		}
		if keep {
			r.n = n
			rules = append(rules, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pfctl -sr output: %w", err)
	}
	chain := firewall.Chain{Backend: Backend, Family: firewall.FamilyInet, Table: "pf", Name: "rules",
		Hook: "input", Type: "filter", Policy: "accept"}
	add := func(r rule) {
		chain.Rules = append(chain.Rules, firewall.Rule{Handle: uint64(r.n), Text: r.text, Exprs: r.exprs})
	}
	for _, r := range rules {
		if r.anchor {
			add(r)
		}
	}
	for _, r := range rules {
		if r.quick && !r.anchor {
			add(r)
		}
	}
	for i := len(rules) - 1; i >= 0; i-- {
		if !rules[i].quick && !rules[i].anchor {
			add(rules[i])
		}
	}
	return &firewall.Ruleset{Backends: []string{Backend}, Chains: []firewall.Chain{chain}}, nil
}

const reg = 1

// parseRule translates one rule. keep is false for rules that never see an
// inbound packet (out, scrub, match).
func parseRule(text string) (rule, bool, error) {
	r := rule{text: text}
	f, err := fields(text)
	if err != nil {
		return r, false, err
	}
	var verdict firewall.Expr
	switch f[0] {
	case "pass":
		verdict = firewall.Expr{Op: "verdict", Verdict: "accept"}
	case "block":
		verdict = firewall.Expr{Op: "verdict", Verdict: "drop"}
	case "anchor":
		r.anchor = true
		verdict = firewall.Expr{Op: "unmodelled", Reason: "pf anchor " + strings.Trim(at(f, 1), "\"") + " (its rules are not in this file)"}
	case "match", "scrub", "antispoof":
		// match only sets options; scrub normalises; antispoof is
		// printed as the block rules it expands to.
		return r, false, nil
	default:
		return r, false, fmt.Errorf("a rule starts with pass, block, match or anchor")
	}
	add := func(e ...firewall.Expr) { r.exprs = append(r.exprs, e...) }
	proto := ""
	for i := 1; i < len(f); i++ {
		w := f[i]
		switch w {
		case "in", "all", "log", "keep", "modulate", "synproxy", "state", "no", "allow-opts", "fragment", "once":
		case "out":
			return r, false, nil
		case "quick":
			r.quick = true
		case "drop", "return", "return-rst", "return-icmp", "return-icmp6":
		case "inet":
			add(firewall.Expr{Op: "meta", Key: "nfproto", Dreg: reg}, firewall.Cmp(reg, false, []byte{2}))
		case "inet6":
			add(firewall.Expr{Op: "meta", Key: "nfproto", Dreg: reg}, firewall.Cmp(reg, false, []byte{10}))
		case "on":
			i++
			neg := false
			if at(f, i) == "!" {
				neg = true
				i++
			}
			name := at(f, i)
			if name == "" {
				return r, false, fmt.Errorf("on without an interface")
			}
			if name[len(name)-1] < '0' || name[len(name)-1] > '9' {
				// An interface group (egress, lo): its members are not
				// in this file.
				add(firewall.Expr{Op: "condition", Reason: "interface group " + name})
				continue
			}
			b := append([]byte(name), 0)
			if len(b) > 16 {
				return r, false, fmt.Errorf("interface name %q too long", name)
			}
			add(firewall.Expr{Op: "meta", Key: "iifname", Dreg: reg}, firewall.Cmp(reg, neg, b))
		case "proto":
			i++
			proto = at(f, i)
			num, ok := protocols[proto]
			if !ok {
				x, err := strconv.ParseUint(proto, 10, 8)
				if err != nil {
					return r, false, fmt.Errorf("unknown protocol %q", proto)
				}
				num = uint8(x)
			}
			add(firewall.Expr{Op: "meta", Key: "l4proto", Dreg: reg}, firewall.Cmp(reg, false, []byte{num}))
		case "from", "to":
			var exprs []firewall.Expr
			var err error
			exprs, i, err = hostPort(f, i+1, w == "to", proto)
			if err != nil {
				return r, false, err
			}
			add(exprs...)
		case "flags":
			i++
			set, mask, ok := strings.Cut(at(f, i), "/")
			if !ok || proto != "tcp" {
				if proto == "tcp" {
					return r, false, fmt.Errorf("flags without /mask")
				}
				continue // pf applies flags to TCP only
			}
			s, err1 := tcpFlags(set)
			m, err2 := tcpFlags(mask)
			if err1 != nil || err2 != nil {
				return r, false, fmt.Errorf("bad flags %q", at(f, i))
			}
			add(firewall.Expr{Op: "payload", Base: "transport", Offset: 13, Len: 1, Dreg: reg},
				firewall.Expr{Op: "bitwise", Sreg: reg, Dreg: reg, Len: 1, Mask: []byte{m}, Xor: []byte{0}},
				firewall.Cmp(reg, false, []byte{s}))
		case "label", "tag", "rtable", "queue", "set", "prio", "divert-to", "divert-reply", "route-to", "reply-to", "dup-to", "nat-to", "rdr-to", "binat-to", "af-to", "max-pkt-rate", "os":
			i++ // takes one value (route-to may take more; they carry no match)
			if w == "rdr-to" || w == "nat-to" || w == "binat-to" || w == "af-to" {
				add(firewall.Expr{Op: "unmodelled", Reason: "pf " + w})
			}
		case "tagged", "user", "group", "probability", "icmp-type", "icmp6-type", "received-on":
			i++
			add(firewall.Expr{Op: "condition", Reason: "pf " + w})
		default:
			if strings.HasPrefix(w, "(") {
				// State options: "(max 100, source-track rule)".
				for ; i < len(f) && !strings.HasSuffix(f[i], ")"); i++ {
				}
				continue
			}
			if strings.HasPrefix(w, "\"") || strings.HasPrefix(w, "code") || strings.HasPrefix(w, "port") {
				continue
			}
			return r, false, fmt.Errorf("unknown word %q", w)
		}
	}
	add(verdict)
	return r, true, nil
}

// hostPort reads "ADDR [port OP N]" after from/to, at f[i]; it returns the
// expressions and the index of the last word used.
func hostPort(f []string, i int, dst bool, proto string) ([]firewall.Expr, int, error) {
	var out []firewall.Expr
	neg := false
	if at(f, i) == "!" {
		neg = true
		i++
	}
	a := at(f, i)
	switch {
	case a == "any" || a == "all":
	case a == "self" && dst:
		// Inbound to this host: the packet is addressed to it.
	case strings.HasPrefix(a, "<") || strings.HasPrefix(a, "(") || a == "self" || a == "no-route" || a == "urpf-failed" || a == "route":
		reason := "pf address " + a
		if !dst {
			reason = firewall.KindSource
		}
		out = append(out, firewall.Expr{Op: "condition", Reason: reason})
	default:
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			addr, err2 := netip.ParseAddr(a)
			if err2 != nil {
				return nil, i, fmt.Errorf("bad address %q", a)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, addrMatch(pfx.Masked(), dst, neg)...)
	}
	if at(f, i+1) != "port" {
		return out, i, nil
	}
	i += 2
	off := uint32(0)
	if dst {
		off = 2
	}
	load := firewall.Expr{Op: "payload", Base: "transport", Offset: off, Len: 2, Dreg: reg}
	op := at(f, i)
	p1, err := port(at(f, i+1), proto)
	switch op {
	case "=", "!=", "<", "<=", ">", ">=":
		if err != nil {
			return nil, i, err
		}
		i++
		c := map[string]string{"=": "eq", "!=": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}[op]
		return append(out, load, firewall.Expr{Op: "cmp", Cmp: c, Sreg: reg, Data: firewall.BE16(p1)}), i, nil
	}
	// "N", "N:M" (inclusive), "N >< M" (between, exclusive), "N <> M"
	// (outside, exclusive).
	if lo, hi, ok := strings.Cut(op, ":"); ok {
		a, err1 := port(lo, proto)
		b, err2 := port(hi, proto)
		if err1 != nil || err2 != nil {
			return nil, i, fmt.Errorf("bad port range %q", op)
		}
		return append(out, load, firewall.Expr{Op: "range", Cmp: "eq", Sreg: reg, Data: firewall.BE16(a), To: firewall.BE16(b)}), i, nil
	}
	a1, err := port(op, proto)
	if err != nil {
		return nil, i, err
	}
	if r := at(f, i+1); r == "><" || r == "<>" {
		b, err := port(at(f, i+2), proto)
		if err != nil || b < a1+2 && r == "><" {
			return nil, i, fmt.Errorf("bad port range %s %s %s", op, r, at(f, i+2))
		}
		i += 2
		if r == "><" {
			return append(out, load, firewall.Expr{Op: "range", Cmp: "eq", Sreg: reg, Data: firewall.BE16(a1 + 1), To: firewall.BE16(b - 1)}), i, nil
		}
		return append(out, load, firewall.Expr{Op: "range", Cmp: "neq", Sreg: reg, Data: firewall.BE16(a1), To: firewall.BE16(b)}), i, nil
	}
	return append(out, load, firewall.Expr{Op: "cmp", Cmp: "eq", Sreg: reg, Data: firewall.BE16(a1)}), i, nil
}

func addrMatch(p netip.Prefix, dst, neg bool) []firewall.Expr {
	v4 := p.Addr().Is4()
	off := uint32(12)
	nf := byte(2)
	if !v4 {
		off, nf = 8, 10
	}
	if dst {
		off += uint32(p.Addr().BitLen() / 8)
	}
	data := p.Addr().AsSlice()
	mask := make([]byte, len(data))
	for b := 0; b < p.Bits(); b++ {
		mask[b/8] |= 0x80 >> (b % 8)
	}
	n := uint32(len(data))
	// pf's address implies the family: a rule for 192.0.2.0/24 does not
	// match IPv6 packets, negated or not.
	return []firewall.Expr{
		{Op: "meta", Key: "nfproto", Dreg: reg}, firewall.Cmp(reg, false, []byte{nf}),
		{Op: "payload", Base: "network", Offset: off, Len: n, Dreg: reg},
		{Op: "bitwise", Sreg: reg, Dreg: reg, Len: n, Mask: mask, Xor: make([]byte, n)},
		firewall.Cmp(reg, neg, data),
	}
}

// port reads a port number or the service name pfctl prints.
func port(s, proto string) (uint16, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	p := snapshot.TCP
	if proto == "udp" {
		p = snapshot.UDP
	}
	if n, ok := portname.Port(s, p); ok {
		return n, nil
	}
	return 0, fmt.Errorf("unknown port %q", s)
}

var protocols = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "ipv6-icmp": 58, "sctp": 132, "esp": 50, "ah": 51, "gre": 47, "carp": 112, "pfsync": 240}

func tcpFlags(s string) (byte, error) {
	var b byte
	for _, c := range s {
		i := strings.IndexRune("FSRPAUEW", c)
		if i < 0 {
			return 0, fmt.Errorf("unknown tcp flag %q", c)
		}
		b |= 1 << i
	}
	return b, nil
}

func at(f []string, i int) string {
	if i < 0 || i >= len(f) {
		return ""
	}
	return f[i]
}

// fields splits a rule into words, keeping quoted strings whole and
// making "{", "}", "!" and "," words of their own.
func fields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, c := range s {
		switch {
		case c == '"':
			cur.WriteRune(c)
			if inQuote {
				flush()
			}
			inQuote = !inQuote
		case inQuote:
			cur.WriteRune(c)
		case c == ' ' || c == '\t':
			flush()
		case c == '{' || c == '}':
			flush()
			out = append(out, string(c))
		default:
			cur.WriteRune(c)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote")
	}
	flush()
	if slices.Contains(out, "{") {
		return nil, fmt.Errorf("lists in braces (pfctl -sr prints one rule per element)")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty rule")
	}
	return out, nil
}
