package firewall

import (
	"net/netip"
	"testing"
)

// A verdict map whose data type was not read (verdicts=false in nft.Set:
// elements carry Data, no Verdict) must not be a match without a verdict.
func TestVerdictMapWithoutVerdicts(t *testing.T) {
	rs := &Ruleset{Backends: []string{"nftables"},
		Chains: []Chain{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "in", Hook: "input", Policy: "accept",
			Rules: []Rule{{Handle: 1, Exprs: []Expr{
				{Op: "payload", Base: "transport", Offset: 2, Len: 2, Dreg: 1},
				{Op: "lookup", Sreg: 1, Set: "m", Map: true},
			}}}}},
		Sets: []Set{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "m", Map: true,
			Elements: []Element{{Key: Bytes{0, 80}, Data: Bytes{0, 0, 0, 0}}}}}}
	res := rs.Evaluate(Packet{Family: FamilyIP, Iif: "eth0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: ProtoTCP, Dport: 80})
	t.Logf("%+v", res)
	if res.Verdict == Open {
		t.Errorf("open: a vmap element without a verdict was read as a match that decides nothing")
	}
}
