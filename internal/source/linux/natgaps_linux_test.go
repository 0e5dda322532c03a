package linux

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/source/linux/natrules"
	"github.com/openports/openports/internal/testenv"
)

// TestNATUndecodedGap: a nat chain google/nftables cannot decode (a ct
// match with a direction) holds two DNAT rules; the collector must write
// a published gap naming the chain, not list no published port and no
// gap (the chain read as one rule without a verdict).
func TestNATUndecodedGap(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed: run make test-deps")
	}
	env := testenv.New(t)
	cmd := env.NS.Command(context.Background(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table ip n {
	chain pre {
		type nat hook prerouting priority -100;
		tcp dport 8081 dnat to 192.0.2.3:80
		ct original ip saddr 10.0.0.0/8 tcp dport 8080 dnat to 192.0.2.2:80
	}
}
`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nft: %v: %s", err, out)
	}
	fw, err := nft.ReadPath(env.NS.NetNSPath())
	if err != nil {
		t.Fatal(err)
	}
	rulesets := natrules.Rulesets(fw)
	pub := published(rulesets)
	gaps := natGaps(fw, rulesets)
	t.Logf("%d published, gaps %+v", len(pub), gaps)
	if len(pub) == 2 {
		t.Skip("this google/nftables decodes the chain")
	}
	if len(gaps) != 1 || gaps[0].Area != "published" || gaps[0].Reason != "nat-unreadable" || !strings.Contains(gaps[0].Args["error"], "ip n chain pre") {
		t.Errorf("%d published and gaps %+v; want one published/nat-unreadable naming ip n chain pre", len(pub), gaps)
	}
}
