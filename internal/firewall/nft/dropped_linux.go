package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
)

// decodedNames are the expression names google/nftables v0.3.0 decodes
// (expr.exprFromName, and notrack); it silently drops every other one, so
// "tcp dport 80 osf name Linux drop" would read as "tcp dport 80 drop".
var decodedNames = map[string]bool{
	"ct": true, "range": true, "meta": true, "cmp": true, "counter": true, "objref": true,
	"payload": true, "lookup": true, "immediate": true, "bitwise": true, "redir": true,
	"nat": true, "limit": true, "quota": true, "dynset": true, "log": true, "exthdr": true,
	"match": true, "target": true, "connlimit": true, "queue": true, "flow_offload": true,
	"reject": true, "masq": true, "hash": true, "cthelper": true, "synproxy": true,
	"ctexpect": true, "secmark": true, "cttimeout": true, "fib": true, "numgen": true,
	"notrack": true,
}

// ruleKey names a rule: family, table, chain, handle.
type ruleKey struct {
	family byte
	table  string
	chain  string
	handle uint64
}

// rawExpr is one expression of a rule as the kernel sent it, and whether
// google/nftables kept it.
type rawExpr struct {
	name    string
	decoded bool
}

// readRawExprs dumps every rule of conn's namespace for the names of its
// expressions, to find those google/nftables drops.
func readRawExprs(conn *netlink.Conn) (map[ruleKey][]rawExpr, error) {
	out := map[ruleKey][]rawExpr{}
	err := dumpEach(conn, unix.NFT_MSG_GETRULE, "rule", func(m netlink.Message) error {
		k, raw, err := ruleExprs(m)
		if err == nil {
			out[k] = raw
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ruleExprs(m netlink.Message) (ruleKey, []rawExpr, error) {
	family, ad, err := objDecoder(m)
	if err != nil {
		return ruleKey{}, nil, err
	}
	k := ruleKey{family: family}
	var raw []rawExpr
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_RULE_TABLE:
			k.table = ad.String()
		case unix.NFTA_RULE_CHAIN:
			k.chain = ad.String()
		case unix.NFTA_RULE_HANDLE:
			k.handle = ad.Uint64()
		case unix.NFTA_RULE_EXPRESSIONS:
			ad.Nested(func(ld *netlink.AttributeDecoder) error {
				for ld.Next() {
					if ld.Type() != unix.NFTA_LIST_ELEM {
						continue
					}
					ld.Nested(func(ed *netlink.AttributeDecoder) error {
						var name string
						data := false
						for ed.Next() {
							switch ed.Type() {
							case unix.NFTA_EXPR_NAME:
								name = ed.String()
							case unix.NFTA_EXPR_DATA:
								data = true
							}
						}
						// google/nftables keeps notrack by its name
						// and any other known one by its data.
						raw = append(raw, rawExpr{name: name, decoded: name == "notrack" || (decodedNames[name] && data)})
						return nil
					})
				}
				return nil
			})
		}
	}
	return k, raw, ad.Err()
}

// honest puts back, as unmodelled expressions at their places, the
// expressions of r that google/nftables dropped, so that the evaluator
// cannot take a rule missing a match for one without it. fr is Rule(r).
func honest(fr firewall.Rule, r *nftables.Rule, raws map[ruleKey][]rawExpr) firewall.Rule {
	if r.Table == nil || r.Chain == nil {
		return fr
	}
	raw, ok := raws[ruleKey{family: byte(r.Table.Family), table: r.Table.Name, chain: r.Chain.Name, handle: r.Handle}]
	if !ok {
		// Added between the dumps (Read's generation check reads
		// again then): its expressions are not known to be whole.
		return markRule(fr, 0, "a rule added while the ruleset was read")
	}
	kept := 0
	for _, x := range raw {
		if x.decoded {
			kept++
		}
	}
	if kept == len(raw) && kept == len(r.Exprs) {
		return fr // nothing dropped: the common case, no second conversion
	}
	if kept != len(r.Exprs) {
		// The kernel's rule is not the one decoded (replaced between
		// the dumps, or decoded otherwise than assumed here).
		return markRule(fr, 0, fmt.Sprintf("a rule of %d expressions of which google/nftables decoded %d", len(raw), len(r.Exprs)))
	}
	family := Family(r.Table.Family)
	var out []firewall.Expr
	i := 0
	for _, x := range raw {
		if !x.decoded {
			out = append(out, firewall.Expr{Op: "unmodelled", Reason: "expression " + quoteName(x.name) + " google/nftables does not decode"})
			continue
		}
		out = append(out, exprs(r.Exprs[i], family)...)
		i++
	}
	fr.Exprs = out
	fr.Text = firewall.Text(out)
	return fr
}

// markRule puts an unmodelled expression at position i of the rule.
func markRule(fr firewall.Rule, i int, reason string) firewall.Rule {
	e := firewall.Expr{Op: "unmodelled", Reason: reason}
	fr.Exprs = append(fr.Exprs[:i:i], append([]firewall.Expr{e}, fr.Exprs[i:]...)...)
	fr.Text = firewall.Text(fr.Exprs)
	return fr
}

func quoteName(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
