package firewall_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The ports the differential test listens on (dual-stack, in the test
// namespace) and the ones generated rules also name without a listener.
var (
	tcpPorts   = []uint16{22, 80, 443, 3306, 8080}
	udpPorts   = []uint16{53, 123, 161}
	otherPorts = []uint16{25, 8443, 9999}
)

// generator writes random but valid nft rulesets from a seeded source:
// the same seed gives the same rulesets.
type generator struct {
	r *rand.Rand
	// unknowns counts rules drawn from the matches the evaluator does not
	// model; they are kept rare so that most cases get an answer.
	sets   []string
	chains []string
	// concat4 are the table's interval sets of ipv4_addr . inet_service.
	concat4 []string
	// family is the family of the table being written.
	family string
}

func (g *generator) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *generator) port() uint16 {
	all := append(append(append([]uint16{}, tcpPorts...), udpPorts...), otherPorts...)
	return all[g.r.IntN(len(all))]
}

func (g *generator) ports(n int) string {
	seen := map[uint16]bool{}
	var out []string
	for range n {
		p := g.port()
		if !seen[p] {
			seen[p] = true
			out = append(out, fmt.Sprint(p))
		}
	}
	return strings.Join(out, ", ")
}

// portRange is a port range written for a concatenation: "22-80", or one
// port.
func (g *generator) portRange() string {
	if g.r.IntN(3) == 0 {
		return fmt.Sprint(g.port())
	}
	lo := 20 + g.r.IntN(400)
	return fmt.Sprintf("%d-%d", lo, lo+g.r.IntN(9000))
}

// lowHigh are two port ranges that do not overlap (below and above
// 1000): elements of one concatenation must not.
func (g *generator) lowHigh() (string, string) {
	a := 20 + g.r.IntN(400)
	b := 1000 + g.r.IntN(4000)
	return fmt.Sprintf("%d-%d", a, a+g.r.IntN(980-a)), fmt.Sprintf("%d-%d", b, b+g.r.IntN(6000))
}

// verdict is a terminal or jumping verdict allowed in a chain of hook
// (reject only in input).
func (g *generator) verdict(hook, l4 string, jumps bool) string {
	vs := []string{"accept", "drop", "accept", "drop"}
	if hook == "input" {
		vs = append(vs, "reject", map[string]string{
			"inet": "reject with icmpx type admin-prohibited",
			"ip":   "reject with icmp type admin-prohibited",
			"ip6":  "reject with icmpv6 type admin-prohibited",
		}[g.family])
		if l4 == "tcp" {
			vs = append(vs, "reject with tcp reset")
		}
	}
	if jumps && len(g.chains) > 0 {
		c := g.chains[g.r.IntN(len(g.chains))]
		vs = append(vs, "jump "+c, "goto "+c)
	}
	v := vs[g.r.IntN(len(vs))]
	if v == "reject with tcp reset" {
		return "meta l4proto tcp " + v
	}
	return v
}

// match is one random match expression (possibly empty).
// l4 is the rule's transport protocol and net its network family ("ip",
// "ip6" or "" for either): nft refuses a rule that names two.
func (g *generator) match(family, l4, net string) string {
	v4 := family == "ip" || net == "ip"
	v6 := family == "ip6" || net == "ip6"
	var ms []string
	ms = append(ms,
		fmt.Sprintf("%s dport %d", l4, g.port()),
		fmt.Sprintf("%s dport { %s }", l4, g.ports(3)),
		fmt.Sprintf("th dport %d", g.port()),
		fmt.Sprintf("%s dport %d-%d", l4, 20+g.r.IntN(80), 100+g.r.IntN(9000)),
		fmt.Sprintf("%s dport != %d", l4, g.port()),
		"meta l4proto "+l4,
		"ct state established,related",
		"ct state new",
		"ct state invalid",
		"iifname \""+g.pick("veth-op0", "eth9", "veth-op*")+"\"",
		"iifname != \"veth-op0\"",
		"iif lo",
		"fib daddr type local",
		"fib daddr type "+g.pick("broadcast", "multicast"),
		"meta pkttype host",
	)
	if l4 == "tcp" {
		ms = append(ms, "tcp flags syn", "tcp flags & (syn|ack) == syn", "tcp flags & (fin|syn|rst|ack) != syn")
	}
	ms = append(ms,
		"ct state untracked",
		"ct state { new, untracked }",
		"ct direction original",
		"iifname { \"veth*\", \"lo\" }",
		"iifname \"vet*\"",
		"meta l4proto != { 1, 58 }",
	)
	if family == "inet" && net == "" {
		ms = append(ms, "meta nfproto "+g.pick("ipv4", "ipv6"))
	}
	if v4 {
		ms = append(ms,
			"ip saddr "+g.pick("192.0.2.0/24", "198.51.100.0/24", "192.0.2.2", "192.0.2.128/25"),
			"ip saddr != 192.0.2.0/24",
			"ip daddr "+g.pick("192.0.2.1", "198.51.100.1", "192.0.2.0/24"),
			"ip saddr { 198.51.100.7, 192.0.2.0/26 }",
			// A mask that is no prefix: bytes 2 and 4 of the peer's 192.0.2.2.
			"ip saddr & 0.255.0.255 "+g.pick("== 0.0.0.2", "== 0.0.0.3", "!= 0.0.0.2"),
			fmt.Sprintf("ip saddr . %s dport { 192.0.2.2 . %d, 198.51.100.1 . %d }", l4, g.port(), g.port()),
			// Ranges in concatenations: each field is bounded on its own.
			fmt.Sprintf("ip saddr . %s dport { %s . %s, 198.51.100.0/24 . 1-65535 }", l4, g.pick("192.0.2.0/24", "192.0.2.0/31", "192.0.2.128/25"), g.portRange()),
			"ip protocol "+l4,
		)
		for _, s := range g.concat4 {
			ms = append(ms, fmt.Sprintf("ip saddr . %s dport @%s", l4, s))
		}
	}
	if v6 {
		ms = append(ms,
			"ip6 saddr "+g.pick("2001:db8::/64", "2001:db8:1::/48", "2001:db8::2"),
			"ip6 daddr "+g.pick("2001:db8::1", "2001:db8::99"),
			"ip6 saddr != 2001:db8::/64",
			fmt.Sprintf("ip6 saddr . %s dport { %s . %s }", l4, g.pick("2001:db8::/64", "2001:db8::/127", "2001:db8:1::/48"), g.portRange()),
			"ip6 nexthdr "+l4,
		)
	}
	for _, s := range g.sets {
		ms = append(ms, fmt.Sprintf("%s dport @%s", l4, s))
	}
	// Matches the evaluator does not model: rare.
	if g.r.IntN(100) < 3 {
		return g.pick("meta mark 0x1", "limit rate 3/second", "ct mark 0x2", "meta skuid 0", "ct status dnat", "fib daddr . iif type local")
	}
	return ms[g.r.IntN(len(ms))]
}

// rule is one random rule of a chain.
func (g *generator) rule(family, hook string, jumps bool) string {
	var parts []string
	l4 := g.pick("tcp", "udp")
	net := ""
	if family == "inet" {
		net = g.pick("", "", "ip", "ip6")
	}
	if g.r.IntN(4) == 0 {
		parts = append(parts, "counter")
	}
	if g.r.IntN(12) == 0 {
		// Statements that change the packet's marks, not its fate.
		parts = append(parts, g.pick("meta mark set 0x1", "ct mark set 0x2", "meta mark set "+l4+" dport map { 22 : 0x1, 80 : 0x2 }"))
	}
	for range g.r.IntN(3) + 1 {
		parts = append(parts, g.match(family, l4, net))
	}
	if g.r.IntN(8) == 0 {
		// A verdict map on the destination port.
		var elems []string
		seen := map[uint16]bool{}
		for range 3 {
			p := g.port()
			if !seen[p] {
				seen[p] = true
				v := g.verdict(hook, l4, jumps)
				if strings.Contains(v, "reject") {
					v = "drop" // a map holds verdicts; reject is a statement
				}
				elems = append(elems, fmt.Sprintf("%d : %s", p, v))
			}
		}
		return strings.Join(parts[:len(parts)-1], " ") + fmt.Sprintf(" %s dport vmap { %s }", l4, strings.Join(elems, ", "))
	}
	if (family == "ip" || net == "ip") && g.r.IntN(12) == 0 {
		// A verdict map on a concatenation with ranges.
		v1, v2 := g.verdict(hook, l4, jumps), g.verdict(hook, l4, jumps)
		if strings.Contains(v1, "reject") {
			v1 = "drop"
		}
		if strings.Contains(v2, "reject") {
			v2 = "accept"
		}
		lo, hi := g.lowHigh()
		return strings.Join(parts[:len(parts)-1], " ") + fmt.Sprintf(" ip saddr . %s dport vmap { 192.0.2.0/25 . %s : %s, 192.0.2.0/24 . %s : %s }", l4, lo, v1, hi, v2)
	}
	if g.r.IntN(10) == 0 {
		// A rule without a verdict: a counter or log that changes nothing.
		return strings.Join(parts, " ") + " log prefix \"x \""
	}
	if strings.Contains(strings.Join(parts, " "), "established") {
		// A rule for established packets judges the handshake's later
		// packets, which the evaluator (it answers for a connection's
		// first packet) does not; a reject there would reset the probe's
		// connection right after the SYN-ACK that proves the first
		// packet got in. Accept or drop leave the proof intact.
		return strings.Join(parts, " ") + " " + g.pick("accept", "drop")
	}
	return strings.Join(parts, " ") + " " + g.verdict(hook, l4, jumps)
}

// ruleset is one random ruleset in nft -f syntax.
func (g *generator) ruleset() string {
	var b strings.Builder
	g.sets, g.chains = nil, nil
	tables := []string{"inet"}
	if g.r.IntN(3) == 0 {
		tables = append(tables, g.pick("ip", "ip6"))
	}
	for ti, family := range tables {
		fmt.Fprintf(&b, "table %s t%d {\n", family, ti)
		g.family = family
		if g.r.IntN(20) == 0 {
			b.WriteString("  flags dormant\n") // its chains are not hooked
		}
		g.sets, g.chains, g.concat4 = nil, nil, nil
		if family != "ip6" && g.r.IntN(4) == 0 {
			g.concat4 = append(g.concat4, "pairs")
			lo, hi := g.lowHigh()
			fmt.Fprintf(&b, "  set pairs { type ipv4_addr . inet_service; flags interval; elements = { %s . %s, %s . %s } }\n",
				g.pick("192.0.2.0/24", "192.0.2.0/30", "192.0.2.64/26"), lo, g.pick("198.51.100.0/24", "192.0.2.2"), hi)
		}
		if g.r.IntN(2) == 0 {
			g.sets = append(g.sets, "ports")
			fmt.Fprintf(&b, "  set ports { type inet_service; elements = { %s } }\n", g.ports(3))
		}
		if g.r.IntN(3) == 0 {
			g.sets = append(g.sets, "ranges")
			lo := 20 + g.r.IntN(400)
			fmt.Fprintf(&b, "  set ranges { type inet_service; flags interval; auto-merge; elements = { %d-%d, %d } }\n", lo, lo+g.r.IntN(200), g.port())
		}
		for i := range g.r.IntN(3) {
			name := fmt.Sprintf("sub%d", i)
			fmt.Fprintf(&b, "  chain %s {\n", name)
			for range g.r.IntN(4) + 1 {
				r := g.rule(family, "input", false)
				if g.r.IntN(6) == 0 {
					r = g.match(family, "tcp", "") + " return"
				}
				fmt.Fprintf(&b, "    %s\n", r)
			}
			b.WriteString("  }\n")
			g.chains = append(g.chains, name)
		}
		if g.r.IntN(4) == 0 {
			// Named priorities on either side of conntrack (-200),
			// and any other.
			prio := []int{-300, -150, -100, 0, -300 + g.r.IntN(300)}[g.r.IntN(5)]
			if prio == -200 {
				prio = -199
			}
			fmt.Fprintf(&b, "  chain pre {\n    type filter hook prerouting priority %d; policy accept;\n", prio)
			if g.r.IntN(2) == 0 {
				// notrack before conntrack leaves the packet untracked;
				// after it, it does nothing.
				fmt.Fprintf(&b, "    %s notrack\n", g.pick(fmt.Sprintf("tcp dport { %s }", g.ports(3)), fmt.Sprintf("udp dport { %s }", g.ports(3)), "meta l4proto { tcp, udp }"))
			}
			for range g.r.IntN(3) + 1 {
				fmt.Fprintf(&b, "    %s\n", g.rule(family, "prerouting", false))
			}
			b.WriteString("  }\n")
		}
		if family == "inet" && g.r.IntN(8) == 0 {
			g.ingress(&b, "inet")
		}
		if g.r.IntN(8) == 0 {
			// A nat chain with filtering rules: it runs only while
			// connection tracking is on for the family.
			b.WriteString("  chain nat {\n    type nat hook prerouting priority dstnat; policy accept;\n")
			for range g.r.IntN(2) + 1 {
				fmt.Fprintf(&b, "    %s\n", g.rule(family, "prerouting", false))
			}
			b.WriteString("  }\n")
		}
		for i := range g.r.IntN(2) + 1 {
			fmt.Fprintf(&b, "  chain in%d {\n    type filter hook input priority %d; policy %s;\n", i, -20+g.r.IntN(40), g.pick("accept", "drop"))
			for range g.r.IntN(7) + 1 {
				fmt.Fprintf(&b, "    %s\n", g.rule(family, "input", true))
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	if g.r.IntN(8) == 0 {
		b.WriteString("table netdev n {\n")
		g.ingress(&b, "netdev")
		b.WriteString("}\n")
	}
	return b.String()
}

// ingress writes an ingress chain of a netdev or inet table, bound to the
// test interface or to lo, with matches that hook allows (no ct, no fib,
// no nfproto in netdev).
func (g *generator) ingress(b *strings.Builder, family string) {
	dev := g.pick(`"veth-op0"`, "lo")
	fmt.Fprintf(b, "  chain ing {\n    type filter hook ingress device %s priority %d; policy %s;\n", dev, -10+g.r.IntN(20), g.pick("accept", "accept", "drop"))
	for range g.r.IntN(4) + 1 {
		l4 := g.pick("tcp", "udp")
		var ms []string
		for range g.r.IntN(2) + 1 {
			ms = append(ms, g.pick(
				fmt.Sprintf("%s dport %d", l4, g.port()),
				fmt.Sprintf("%s dport { %s }", l4, g.ports(3)),
				fmt.Sprintf("th dport %d", g.port()),
				"iifname \"veth-op0\"",
				"ip saddr "+g.pick("192.0.2.0/24", "198.51.100.0/24"),
				"ip6 saddr "+g.pick("2001:db8::/64", "2001:db8:1::/48"),
				"meta l4proto "+l4,
			))
		}
		// A rule naming both families matches neither: nft refuses it.
		text := strings.Join(ms, " ")
		if strings.Contains(text, "ip saddr") && strings.Contains(text, "ip6 saddr") {
			text = ms[0]
		}
		fmt.Fprintf(b, "    %s %s\n", text, g.pick("accept", "drop", "drop"))
	}
	b.WriteString("  }\n")
}

// legacy is a random iptables-save text (raw and filter tables) for
// iptables-legacy-restore (family ip) or ip6tables-legacy-restore (ip6).
func (g *generator) legacy(family string) string {
	var b strings.Builder
	b.WriteString("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, "-A PREROUTING -p %s -m multiport --dports %s %s\n", g.pick("tcp", "udp"), strings.ReplaceAll(g.ports(3), " ", ""), g.pick("-j CT --notrack", "-j NOTRACK"))
	}
	b.WriteString("COMMIT\n*filter\n")
	fmt.Fprintf(&b, ":INPUT %s [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", g.pick("ACCEPT", "ACCEPT", "DROP"))
	sub := g.r.IntN(2) == 0
	if sub {
		b.WriteString(":sub - [0:0]\n")
	}
	src, other := "192.0.2.0/24", "198.51.100.0/24"
	reject, addrtype, exthdr := "icmp-port-unreachable", "BROADCAST", "-m pkttype --pkt-type unicast"
	if family == "ip6" {
		// ip6tables has no broadcast address type; its extension
		// header matches fail on a packet without the header.
		src, other, reject, addrtype = "2001:db8::/64", "2001:db8:1::/48", "icmp6-port-unreachable", "UNICAST"
		exthdr = g.pick("-m frag ! --fragid 5", "-m rt --rt-type 0", "-m hbh ! --hbh-len 8")
	}
	rule := func(chain string, jumps bool) string {
		l4 := g.pick("tcp", "udp")
		var ms []string
		kinds := map[string]bool{}
		for range g.r.IntN(3) + 1 {
			m := g.pick(
				fmt.Sprintf("-p %s -m %s --dport %d", l4, l4, g.port()),
				fmt.Sprintf("-p %s -m %s ! --dport %d", l4, l4, g.port()),
				fmt.Sprintf("-p %s -m %s --dport %d:%d", l4, l4, 20+g.r.IntN(80), 100+g.r.IntN(9000)),
				fmt.Sprintf("-p %s -m multiport --dports %s", l4, strings.ReplaceAll(g.ports(3), " ", "")),
				"-s "+g.pick(src, other),
				"! -s "+src,
				"-i "+g.pick("veth-op0", "veth+", "lo", "eth+"),
				"! -i lo",
				"-m conntrack --ctstate "+g.pick("NEW", "UNTRACKED", "NEW,UNTRACKED", "INVALID", "RELATED,ESTABLISHED"),
				"-m state --state "+g.pick("NEW", "UNTRACKED"),
				"-m addrtype --dst-type "+g.pick("LOCAL", addrtype, "MULTICAST"),
				"-m pkttype --pkt-type "+g.pick("unicast", "broadcast"),
				exthdr,
				fmt.Sprintf("-p tcp -m tcp %s", g.pick("--syn", "! --syn", "--tcp-flags SYN,ACK SYN", "--tcp-flags FIN,SYN,RST,ACK SYN")),
			)
			// iptables refuses an option twice (-p, -s, -i, a
			// match's): one of each kind a rule.
			kind := strings.Fields(strings.TrimPrefix(m, "! "))[0]
			if kind == "-m" {
				kind = strings.Fields(strings.TrimPrefix(m, "! "))[1]
			}
			if strings.Contains(m, "-p ") {
				kind = "-p"
			}
			if !kinds[kind] {
				kinds[kind] = true
				ms = append(ms, m)
			}
		}
		text := strings.Join(ms, " ")
		if strings.Contains(text, "ESTABLISHED") {
			return "-A " + chain + " " + text + " -j " + g.pick("ACCEPT", "DROP")
		}
		targets := []string{"ACCEPT", "DROP", "ACCEPT", "DROP", "REJECT --reject-with " + reject, "LOG --log-prefix x"}
		if strings.Contains(text, "-p tcp") {
			targets = append(targets, "REJECT --reject-with tcp-reset")
		}
		if jumps {
			targets = append(targets, "sub")
		} else {
			targets = append(targets, "RETURN")
		}
		t := targets[g.r.IntN(len(targets))]
		op := "-j"
		if t == "sub" && g.r.IntN(2) == 0 {
			op = "-g"
		}
		return "-A " + chain + " " + text + " " + op + " " + t
	}
	if sub {
		for range g.r.IntN(3) + 1 {
			b.WriteString(rule("sub", false) + "\n")
		}
	}
	for range g.r.IntN(5) + 1 {
		b.WriteString(rule("INPUT", sub) + "\n")
	}
	b.WriteString("COMMIT\n")
	return b.String()
}
