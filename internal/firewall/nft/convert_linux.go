package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
)

// Backend is the firewall.Chain backend of chains read here.
const Backend = "nftables"

// Family names a table family as nft(8) does.
func Family(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return firewall.FamilyInet
	case nftables.TableFamilyIPv4:
		return firewall.FamilyIP
	case nftables.TableFamilyIPv6:
		return firewall.FamilyIP6
	case nftables.TableFamilyNetdev:
		return firewall.FamilyNetdev
	case nftables.TableFamilyBridge:
		return firewall.FamilyBridge
	case nftables.TableFamilyARP:
		return firewall.FamilyARP
	}
	return fmt.Sprintf("family-%d", f)
}

// Chain converts a chain's header (not its rules).
func Chain(c *nftables.Chain) firewall.Chain {
	out := firewall.Chain{Backend: Backend, Name: c.Name}
	if c.Device != "" {
		out.Devices = []string{c.Device}
	}
	if c.Table != nil {
		out.Family, out.Table = Family(c.Table.Family), c.Table.Name
	}
	if c.Hooknum != nil {
		out.Hook = HookName(out.Family, *c.Hooknum)
		out.Type = string(c.Type)
		if c.Priority != nil {
			out.Priority = int32(*c.Priority)
		}
		out.Policy = "accept"
		if c.Policy != nil && *c.Policy == nftables.ChainPolicyDrop {
			out.Policy = "drop"
		}
	}
	return out
}

// HookName names a base chain's hook as nft(8) does, for a table of the
// given family (netdev's ingress shares its number with prerouting).
func HookName(family string, h nftables.ChainHook) string {
	if family == firewall.FamilyNetdev {
		switch h {
		case unix.NF_NETDEV_INGRESS:
			return "ingress"
		case unix.NF_NETDEV_EGRESS:
			return "egress"
		}
	}
	if family == firewall.FamilyInet && h == nfInetIngress {
		return "ingress"
	}
	switch h {
	case unix.NF_INET_PRE_ROUTING:
		return "prerouting"
	case unix.NF_INET_LOCAL_IN:
		return "input"
	case unix.NF_INET_FORWARD:
		return "forward"
	case unix.NF_INET_LOCAL_OUT:
		return "output"
	case unix.NF_INET_POST_ROUTING:
		return "postrouting"
	}
	return fmt.Sprintf("hook-%d", h)
}

// Rule converts a rule: its expressions, and its text rendered from them.
func Rule(r *nftables.Rule) firewall.Rule {
	out := firewall.Rule{Handle: r.Handle, Comment: ruleComment(r.UserData)}
	family := ""
	if r.Table != nil {
		family = Family(r.Table.Family)
	}
	for _, e := range r.Exprs {
		if m, ok := e.(*expr.Match); ok {
			if c, ok := m.Info.(*xt.Comment); ok && out.Comment == "" {
				out.Comment = string(*c)
			}
		}
		out.Exprs = append(out.Exprs, exprs(e, family)...)
	}
	out.Text = firewall.Text(out.Exprs)
	return out
}

// Exprs converts one expression into the expressions that mean the same:
// one for nftables' own, several for an xtables-compat match or target
// that iptables-nft wrote.
func Exprs(e expr.Any) []firewall.Expr { return exprs(e, "") }

// exprs is Exprs for a rule of a table of the given family ("" when not
// known), which decides what some xtables matches mean.
func exprs(e expr.Any, family string) []firewall.Expr {
	switch e := e.(type) {
	case *expr.Match:
		out, _ := xtMatch(e, family)
		return out
	case *expr.Target:
		return xtTarget(e)
	}
	return []firewall.Expr{Expr(e)}
}

var metaKeys = map[expr.MetaKey]string{
	expr.MetaKeyLEN: "length", expr.MetaKeyPROTOCOL: "protocol", expr.MetaKeyPRIORITY: "priority",
	expr.MetaKeyMARK: "mark", expr.MetaKeyIIF: "iif", expr.MetaKeyOIF: "oif",
	expr.MetaKeyIIFNAME: "iifname", expr.MetaKeyOIFNAME: "oifname", expr.MetaKeyIIFTYPE: "iiftype",
	expr.MetaKeyOIFTYPE: "oiftype", expr.MetaKeySKUID: "skuid", expr.MetaKeySKGID: "skgid",
	expr.MetaKeyNFTRACE: "nftrace", expr.MetaKeyRTCLASSID: "rtclassid", expr.MetaKeySECMARK: "secmark",
	expr.MetaKeyNFPROTO: "nfproto", expr.MetaKeyL4PROTO: "l4proto", expr.MetaKeyPKTTYPE: "pkttype",
	expr.MetaKeyCPU: "cpu", expr.MetaKeyIIFGROUP: "iifgroup", expr.MetaKeyOIFGROUP: "oifgroup",
	expr.MetaKeyCGROUP: "cgroup", expr.MetaKeyPRANDOM: "random",
}

var ctKeys = map[expr.CtKey]string{
	expr.CtKeySTATE: "state", expr.CtKeyDIRECTION: "direction", expr.CtKeySTATUS: "status",
	expr.CtKeyMARK: "mark", expr.CtKeySECMARK: "secmark", expr.CtKeyEXPIRATION: "expiration",
	expr.CtKeyHELPER: "helper", expr.CtKeyL3PROTOCOL: "l3protocol", expr.CtKeySRC: "src",
	expr.CtKeyDST: "dst", expr.CtKeyPROTOCOL: "protocol", expr.CtKeyPROTOSRC: "proto-src",
	expr.CtKeyPROTODST: "proto-dst", expr.CtKeyLABELS: "label", expr.CtKeyPKTS: "packets",
	expr.CtKeyBYTES: "bytes", expr.CtKeyAVGPKT: "avgpkt", expr.CtKeyZONE: "zone",
	expr.CtKeyEVENTMASK: "event",
}

var cmpOps = map[expr.CmpOp]string{
	expr.CmpOpEq: "eq", expr.CmpOpNeq: "neq", expr.CmpOpLt: "lt",
	expr.CmpOpLte: "lte", expr.CmpOpGt: "gt", expr.CmpOpGte: "gte",
}

// Expr converts one expression (Exprs, for rules, also translates
// xtables-compat matches and targets). What the evaluator cannot model becomes a
// "condition" (a match that may or may not hold) or "unmodelled" (a
// statement whose effect is not known), with the reason.
func Expr(e expr.Any) firewall.Expr {
	switch e := e.(type) {
	case *expr.Meta:
		if e.SourceRegister {
			return firewall.Expr{Op: "nop", Key: "meta " + metaKeys[e.Key] + " set"}
		}
		key, ok := metaKeys[e.Key]
		if !ok {
			key = fmt.Sprintf("key-%d", e.Key)
		}
		return firewall.Expr{Op: "meta", Key: key, Dreg: e.Register}
	case *expr.Payload:
		if e.OperationType == expr.PayloadWrite {
			return firewall.Expr{Op: "unmodelled", Reason: "payload rewrite"}
		}
		base := map[expr.PayloadBase]string{expr.PayloadBaseLLHeader: "ll", expr.PayloadBaseNetworkHeader: "network",
			expr.PayloadBaseTransportHeader: "transport"}[e.Base]
		if base == "" {
			return firewall.Expr{Op: "condition", Reason: fmt.Sprintf("payload base %d", e.Base)}
		}
		return firewall.Expr{Op: "payload", Base: base, Offset: e.Offset, Len: e.Len, Dreg: e.DestRegister}
	case *expr.Cmp:
		op, ok := cmpOps[e.Op]
		if !ok {
			return firewall.Expr{Op: "condition", Reason: fmt.Sprintf("comparison %d", e.Op)}
		}
		return firewall.Expr{Op: "cmp", Cmp: op, Sreg: e.Register, Data: e.Data}
	case *expr.Range:
		op := "eq"
		if e.Op == expr.CmpOpNeq {
			op = "neq"
		}
		return firewall.Expr{Op: "range", Cmp: op, Sreg: e.Register, Data: e.FromData, To: e.ToData}
	case *expr.Bitwise:
		return firewall.Expr{Op: "bitwise", Sreg: e.SourceRegister, Dreg: e.DestRegister, Len: e.Len, Mask: e.Mask, Xor: e.Xor}
	case *expr.Lookup:
		return firewall.Expr{Op: "lookup", Sreg: e.SourceRegister, Dreg: e.DestRegister, Map: e.IsDestRegSet,
			Set: e.SetName, Invert: e.Invert}
	case *expr.Ct:
		key, ok := ctKeys[e.Key]
		if !ok {
			key = fmt.Sprintf("key-%d", e.Key)
		}
		if e.SourceRegister || e.Register == 0 {
			// google/nftables does not decode NFTA_CT_SREG: a ct
			// statement (ct mark set) reads back as a load with no
			// destination register, which a load never lacks.
			return firewall.Expr{Op: "nop", Key: "ct " + key + " set"}
		}
		if e.Direction != 0 && (key == "src" || key == "dst" || key == "proto-src" || key == "proto-dst") {
			// The reply direction swaps source and destination.
			return firewall.Expr{Op: "ct", Key: key + "-reply", Dreg: e.Register}
		}
		return firewall.Expr{Op: "ct", Key: key, Dreg: e.Register}
	case *expr.Fib:
		out := firewall.Expr{Op: "fib", Dreg: e.Register}
		switch {
		case e.ResultADDRTYPE:
			out.Key = "type"
		case e.ResultOIFNAME:
			out.Key = "oifname"
		default:
			out.Key = "oif"
		}
		for _, f := range []struct {
			on   bool
			name string
		}{{e.FlagSADDR, "saddr"}, {e.FlagDADDR, "daddr"}, {e.FlagMARK, "mark"}, {e.FlagIIF, "iif"}, {e.FlagOIF, "oif"}, {e.FlagPRESENT, "present"}} {
			if f.on {
				out.Flags = append(out.Flags, f.name)
			}
		}
		return out
	case *expr.Immediate:
		return firewall.Expr{Op: "immediate", Dreg: e.Register, Data: e.Data}
	case *expr.Verdict:
		v, chain := verdict(e)
		return firewall.Expr{Op: "verdict", Verdict: v, Chain: chain}
	case *expr.Counter:
		return firewall.Expr{Op: "nop", Key: "counter"}
	case *expr.Log:
		return firewall.Expr{Op: "nop", Key: "log"}
	case *expr.Notrack:
		return firewall.Expr{Op: "nop", Key: "notrack"}
	case *expr.Limit:
		return firewall.Expr{Op: "limit", Reason: "rate limit"}
	case *expr.Quota:
		return firewall.Expr{Op: "limit", Reason: "quota"}
	case *expr.Connlimit:
		return firewall.Expr{Op: "limit", Reason: "connection limit"}
	case *expr.Objref:
		if e.Type == unix.NFT_OBJECT_COUNTER {
			return firewall.Expr{Op: "nop", Key: "counter name " + e.Name}
		}
		return firewall.Expr{Op: "condition", Reason: "stateful object " + e.Name}
	case *expr.Dynset:
		if len(e.Exprs) == 0 {
			return firewall.Expr{Op: "nop", Key: "update @" + e.SetName}
		}
		return firewall.Expr{Op: "limit", Reason: "meter @" + e.SetName}
	case *expr.Reject:
		return firewall.Expr{Op: "reject"}
	case *expr.NAT:
		if e.Type == expr.NATTypeDestNAT {
			out := firewall.Expr{Op: "nat", Key: "dnat", Sreg: e.RegAddrMin, Dreg: e.RegProtoMin}
			if e.RegProtoMax != 0 && e.RegProtoMax != e.RegProtoMin {
				out.DregMax = e.RegProtoMax
			}
			return out
		}
		return firewall.Expr{Op: "nat", Key: "snat"}
	case *expr.Redir:
		return firewall.Expr{Op: "nat", Key: "redirect", Dreg: e.RegisterProtoMin}
	case *expr.Masq:
		return firewall.Expr{Op: "nat", Key: "masquerade"}
	case *expr.Queue:
		return firewall.Expr{Op: "queue"}
	case *expr.Match:
		return firewall.Expr{Op: "condition", Reason: "xtables match " + e.Name}
	case *expr.Target:
		return firewall.Expr{Op: "unmodelled", Reason: "xtables target " + e.Name}
	case *expr.Exthdr:
		if e.SourceRegister != 0 || e.DestRegister == 0 {
			// A write (tcp option maxseg size set) or a reset, not
			// a load: it changes what later rules and chains see.
			return firewall.Expr{Op: "unmodelled", Reason: "extension header rewrite"}
		}
		return firewall.Expr{Op: "meta", Key: "exthdr", Dreg: e.DestRegister}
	case *expr.Socket:
		return firewall.Expr{Op: "meta", Key: "socket", Dreg: e.Register}
	case *expr.Rt:
		return firewall.Expr{Op: "meta", Key: "rt", Dreg: e.Register}
	case *expr.Numgen:
		return firewall.Expr{Op: "meta", Key: "numgen", Dreg: e.Register}
	case *expr.Hash:
		return firewall.Expr{Op: "meta", Key: "hash", Dreg: e.DestRegister}
	case nil:
		return firewall.Expr{Op: "unmodelled", Reason: "an expression google/nftables could not decode"}
	}
	return firewall.Expr{Op: "unmodelled", Reason: fmt.Sprintf("expression %T", e)}
}

func verdict(v *expr.Verdict) (string, string) {
	switch v.Kind {
	case expr.VerdictAccept:
		return "accept", ""
	case expr.VerdictDrop:
		return "drop", ""
	case expr.VerdictJump:
		return "jump", v.Chain
	case expr.VerdictGoto:
		return "goto", v.Chain
	case expr.VerdictReturn:
		return "return", ""
	case expr.VerdictContinue:
		return "continue", ""
	case expr.VerdictBreak:
		return "break", ""
	case expr.VerdictQueue:
		return "queue", ""
	case expr.VerdictStolen:
		return "stolen", ""
	}
	return fmt.Sprintf("verdict-%d", v.Kind), ""
}

// Set converts a set or map and its elements; verdicts says a map's data
// are verdicts (a data map's are values: addresses, ports, marks).
func Set(s *nftables.Set, elems []nftables.SetElement, verdicts bool) (firewall.Set, error) {
	out := firewall.Set{Backend: Backend, Name: s.Name, Interval: s.Interval, Map: s.IsMap, Timeout: s.HasTimeout, Dynamic: s.Dynamic}
	if s.Table != nil {
		out.Family, out.Table = Family(s.Table.Family), s.Table.Name
	}
	for _, el := range elems {
		fe := firewall.Element{Key: el.Key, KeyEnd: el.KeyEnd, IntervalEnd: el.IntervalEnd}
		if el.Timeout != 0 || el.Expires != 0 {
			out.Timeout = true
		}
		if s.IsMap && !el.IntervalEnd && !verdicts {
			fe.Data = el.Val
		} else if s.IsMap && !el.IntervalEnd {
			v, chain, err := DecodeVerdictData(el.Val)
			if err != nil {
				return out, fmt.Errorf("set %s %s element %x: %w", out.Table, s.Name, el.Key, err)
			}
			fe.Verdict, fe.Chain = v, chain
		}
		out.Elements = append(out.Elements, fe)
	}
	return out, nil
}

// DecodeVerdictData decodes a verdict map element's data as google/nftables
// returns it: the attributes nested in NFTA_DATA_VERDICT, a verdict code
// and, for jump and goto, a chain name.
func DecodeVerdictData(b []byte) (string, string, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return "", "", fmt.Errorf("verdict data: %w", err)
	}
	ad.ByteOrder = binary.BigEndian
	v := &expr.Verdict{}
	code := false
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_VERDICT_CODE:
			v.Kind = expr.VerdictKind(int32(ad.Uint32()))
			code = true
		case unix.NFTA_VERDICT_CHAIN:
			v.Chain = ad.String()
		}
	}
	if err := ad.Err(); err != nil {
		return "", "", fmt.Errorf("verdict data: %w", err)
	}
	if !code {
		return "", "", fmt.Errorf("verdict data without a verdict code")
	}
	kind, chain := verdict(v)
	return kind, chain, nil
}
