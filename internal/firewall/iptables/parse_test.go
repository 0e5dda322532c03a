package iptables

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/golden"
)

func parseFile(t testing.TB, path, family string) *firewall.Ruleset {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse(data, BackendLegacy, family)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rs
}

// TestParseUfwGolden: the whole translation of real ufw rules.
func TestParseUfwGolden(t *testing.T) {
	golden.CheckJSON(t, "testdata/ufw-debian12.iptables-save.golden.json", parseFile(t, "testdata/ufw-debian12.iptables-save", firewall.FamilyIP))
	golden.CheckJSON(t, "testdata/ufw-debian12.ip6tables-save.golden.json", parseFile(t, "testdata/ufw-debian12.ip6tables-save", firewall.FamilyIP6))
}

// TestUfwVerdicts: what ufw (allow 22/tcp, allow 161/udp from
// 192.0.2.0/24, deny 80/tcp, deny incoming) does to each port, from
// anywhere and from one peer.
func TestUfwVerdicts(t *testing.T) {
	v4 := parseFile(t, "testdata/ufw-debian12.iptables-save", firewall.FamilyIP)
	v6 := parseFile(t, "testdata/ufw-debian12.ip6tables-save", firewall.FamilyIP6)
	eth0 := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")}
	for _, c := range []struct {
		rs    *firewall.Ruleset
		proto uint8
		port  uint16
		from  string
		want  firewall.Verdict
		by    string
	}{
		{v4, firewall.ProtoTCP, 22, "", firewall.Open, "-p tcp -m tcp --dport 22 -j ACCEPT"},
		{v6, firewall.ProtoTCP, 22, "", firewall.Open, "-p tcp -m tcp --dport 22 -j ACCEPT"},
		{v4, firewall.ProtoTCP, 80, "", firewall.Blocked, "-p tcp -m tcp --dport 80 -j DROP"},
		{v4, firewall.ProtoTCP, 5432, "", firewall.Blocked, "policy drop"},
		{v4, firewall.ProtoUDP, 161, "", firewall.Partly, ""},
		{v4, firewall.ProtoUDP, 161, "192.0.2.2", firewall.Open, "-s 192.0.2.0/24 -p udp -m udp --dport 161 -j ACCEPT"},
		{v4, firewall.ProtoUDP, 161, "198.51.100.7", firewall.Blocked, "policy drop"},
		{v6, firewall.ProtoUDP, 161, "", firewall.Blocked, "policy drop"},
	} {
		p := firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", IifIndex: 2, IifPrefixes: eth0,
			Daddr: netip.MustParseAddr("192.0.2.1"), Proto: c.proto, Dport: c.port}
		if c.rs == v6 {
			p.Family, p.Daddr = firewall.FamilyIP6, netip.MustParseAddr("2001:db8::1")
		}
		if c.from != "" {
			p.Saddr = netip.MustParseAddr(c.from)
		}
		res := c.rs.Evaluate(p)
		if res.Verdict != c.want {
			t.Errorf("%s %d/%d from %q: %s %v, want %s", p.Family, c.port, c.proto, c.from, res.Verdict, res.Reasons, c.want)
			continue
		}
		if c.by != "" && (res.By == nil || res.By.Text != c.by) {
			t.Errorf("%s %d/%d from %q: decided by %v, want %q", p.Family, c.port, c.proto, c.from, res.By, c.by)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport x -j ACCEPT\nCOMMIT\n", "line 3"},
		{"-A INPUT -j ACCEPT\n", "line 1: rule outside a table"},
		{"*filter\n-A NOPE -j ACCEPT\n", "line 2: rule for an undeclared chain"},
		{"*bogus\n", "line 1: unknown table"},
		{"*filter\n:INPUT DROP [0:0]\n-A INPUT -m comment --comment \"x\n", "unterminated quote"},
	} {
		_, err := Parse([]byte(c.in), BackendLegacy, firewall.FamilyIP)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Parse(%q) = %v, want a SyntaxError with %q", c.in, err, c.msg)
		}
	}
}

// FuzzParse: any input either parses into rules the evaluator can run, or
// fails with a SyntaxError; neither panics.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/ufw-debian12.iptables-save", "testdata/ufw-debian12.ip6tables-save"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -m multiport --dports 1:5,80 -m iprange --src-range 192.0.2.1-192.0.2.9 -m addrtype ! --dst-type LOCAL -j REJECT --reject-with tcp-reset\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(data, BackendLegacy, firewall.FamilyIP)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) && !strings.Contains(err.Error(), "iptables-save output") {
				t.Fatalf("error %v is not a SyntaxError", err)
			}
			return
		}
		rs.Evaluate(firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 22})
	})
}

// TestDNATForward: Docker's classic iptables rules publish 8080 to a
// container: the packet is DNATed in PREROUTING and judged by FORWARD,
// where DOCKER-USER can still drop it.
func TestDNATForward(t *testing.T) {
	const rules = `*nat
:PREROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -j DOCKER
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
%s
COMMIT
`
	p := firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", IifIndex: 2, Daddr: netip.MustParseAddr("198.51.100.1"),
		Proto: firewall.ProtoTCP, Dport: 8080, Local: []netip.Addr{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("172.17.0.1")},
		Routes: []firewall.Route{{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Iface: "eth0", Index: 2}, {Prefix: netip.MustParsePrefix("172.17.0.0/16"), Iface: "docker0", Index: 3}}}
	for _, c := range []struct {
		user string
		want firewall.Verdict
		by   string
	}{
		{"", firewall.Open, "-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT"},
		{"-A DOCKER-USER -i eth0 -j DROP", firewall.Blocked, "-i eth0 -j DROP"},
	} {
		rs, err := Parse([]byte(strings.Replace(rules, "%s", c.user, 1)), BackendLegacy, firewall.FamilyIP)
		if err != nil {
			t.Fatal(err)
		}
		res := rs.Evaluate(p)
		if res.Verdict != c.want || res.DNAT != "172.17.0.2:80" || res.By == nil || res.By.Text != c.by {
			t.Errorf("DOCKER-USER %q: %s via %q by %v, want %s via 172.17.0.2:80 by %q", c.user, res.Verdict, res.DNAT, res.By, c.want, c.by)
		}
	}
	// Port 22 is not published: INPUT's policy decides.
	p.Dport = 22
	rs, _ := Parse([]byte(strings.Replace(rules, "%s", "", 1)), BackendLegacy, firewall.FamilyIP)
	if res := rs.Evaluate(p); res.Verdict != firewall.Blocked || res.DNAT != "" {
		t.Errorf("port 22: %+v", res)
	}
}
