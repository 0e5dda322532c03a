package firewall_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/testenv"
)

// Two rulesets that both drop tcp port 8080, each in the other table;
// the table without the rule is dormant. A read joining dumps of both
// (one table's flags from one, the rules from the other) sees no drop.
var swapRulesets = [2]string{`table ip t1 {
	flags dormant
	chain c { type filter hook input priority 0; policy accept; }
}
table ip t2 {
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 8080 drop
	}
}
`, `table ip t1 {
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 8080 drop
	}
}
table ip t2 {
	flags dormant
	chain c { type filter hook input priority 0; policy accept; }
}
`}

// TestReadWhileSwapped reads the ruleset while another process replaces
// it atomically, again and again, with one of two that both block the
// port: no read may call the port open (a mix of the two); a read that
// kept changing is an error (the backend unread), never a verdict.
func TestReadWhileSwapped(t *testing.T) {
	env := testenv.New(t)
	o := &oracle{env: env}
	pkt := firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 8080}
	for i, text := range swapRulesets {
		if err := o.load(t, text); err != nil {
			t.Skipf("ruleset %d: %v", i, err)
		}
		rs, err := nft.ReadPath(env.NS.NetNSPath())
		if err != nil {
			t.Fatalf("ruleset %d: %v", i, err)
		}
		if v := rs.Evaluate(pkt).Verdict; v != firewall.Blocked {
			t.Fatalf("ruleset %d read alone: %s, want blocked", i, v)
		}
	}
	const reads, maxSwaps = 3000, 150
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	swaps := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel() // the reads stop with the swaps
		for i := 0; i < maxSwaps && ctx.Err() == nil; i++ {
			if err := o.load(t, swapRulesets[i%2]); err != nil {
				if ctx.Err() == nil {
					t.Errorf("swap %d: %v", i, err)
				}
				return
			}
			swaps++
		}
	}()
	var open, blocked, unread, other int
	for i := 0; i < reads && ctx.Err() == nil; i++ {
		rs, err := nft.ReadPath(env.NS.NetNSPath())
		if err != nil {
			unread++
			continue
		}
		switch rs.Evaluate(pkt).Verdict {
		case firewall.Open:
			open++
		case firewall.Blocked:
			blocked++
		default:
			other++
		}
	}
	cancel()
	wg.Wait()
	t.Logf("%d swaps; reads: %d blocked, %d unknown or partly, %d unread (changed during each try), %d open", swaps, blocked, other, unread, open)
	if open > 0 {
		t.Errorf("%d reads called tcp 8080 open; both rulesets drop it", open)
	}
}
