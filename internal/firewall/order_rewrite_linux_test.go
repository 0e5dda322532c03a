package firewall_test

import (
	"net/netip"
	"os/exec"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/testenv"
)

// TestSamePriorityRewrite: two input chains at one priority, one that
// drops a source and one that rewrites the source (a payload statement,
// which the evaluator does not model). The kernel may run the rewrite
// first, and the drop then misses the packet: the verdict is not blocked.
// An unmodelled statement of any kind may likewise change what the other
// chain sees.
func TestSamePriorityRewrite(t *testing.T) {
	cases := []struct {
		name, rewrite string
		iptables      []string // a rule added with iptables-nft instead: its filter INPUT is at priority 0 too
	}{
		{name: "payload rewrite", rewrite: "tcp dport 80 ip saddr set 192.0.2.50"},
		{name: "tcp option rewrite", rewrite: "tcp dport 80 tcp option maxseg size set 1000"},
		{name: "xtables target", iptables: []string{"-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "CONNMARK", "--set-mark", "1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := testenv.New(t)
			o := &oracle{env: env}
			text := `table ip a {
	chain c {
		type filter hook input priority 0; policy accept;
		ip saddr 198.51.100.0/24 tcp dport 80 drop
	}
}
table ip b {
	chain c {
		type filter hook input priority 0; policy accept;
		` + tc.rewrite + `
	}
}
`
			if err := o.load(t, text); err != nil {
				t.Skipf("%v", err)
			}
			if tc.iptables != nil {
				if _, err := exec.LookPath("iptables-nft"); err != nil {
					t.Skip("iptables-nft not installed")
				}
				env.NS.Run(t, "iptables-nft", tc.iptables...)
			}
			rs, err := nft.ReadPath(env.NS.NetNSPath())
			if err != nil {
				t.Fatal(err)
			}
			res := rs.Evaluate(firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", Saddr: netip.MustParseAddr("198.51.100.7"),
				Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 80})
			t.Logf("%+v", res)
			if res.Verdict == firewall.Blocked {
				t.Errorf("blocked: the chain with the statement not modelled may run first and change what the drop sees")
			}
		})
	}
}
