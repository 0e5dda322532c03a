package firewall

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

func TestMergeNotesBothBackends(t *testing.T) {
	rule := []Rule{{Handle: 1, Exprs: []Expr{{Op: "verdict", Verdict: "drop"}}}}
	nft := &Ruleset{Backends: []string{"nftables"}, Chains: []Chain{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "in", Hook: "input", Policy: "accept"}}}
	legacy := &Ruleset{Backends: []string{"iptables-legacy"}, Chains: []Chain{{Backend: "iptables-legacy", Family: FamilyIP, Table: "filter", Name: "INPUT", Hook: "input", Policy: "accept", Rules: rule}}}
	nft.Merge(legacy)
	if slices.Contains(nft.Notes, NoteBothBackends) {
		t.Errorf("notes %v: nftables held no rule", nft.Notes)
	}
	both := &Ruleset{Backends: []string{"nftables"}, Chains: []Chain{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "in", Hook: "input", Policy: "accept", Rules: rule}}}
	both.Merge(legacy)
	if !slices.Contains(both.Notes, NoteBothBackends) || !slices.Equal(both.Backends, []string{"nftables", "iptables-legacy"}) {
		t.Errorf("notes %v, backends %v", both.Notes, both.Backends)
	}
	// A drop in either backend blocks: the packet must pass both.
	res := both.Evaluate(Packet{Family: FamilyIP, Iif: "eth0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: ProtoTCP, Dport: 22})
	if res.Verdict != Blocked || len(res.Path) != 1 {
		t.Errorf("%+v, want blocked by the first base chain", res)
	}
}

// TestRulesetJSON: a ruleset survives the snapshot's JSON, bytes as hex.
func TestRulesetJSON(t *testing.T) {
	in := &Ruleset{Backends: []string{"nftables"}, Chains: []Chain{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "in",
		Rules: []Rule{{Handle: 3, Text: "th dport 22 accept", Exprs: []Expr{{Op: "cmp", Cmp: "eq", Sreg: 1, Data: Bytes{0, 22}}}}}}},
		Sets: []Set{{Backend: "nftables", Family: FamilyInet, Table: "t", Name: "s", Interval: true, Elements: []Element{{Key: Bytes{0, 1}, IntervalEnd: true}}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Ruleset
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Errorf("round trip:\n%s\n%+v", b, out)
	}
	if err := json.Unmarshal([]byte(`{"chains":[{"rules":[{"exprs":[{"op":"cmp","data":"zz"}]}]}]}`), &out); err == nil {
		t.Error("bad hex accepted")
	}
}
