package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/report"
)

// firewallTexts are the FIREWALL column's texts, added to the catalogue.
var firewallTexts = map[string]map[string]string{
	"header.firewall":  {"en": "FIREWALL", "ja": "ファイアウォール"},
	"firewall.open":    {"en": "open", "ja": "許可"},
	"firewall.blocked": {"en": "blocked", "ja": "遮断"},
	"firewall.partly":  {"en": "partly: %[1]s", "ja": "一部: %[1]s"},
	"firewall.unknown": {"en": "?", "ja": "?"},
	"firewall.dnat":    {"en": "%[1]s (dnat)", "ja": "%[1]s (DNAT)"},
	"firewall.title":   {"en": "Firewall (which rule decides):", "ja": "ファイアウォール (判定したルール):"},
	"firewall.by":      {"en": "%[1]s by %[2]s", "ja": "%[1]s: %[2]s"},
	"firewall.why":     {"en": "%[1]s: %[2]s", "ja": "%[1]s: %[2]s"},
	"firewall.both":    {"en": "nftables and iptables-legacy both hold rules; a packet must pass both", "ja": "nftables と iptables-legacy の両方にルールがあります。パケットは両方を通過する必要があります"},
}

func init() { maps.Copy(catalogue, firewallTexts) }

// hasFirewall reports whether any row carries a firewall verdict, so that
// the table shows the column only for a snapshot that holds a ruleset.
func hasFirewall(r *report.Report) bool {
	for _, row := range r.Rows {
		if row.Firewall != nil {
			return true
		}
	}
	return false
}

// firewallText is the FIREWALL cell: open, blocked, partly with where it
// is open, or ? (the reasons are in --explain and the JSON).
func firewallText(tx texts, row report.Row) string {
	fw := row.Firewall
	if fw == nil {
		return ""
	}
	switch fw.Verdict {
	case report.FirewallPartly:
		return tx.get("firewall.partly", strings.Join(fw.OpenOn, ", "))
	case report.FirewallOpen, report.FirewallBlocked:
		if len(fw.DNAT) > 0 {
			return tx.get("firewall.dnat", tx.get("firewall."+fw.Verdict))
		}
		return tx.get("firewall." + fw.Verdict)
	}
	return tx.get("firewall.unknown")
}

// firewallExplanations says, under the table with --explain, which rule
// decides each row's verdict, or why it is unknown.
func firewallExplanations(tx texts, r *report.Report) string {
	var b strings.Builder
	both := false
	for _, row := range r.Rows {
		fw := row.Firewall
		if fw == nil {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "\n%s\n", tx.get("firewall.title"))
		}
		both = both || slices.Contains(fw.Notes, "both-backends")
		what := fmt.Sprintf("%s/%d %s", row.Proto, row.Port, Escape(row.Address))
		verdict := firewallText(tx, row)
		switch {
		case fw.Verdict == report.FirewallPartly:
			fmt.Fprintf(&b, "  %s: %s\n", what, verdict)
			for _, p := range fw.Probes {
				line := fmt.Sprintf("%s %s %s", p.Interface, p.Family, p.Address)
				if p.DNAT != "" {
					line += " → " + p.DNAT
				}
				if p.By != nil && p.Verdict != firewall.Partly && p.Verdict != firewall.Unknown {
					line = tx.get("firewall.by", line+": "+string(p.Verdict), p.By.String())
				} else if len(p.Reasons) > 0 {
					line = tx.get("firewall.why", line+": "+string(p.Verdict), strings.Join(p.Reasons, "; "))
				}
				fmt.Fprintf(&b, "    %s\n", Escape(line))
			}
		case fw.By != nil:
			fmt.Fprintf(&b, "  %s: %s\n", what, tx.get("firewall.by", verdict, Escape(fw.By.String())))
		case len(fw.Reasons) > 0:
			fmt.Fprintf(&b, "  %s: %s\n", what, tx.get("firewall.why", verdict, Escape(strings.Join(fw.Reasons, "; "))))
		default:
			fmt.Fprintf(&b, "  %s: %s\n", what, verdict)
		}
	}
	if both {
		fmt.Fprintf(&b, "  %s\n", tx.get("firewall.both"))
	}
	return b.String()
}
