package pf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/golden"
)

func TestParseGolden(t *testing.T) {
	golden.CheckCorpusJSON(t, "testdata/*.pfctl-sr", func(t *testing.T, name string, data []byte) any {
		if !Detect(data) {
			t.Errorf("%s: not detected", name)
		}
		rs, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rs
	})
}

// TestVerdicts: pf's last-match-wins and quick, on real rules.
func TestVerdicts(t *testing.T) {
	for _, c := range []struct {
		file  string
		iif   string
		proto uint8
		port  uint16
		want  firewall.Verdict
		by    string
	}{
		{"openbsd-default", "em0", firewall.ProtoTCP, 22, firewall.Open, "pass all flags S/SA"},
		{"openbsd-default", "em0", firewall.ProtoUDP, 53, firewall.Open, "pass all flags S/SA"},
		{"openbsd-default", "em0", firewall.ProtoTCP, 6001, firewall.Blocked, "block return in on ! lo0 proto tcp from any to any port 6000:6010"},
		{"openbsd-default", "lo0", firewall.ProtoTCP, 6001, firewall.Open, "pass all flags S/SA"},
		{"openbsd-default", "", firewall.ProtoTCP, 6001, firewall.Partly, ""}, // depends on the interface
		{"openbsd-default", "", firewall.ProtoTCP, 22, firewall.Open, "pass all flags S/SA"},
		{"openbsd-web", "", firewall.ProtoTCP, 443, firewall.Open, "pass in proto tcp from any to any port = 443 flags S/SA"},
		{"openbsd-web", "vio0", firewall.ProtoTCP, 3306, firewall.Blocked, "block return all"},
		{"openbsd-web", "vio0", firewall.ProtoUDP, 53, firewall.Blocked, "block return all"},
	} {
		data, err := os.ReadFile("testdata/" + c.file + ".pfctl-sr")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, fam := range []struct {
			family string
			addr   string
		}{{firewall.FamilyIP, "192.0.2.1"}, {firewall.FamilyIP6, "2001:db8::1"}} {
			res := rs.Evaluate(firewall.Packet{Family: fam.family, Iif: c.iif, Daddr: netip.MustParseAddr(fam.addr), Proto: c.proto, Dport: c.port})
			if res.Verdict != c.want {
				t.Errorf("%s on %q %s %d/%d: %s %v, want %s", c.file, c.iif, fam.family, c.port, c.proto, res.Verdict, res.Reasons, c.want)
				continue
			}
			if c.by != "" && (res.By == nil || res.By.Text != c.by) {
				t.Errorf("%s on %q %d: decided by %v, want %q", c.file, c.iif, c.port, res.By, c.by)
			}
		}
	}
}

func TestQuickAndAnchors(t *testing.T) {
	rs, err := Parse([]byte("pass in quick on em0 proto tcp from any to any port = 22\nblock drop in all\nanchor \"relayd/*\" all\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := firewall.Packet{Family: firewall.FamilyIP, Iif: "em0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 22}
	if res := rs.Evaluate(p); res.Verdict != firewall.Unknown || !strings.Contains(fmt.Sprint(res.Reasons), "anchor") {
		t.Errorf("with an anchor: %s %v, want unknown because of the anchor", res.Verdict, res.Reasons)
	}
	rs, err = Parse([]byte("pass in quick on em0 proto tcp from any to any port = 22\nblock drop in all\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res := rs.Evaluate(p); res.Verdict != firewall.Open {
		t.Errorf("quick pass before a later block: %s, want open", res.Verdict)
	}
	p.Iif = "em1"
	if res := rs.Evaluate(p); res.Verdict != firewall.Blocked {
		t.Errorf("on em1: %s, want blocked", res.Verdict)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"frobnicate in all\n", "pass in on\n", "pass in proto tcp from any to any port = nosuchservice\n", "pass in from 300.1.1.1 to any\n", "pass in proto { tcp udp } all\n"} {
		_, err := Parse([]byte(in))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != 1 {
			t.Errorf("Parse(%q) = %v, want a SyntaxError on line 1", in, err)
		}
	}
}

// FuzzParse: any input parses or fails with a SyntaxError, and what parses
// can be evaluated.
func FuzzParse(f *testing.F) {
	golden.AddCorpus(f, "testdata/*.pfctl-sr")
	f.Add([]byte("pass in log (all) quick inet proto tcp from ! 192.0.2.0/24 to any port 8080:8090 flags S/SA keep state (if-bound) label \"web alt\"\n"))
	f.Add([]byte("block return-rst in quick on ! ena0 proto tcp from any to any port 1000 >< 2000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) && !strings.Contains(err.Error(), "pfctl -sr output") {
				t.Fatalf("error %v is not a SyntaxError", err)
			}
			return
		}
		rs.Evaluate(firewall.Packet{Family: firewall.FamilyIP, Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 22})
	})
}
