package nft

import (
	"net/netip"
	"testing"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
)

// exprKinds are the expression types the kernel sends that the reader
// converts; the fuzzer decodes its input as each of them.
var exprKinds = []func() expr.Any{
	func() expr.Any { return &expr.Meta{} }, func() expr.Any { return &expr.Payload{} },
	func() expr.Any { return &expr.Cmp{} }, func() expr.Any { return &expr.Range{} },
	func() expr.Any { return &expr.Bitwise{} }, func() expr.Any { return &expr.Lookup{} },
	func() expr.Any { return &expr.Ct{} }, func() expr.Any { return &expr.Fib{} },
	func() expr.Any { return &expr.Immediate{} }, func() expr.Any { return &expr.Verdict{} },
	func() expr.Any { return &expr.Limit{} }, func() expr.Any { return &expr.Dynset{} },
	func() expr.Any { return &expr.NAT{} }, func() expr.Any { return &expr.Reject{} },
	func() expr.Any { return &expr.Objref{} }, func() expr.Any { return &expr.Exthdr{} },
}

// FuzzExprDecode: netlink attributes decoded as any expression type, then
// converted and evaluated in a rule of a base chain, never panic; a verdict
// map element's data decodes or fails with an error.
func FuzzExprDecode(f *testing.F) {
	for _, e := range []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Payload{Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2, DestRegister: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0, 22}},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{0xff, 0xff, 0xff, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Ct{Key: expr.CtKeySTATE, Register: 1},
		&expr.Fib{Register: 1, ResultADDRTYPE: true, FlagDADDR: true},
		&expr.Lookup{SourceRegister: 1, SetName: "s"},
		&expr.Verdict{Kind: expr.VerdictJump, Chain: "sub"},
	} {
		data, err := expr.MarshalExprData(unix.NFPROTO_INET, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = DecodeVerdictData(data)
		var exprs []firewall.Expr
		for _, mk := range exprKinds {
			if e, ok := unmarshal(mk(), data); ok {
				exprs = append(exprs, Exprs(e)...)
			}
		}
		rules := []firewall.Rule{{Handle: 1, Exprs: exprs}}
		for i := range exprs {
			rules = append(rules, firewall.Rule{Handle: uint64(i + 2), Exprs: exprs[i:]})
		}
		for i := range rules {
			rules[i].Text = firewall.Text(rules[i].Exprs)
		}
		rs := &firewall.Ruleset{Chains: []firewall.Chain{
			{Backend: Backend, Family: "inet", Table: "t", Name: "in", Hook: "input", Policy: "accept", Rules: rules},
			{Backend: Backend, Family: "inet", Table: "t", Name: "sub", Rules: rules},
		}, Sets: []firewall.Set{{Backend: Backend, Family: "inet", Table: "t", Name: "s", Interval: true,
			Elements: []firewall.Element{{Key: []byte{0, 20}}, {Key: []byte{0, 30}, IntervalEnd: true}}}}}
		rs.Evaluate(firewall.Packet{Family: firewall.FamilyIP, Iif: "eth0", Daddr: netip.MustParseAddr("192.0.2.1"), Proto: firewall.ProtoTCP, Dport: 22})
	})
}

// unmarshal decodes data as e with google/nftables, which panics on some
// malformed attributes (Verdict.unmarshal indexes past short data); Read
// recovers from that in the same way. Only the library's decoding is
// inside the recover: the conversion and evaluation are not.
func unmarshal(e expr.Any, data []byte) (out expr.Any, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	if err := expr.Unmarshal(unix.NFPROTO_INET, data, e); err != nil {
		return nil, false
	}
	return e, true
}

func TestDecodeVerdictData(t *testing.T) {
	for _, c := range []struct {
		data        []byte
		kind, chain string
		bad         bool
	}{
		// NFTA_VERDICT_CODE (1) = NF_ACCEPT (1), big-endian.
		{data: []byte{8, 0, 1, 0, 0, 0, 0, 1}, kind: "accept"},
		// NFT_JUMP (-3) and NFTA_VERDICT_CHAIN (2) "sub".
		{data: []byte{8, 0, 1, 0, 0xff, 0xff, 0xff, 0xfd, 8, 0, 2, 0, 's', 'u', 'b', 0}, kind: "jump", chain: "sub"},
		{data: []byte{8, 0, 2, 0, 's', 'u', 'b', 0}, bad: true},
		{data: []byte{3, 0}, bad: true},
	} {
		kind, chain, err := DecodeVerdictData(c.data)
		if (err != nil) != c.bad || kind != c.kind || chain != c.chain {
			t.Errorf("DecodeVerdictData(%x) = %q %q %v, want %q %q bad=%v", c.data, kind, chain, err, c.kind, c.chain, c.bad)
		}
	}
}
