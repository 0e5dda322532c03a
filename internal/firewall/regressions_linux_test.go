package firewall_test

// regressions are fixed rulesets of shapes on which the evaluator once
// gave a definite verdict the kernel contradicted (or could not read the
// ruleset at all); TestKernelOracle runs each against the kernel.
// unknown is how many of a case's 16 listeners may rightly stay without
// an answer.
var regressions = []struct {
	name, nft, legacy4, legacy6, nft6 string
	unknown                           int
}{
	{
		// The kernel binds a netdev chain to its devices; the reader
		// did not read them, so a drop on lo was taken for a drop on
		// every interface: a false all-clear.
		name: "netdev ingress chain on lo",
		nft: `table netdev t {
  chain c { type filter hook ingress device lo priority 0; policy drop; }
}`,
	},
	{
		// An inet table's ingress hook (Linux 5.10) was not named, so
		// its chain was never evaluated: open where the kernel drops.
		name: "inet ingress chain on the test interface",
		nft: `table inet t {
  chain c { type filter hook ingress device "veth-op0" priority 0; policy accept;
    tcp dport { 22, 80 } drop
    udp dport 53 drop
  }
}
table inet u {
  chain c { type filter hook ingress device lo priority 0; policy drop; }
}`,
	},
	{
		// A range of a concatenation bounds each field: 192.0.2.0/24 .
		// 22 does not hold 192.0.2.2 . 80, which lies between its ends
		// as one byte string (a false all-clear for every port).
		name: "concatenated interval set",
		nft: `table inet t {
  set s4 { type ipv4_addr . inet_service; flags interval; elements = { 192.0.2.0/24 . 22, 198.51.100.0/24 . 1-65535 } }
  chain c { type filter hook input priority 0; policy accept;
    ip saddr . tcp dport @s4 drop
    ip6 saddr . tcp dport { 2001:db8::/64 . 22, 2001:db8::/64 . 8000-8100 } drop
    ip saddr . udp dport vmap { 192.0.2.0/25 . 53 : drop, 192.0.2.0/24 . 100-200 : accept }
  }
}`,
	},
	{
		// google/nftables drops expressions it does not know (osf):
		// its cmp then compared the port with "unknown" and never
		// matched, blocked where the kernel, which has no fingerprint
		// loaded and names every SYN's system "unknown", accepts.
		name: "osf match google/nftables does not decode",
		nft: `table inet t {
  chain c { type filter hook input priority 0; policy drop;
    ct state established,related accept
    tcp dport 80 osf name "unknown" accept
  }
}`,
		unknown: 2,
	},
	{
		// notrack before conntrack leaves the packet untracked: ct
		// state untracked matches and new does not.
		name: "notrack in a raw prerouting chain",
		nft: `table inet t {
  chain raw { type filter hook prerouting priority raw; tcp dport { 22, 80 } notrack; }
  chain c { type filter hook input priority 0; policy drop;
    ct state untracked tcp dport 22 accept
    ct state new tcp dport 80 accept
    ct state new tcp dport 443 accept
    udp dport 53 accept
  }
}`,
	},
	{
		// A dormant table's chains are not hooked.
		name: "dormant table",
		nft: `table inet t {
  flags dormant
  chain c { type filter hook input priority 0; policy drop; }
}
table inet u {
  chain c { type filter hook input priority 0; policy accept; tcp dport 22 drop; }
}`,
	},
	{
		// At conntrack's own priority the order of the chain and
		// conntrack depends on which was registered last: ct matches
		// there have no known outcome.
		name: "ct state at priority -200",
		nft: `table inet t {
  chain p { type filter hook prerouting priority -200; policy accept;
    ct state new tcp dport 22 drop
    ct state invalid tcp dport 80 drop
  }
}`,
		unknown: 4,
	},
	{
		// iptables-legacy's NOTRACK and CT --notrack in the raw table.
		name: "iptables-legacy notrack",
		nft:  "",
		legacy4: `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -j CT --notrack
-A PREROUTING -p udp -j NOTRACK
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m conntrack --ctstate UNTRACKED -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 80 -j ACCEPT
-A INPUT -p udp -m state --state UNTRACKED -m udp --dport 53 -j ACCEPT
-A INPUT -p udp -m state --state NEW -m udp --dport 123 -j ACCEPT
COMMIT
`,
	},
	{
		// A data map's elements were decoded as verdicts: the read
		// failed.
		name: "data map",
		nft: `table inet t {
  map m { type inet_service : mark; elements = { 22 : 0x1, 80 : 0x2 } }
  chain c { type filter hook input priority 0; policy accept;
    meta mark set tcp dport map @m
    tcp dport 80 drop
  }
}`,
	},
	{
		// google/nftables reads ct mark set back as a ct load into no
		// register: every listener was unknown.
		name: "ct mark set",
		nft: `table inet t {
  chain c { type filter hook input priority 0; policy accept;
    ct mark set 0x2 tcp dport 22 drop
    ct mark set meta mark udp dport 53 drop
  }
}`,
	},
	{
		// ip6tables' addrtype tests flags, not one type: a local
		// address is UNICAST too (it was taken for LOCAL only, as in
		// IPv4: open where the kernel rejects, and blocked where it
		// lets through). The same rules in ip6tables-legacy and in
		// ip6tables-nft (xtables matches in nftables).
		name: "ip6tables addrtype UNICAST",
		legacy6: `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m addrtype --dst-type UNICAST -m tcp --dport 22 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m addrtype ! --dst-type UNICAST -m tcp --dport 80 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -j DROP
-A INPUT -p udp -m addrtype --dst-type LOCAL,UNICAST -m udp --dport 53 -j DROP
-A INPUT -p tcp -m addrtype --dst-type MULTICAST -m tcp --dport 443 -j DROP
-A INPUT -p udp -m addrtype --dst-type LOCAL,MULTICAST -m udp --dport 123 -j DROP
COMMIT
`,
	},
	{
		// Several types (LOCAL,UNICAST; LOCAL,MULTICAST) stay a
		// condition in the xtables translation: 3 listeners.
		name:    "ip6tables-nft addrtype UNICAST",
		unknown: 3,
		nft6: `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m addrtype --dst-type UNICAST -m tcp --dport 22 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m addrtype ! --dst-type UNICAST -m tcp --dport 80 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -j DROP
-A INPUT -p udp -m addrtype --dst-type LOCAL,UNICAST -m udp --dport 53 -j DROP
-A INPUT -p tcp -m addrtype --dst-type MULTICAST -m tcp --dport 443 -j DROP
-A INPUT -p udp -m addrtype --dst-type LOCAL,MULTICAST -m udp --dport 123 -j DROP
COMMIT
`,
	},
	{
		// The kernel tracks connections only while a rule needs it,
		// and runs no nat chain without: a drop in a nat chain was
		// "blocked" where no rule turns tracking on for IPv4, and the
		// kernel let the packet through. For IPv6 a ct match turns it
		// on, and the drop holds.
		name: "nat chain without connection tracking",
		nft: `table ip t {
  chain nat { type nat hook prerouting priority dstnat; policy accept; tcp dport 22 drop; }
}
table ip6 t6 {
  chain nat { type nat hook prerouting priority dstnat; policy accept; tcp dport 22 drop; }
  chain c { type filter hook input priority 0; policy accept; ct state new counter; }
}`,
		unknown: 1,
	},
	{
		// Two chains at one priority run in an order the ruleset does
		// not show (here the one created last ran first): with a
		// notrack in one and ct state in the other, each order gives
		// another verdict, and listing order was taken for the
		// kernel's (22 "blocked", 80 "open": both wrong here).
		name: "notrack and ct state in chains at one priority",
		nft: `table inet a {
  chain r { type filter hook prerouting priority raw; tcp dport { 22, 80 } notrack; }
}
table inet b {
  chain r { type filter hook prerouting priority raw; policy accept;
    ct state untracked tcp dport 22 drop
    ct state invalid tcp dport 80 drop
  }
}`,
		unknown: 4,
	},
	{
		// ip6tables' ipv6header compares the set of headers present,
		// so "! --header frag" and "--header prot" hold for a packet
		// without extension headers; it was taken for a match that
		// fails on one (open where the kernel drops). -m frag does
		// fail, inverted or not.
		name: "ip6tables ipv6header",
		legacy6: `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m ipv6header ! --header frag -m tcp --dport 22 -j DROP
-A INPUT -p tcp -m ipv6header --header prot -m tcp --dport 80 -j DROP
-A INPUT -p tcp -m ipv6header --soft --header frag,hop -m tcp --dport 443 -j DROP
-A INPUT -p udp -m frag ! --fragid 5 -m udp --dport 53 -j DROP
COMMIT
`,
		unknown: 3,
	},
	{
		// google/nftables cannot decode a ct key with a direction
		// (ct original ...): the whole read failed, for a rule in a
		// chain no inbound packet meets. Now that chain alone is
		// unknown.
		name: "ct original in an output chain",
		nft: `table inet t {
  chain out { type filter hook output priority 0; policy accept; ct original ip daddr 192.0.2.2 counter; }
  chain c { type filter hook input priority 0; policy accept; tcp dport 22 drop; }
}`,
	},
	{
		name: "ct original in an input chain",
		nft: `table inet t {
  chain c { type filter hook input priority 0; policy accept; ct original ip daddr 192.0.2.1 tcp dport 22 drop; }
}`,
		unknown: 16,
	},
}
