package nft

import (
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// TestHonest checks where honest puts the expressions google/nftables
// dropped, and that a rule it cannot match with the kernel's dump is not
// taken as whole. (The kernel path: firewall's TestDroppedExpressions.)
func TestHonest(t *testing.T) {
	tbl := &nftables.Table{Name: "t", Family: nftables.TableFamilyINet}
	r := &nftables.Rule{Table: tbl, Chain: &nftables.Chain{Name: "c"}, Handle: 2, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0, 80}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte("Linux\x00")},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}}
	k := ruleKey{family: byte(tbl.Family), table: "t", chain: "c", handle: 2}
	raw := func(names ...string) []rawExpr {
		var out []rawExpr
		for _, n := range names {
			out = append(out, rawExpr{name: n, decoded: decodedNames[n]})
		}
		return out
	}
	for _, c := range []struct {
		name string
		raws map[ruleKey][]rawExpr
		at   int // index of the one unmodelled expression, -1: none
	}{
		{"nothing dropped", map[ruleKey][]rawExpr{k: raw("payload", "cmp", "cmp", "immediate")}, -1},
		{"osf dropped", map[ruleKey][]rawExpr{k: raw("payload", "cmp", "osf", "cmp", "immediate")}, 2},
		{"rule not in the dump", map[ruleKey][]rawExpr{}, 0},
		{"counts differ", map[ruleKey][]rawExpr{k: raw("payload", "cmp", "immediate")}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := honest(Rule(r), r, c.raws)
			at := -1
			for i, e := range got.Exprs {
				if e.Op == "unmodelled" {
					if at >= 0 {
						t.Fatalf("two unmodelled expressions: %+v", got.Exprs)
					}
					at = i
				}
			}
			if at != c.at {
				t.Errorf("unmodelled at %d, want %d: %s", at, c.at, got.Text)
			}
		})
	}
}
