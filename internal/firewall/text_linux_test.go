package firewall_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/testenv"
)

// TestTextOfKernelRules loads rules into nftables in a test namespace,
// reads them back over netlink and checks the text a person is shown for
// each. nft loads every address of a rule into the same register (a prefix that is not whole bytes through a mask): a mask
// of an earlier address must not be printed on a later one, and a mask
// that is no prefix must be printed, never left out (which would read as
// one address).
func TestTextOfKernelRules(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed: run scripts/test-deps.sh")
	}
	env := testenv.New(t)
	const rules = `table ip t {
 chain in {
  type filter hook input priority filter; policy accept;
  ip saddr 10.16.0.0/12 ip daddr 192.0.2.1 tcp dport 22 accept
  ip daddr & 255.0.255.0 == 198.0.100.0 tcp dport 8080 drop
  ip daddr & 255.0.255.0 != 198.0.100.0 drop
 }
}
`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := env.NS.Command(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		if env.Mode == testenv.ModeUserNS {
			t.Skipf("nft refused in a user namespace: %v: %s", err, out)
		}
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	rs, err := nft.ReadPath(env.NS.NetNSPath())
	if err != nil {
		if env.Mode == testenv.ModeUserNS {
			t.Skipf("reading nftables of a namespace made in a user namespace: %v", err)
		}
		t.Fatal(err)
	}
	var got []string
	for _, c := range rs.Chains {
		for _, r := range c.Rules {
			got = append(got, r.Text)
		}
	}
	want := []string{
		"ip saddr 10.16.0.0/12 ip daddr 192.0.2.1 meta l4proto tcp th dport 22 accept",
		"ip daddr & 255.0.255.0 == 198.0.100.0 meta l4proto tcp th dport 8080 drop",
		"ip daddr & 255.0.255.0 != 198.0.100.0 drop",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rule texts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
