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
	case report.FirewallPartly:
		return tx.get(MsgFirewallPartly, Escape(strings.Join(fw.OpenOn, ", ")))
	case report.FirewallOpen:
		v = tx.get(MsgFirewallOpen)
	case report.FirewallBlocked:
		v = tx.get(MsgFirewallBlocked)
	default:
		return tx.get(MsgFirewallUnknown)
	}
	if len(fw.DNAT) > 0 {
		return tx.get(MsgFirewallDNAT, v)
	}
	return v
}

// firewallReasonTexts word the reasons of a firewall verdict by code (the
// Reason codes of internal/firewall and of analysis), with the names of
// their arguments in the order the text takes them.
var firewallReasonTexts = map[string]gapText{
	"source-address": {MsgFwReasonSourceAddress, nil},
	"source-port":    {MsgFwReasonSourcePort, nil},
	"source-route":   {MsgFwReasonSourceRoute, nil},
	"interface":      {MsgFwReasonInterface, nil},
	"local-address":  {MsgFwReasonLocalAddress, nil},
	"unknown-value":  {MsgFwReasonUnknownValue, []string{"what"}},
	"condition":      {MsgFwReasonCondition, []string{"what"}},
	"unmodelled":     {MsgFwReasonUnmodelled, []string{"what"}},
	"dnat-target":    {MsgFwReasonDNATTarget, []string{"what"}},
	"dnat-unrouted":  {MsgFwReasonDNATUnrouted, []string{"target"}},
	"chain-not-read": {MsgFwReasonChainNotRead, []string{"chain"}},
	"set-not-read":   {MsgFwReasonSetNotRead, []string{"set"}},
	"set-dynamic":    {MsgFwReasonSetDynamic, []string{"set"}},
	"jumps-too-deep": {MsgFwReasonJumpsTooDeep, nil},
	"too-many-paths": {MsgFwReasonTooManyPaths, []string{"max"}},
	"too-many-steps": {MsgFwReasonTooManySteps, []string{"max"}},
	"backend-unread": {MsgFwReasonBackendUnread, []string{"backend", "error"}},
	"no-interface":   {MsgFwReasonNoInterface, nil},
}

// firewallReason words one reason of a firewall verdict in the chosen
// language: from its code and named arguments when the catalogue has the
// code, else the English text the evaluator gave. This is where a reason
// code gets its words; every writer goes through it.
func (t texts) firewallReason(code string, args map[string]string, english string) string {
	if rt, ok := firewallReasonTexts[code]; ok {
		if s, ok := t.named(rt, args, 0); ok {
			return s
		}
	}
	return Escape(english)
}

// firewallReasons words a verdict's reasons, joined.
func (t texts) firewallReasons(reasons []string) string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		// Reasons are English sentences until they carry codes.
		out[i] = t.firewallReason("", nil, r)
	}
	return strings.Join(out, "; ")
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
		both = both || slices.Contains(fw.Notes, "both-backends")
		what := fmt.Sprintf("%s/%d %s", row.Proto, row.Port, short(row.Address))
		verdict := firewallText(tx, row)
		switch {
		case fw.Verdict == report.FirewallPartly:
			fmt.Fprintf(&b, "  %s: %s\n", what, capText(verdict))
			for _, p := range fw.Probes {
				line := fmt.Sprintf("%s %s %s", p.Interface, p.Family, p.Address)
				if p.DNAT != "" {
					line += " → " + p.DNAT
				}
				if p.By != nil && p.Verdict != firewall.Partly && p.Verdict != firewall.Unknown {
					line = tx.get(MsgFirewallBy, Escape(line+": "+string(p.Verdict)), Escape(p.By.String()))
				} else if len(p.Reasons) > 0 {
					line = tx.get(MsgFirewallWhy, Escape(line+": "+string(p.Verdict)), tx.firewallReasons(p.Reasons))
				} else {
					line = Escape(line)
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
