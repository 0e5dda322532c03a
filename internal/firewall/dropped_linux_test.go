package firewall_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/testenv"
)

// TestDroppedExpressions loads rules whose matches google/nftables does
// not decode (osf, socket) and drops silently: read without them, "tcp
// dport 80 osf name Linux drop" was "tcp dport 80 drop", a definite
// blocked that the kernel does not honour for other systems.
func TestDroppedExpressions(t *testing.T) {
	o := newOracle(t)
	for _, c := range []struct {
		name, nft string
	}{
		{"osf", `table inet t {
  chain c { type filter hook input priority 0; policy accept;
    tcp dport 80 osf name "Linux" drop
  }
}`},
		{"socket", `table inet t {
  chain c { type filter hook input priority 0; policy accept;
    tcp dport 80 socket transparent 1 drop
  }
}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := o.load(t, c.nft); err != nil {
				t.Fatal(err)
			}
			rs := o.read(t, c.name)
			for _, tc := range []struct {
				port uint16
				want firewall.Verdict
			}{{80, firewall.Unknown}, {22, firewall.Open}} {
				p := firewall.Packet{Family: firewall.FamilyIP, Iif: testenv.VethMain, IifIndex: o.ifindex,
					IifPrefixes: []netip.Prefix{netip.PrefixFrom(testenv.MainAddr4, 24)},
					Daddr:       testenv.MainAddr4, Saddr: testenv.PeerAddr4, Proto: firewall.ProtoTCP, Dport: tc.port}
				if got := rs.Evaluate(p); got.Verdict != tc.want {
					t.Errorf("tcp dport %d: %s %v, want %s", tc.port, got.Verdict, got.Reasons, tc.want)
				}
			}
		})
	}
}

// BenchmarkReadRules reads a ruleset of 400 rules, the cost of Read with
// its second dump of every rule for the expressions google/nftables drops.
func BenchmarkReadRules(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	env := testenv.New(b)
	var text strings.Builder
	text.WriteString("table inet t {\n chain c { type filter hook input priority 0; policy accept;\n")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&text, "  ip saddr 192.0.2.%d tcp dport %d ct state new counter drop\n", i%250+1, 1000+i)
	}
	text.WriteString(" }\n}\n")
	cmd := env.NS.Command(context.Background(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(text.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("nft -f: %v: %s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nft.ReadPath(env.NS.NetNSPath()); err != nil {
			b.Fatal(err)
		}
	}
}
