package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/report"
)

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
	var v string
	switch fw.Verdict {
	case firewall.Partly:
		return tx.get(MsgFirewallPartly, tx.openOn(fw.OpenOn))
	case firewall.Open:
		v = tx.get(MsgFirewallOpen)
	case firewall.Blocked:
		v = tx.get(MsgFirewallBlocked)
	default:
		return tx.get(MsgFirewallUnknown)
	}
	if len(fw.DNAT) > 0 {
		return tx.get(MsgFirewallDNAT, v)
	}
	return v
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
			fmt.Fprintf(&b, "\n%s\n", tx.get(MsgFirewallTitle))
		}
		both = both || slices.Contains(fw.Notes, firewall.NoteBothBackends)
		what := fmt.Sprintf("%s/%d %s", row.Proto, row.Port, short(row.Address))
		verdict := firewallText(tx, row)
		switch {
		case fw.Verdict == firewall.Partly:
			fmt.Fprintf(&b, "  %s: %s\n", what, capText(verdict))
			for _, p := range fw.Probes {
				line := fmt.Sprintf("%s %s %s", p.Interface, p.Family, p.Address)
				if p.DNAT != "" {
					line += " → " + p.DNAT
				}
				line = Escape(line)
				if p.By != nil && p.Verdict != firewall.Partly && p.Verdict != firewall.Unknown {
					line = tx.get(MsgFirewallBy, line+": "+tx.probeVerdict(p.Verdict), Escape(p.By.String()))
				} else if len(p.Reasons) > 0 {
					line = tx.get(MsgFirewallWhy, line+": "+tx.probeVerdict(p.Verdict), tx.firewallReasons(p.Reasons))
				}
				fmt.Fprintf(&b, "    %s\n", capText(line))
			}
		case fw.By != nil:
			fmt.Fprintf(&b, "  %s: %s\n", what, capText(tx.get(MsgFirewallBy, verdict, Escape(fw.By.String()))))
		case len(fw.Reasons) > 0:
			fmt.Fprintf(&b, "  %s: %s\n", what, capText(tx.get(MsgFirewallWhy, verdict, tx.firewallReasons(fw.Reasons))))
		default:
			fmt.Fprintf(&b, "  %s: %s\n", what, capText(verdict))
		}
	}
	if both {
		fmt.Fprintf(&b, "  %s\n", tx.get(MsgFirewallBoth))
	}
	return b.String()
}

// openOn words where a partly open row is open: "eth1 v4, eth0 v6 (some
// sources)".
func (t texts) openOn(ws []report.OpenWhere) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		s := Escape(w.Interface) + " " + Escape(w.IP)
		if w.DNAT {
			s += " " + t.get(MsgFwWhereDNAT)
		}
		if w.SomeSources {
			s += " " + t.get(MsgFwWhereSomeSources)
		}
		out[i] = s
	}
	return strings.Join(out, ", ")
}

// probeVerdict words one probe's verdict.
func (t texts) probeVerdict(v firewall.Verdict) string {
	switch v {
	case firewall.Open:
		return t.get(MsgFirewallOpen)
	case firewall.Blocked:
		return t.get(MsgFirewallBlocked)
	case firewall.Partly:
		return t.get(MsgFwProbePartly)
	case firewall.Unknown:
		return t.get(MsgFirewallUnknown)
	}
	return Escape(string(v))
}
