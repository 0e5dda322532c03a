package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// firewallReport is a report with one blocked, one open and one partly
// open row, as analysis builds them.
func firewallReport() *report.Report {
	drop := &firewall.Decision{Backend: "nftables", Family: "inet", Table: "filter", Chain: "input", Text: "policy drop", Verdict: "drop"}
	accept := &firewall.Decision{Backend: "nftables", Family: "inet", Table: "filter", Chain: "input", Handle: 4, Text: "meta l4proto tcp th dport 22 accept", Verdict: "accept"}
	probe := func(v firewall.Verdict, by *firewall.Decision, reasons ...string) report.FirewallProbe {
		return report.FirewallProbe{Interface: "eth0", Family: "ip", Address: "192.0.2.1",
			Result: firewall.Result{Verdict: v, By: by, Path: []firewall.Decision{*by}, Reasons: reasons}}
	}
	row := func(port uint16, fw *report.Firewall) report.Row {
		return report.Row{Proto: "tcp", Address: "*", Port: port, Reach: "v4", Exposure: "all", Severity: snapshot.Review, OwnerState: "none", Firewall: fw}
	}
	return &report.Report{Schema: report.SchemaVersion, Source: "test", Complete: true, Rows: []report.Row{
		row(22, &report.Firewall{Verdict: "open", By: accept, Backends: []string{"nftables"}, Probes: []report.FirewallProbe{probe(firewall.Open, accept)}}),
		row(5432, &report.Firewall{Verdict: "partly", OpenOn: []string{"eth0 v4 (some sources)"}, Reasons: []string{"source address"},
			Backends: []string{"nftables", "iptables-legacy"}, Notes: []string{"both-backends"},
			Probes: []report.FirewallProbe{probe(firewall.Partly, drop, "source address")}}),
		row(6379, &report.Firewall{Verdict: "blocked", By: drop, Backends: []string{"nftables"}, Probes: []report.FirewallProbe{probe(firewall.Blocked, drop)}}),
	}}
}

func TestFirewallTable(t *testing.T) {
	var b bytes.Buffer
	if err := writeReportTable(&b, firewallReport(), Options{Lang: "en", Explain: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"FIREWALL", "partly: eth0 v4 (some sources)", "blocked",
		"tcp/22 *: open by inet filter input handle 4: meta l4proto tcp th dport 22 accept",
		"tcp/6379 *: blocked by inet filter input: policy drop",
		"tcp/5432 *: partly: eth0 v4 (some sources)\n    eth0 ip 192.0.2.1: partly: source address\n",
		"nftables and iptables-legacy both hold rules",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Without a verdict on any row the column is not there.
	r := firewallReport()
	for i := range r.Rows {
		r.Rows[i].Firewall = nil
	}
	b.Reset()
	if err := writeReportTable(&b, r, Options{Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "FIREWALL") {
		t.Errorf("FIREWALL column without verdicts:\n%s", b.String())
	}
}

// TestFirewallJSONFields: the firewall evidence is in the JSON (that
// docs/json.md documents it is TestJSONFieldsAreDocumented's job).
func TestFirewallJSONFields(t *testing.T) {
	keys := map[string]bool{}
	collectKeys(renderedJSON(t, firewallReport()), keys)
	for _, k := range []string{"firewall", "open_on", "probes", "path", "handle", "backend"} {
		if !keys[k] {
			t.Errorf("JSON has no %q: the fixture no longer exercises the firewall fields", k)
		}
	}
}

// renderedJSON renders r as JSON and decodes it into generic values.
func renderedJSON(t *testing.T, r *report.Report) any {
	t.Helper()
	var buf bytes.Buffer
	if err := writeReportJSON(&buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFirewallReasonWording: a firewall reason with a code is worded from
// the catalogue in each language with its named arguments; one without a
// code, with a code the catalogue does not know, or without the argument
// its text needs, is the evaluator's English, escaped.
func TestFirewallReasonWording(t *testing.T) {
	en, ja := newTexts("en", nil), newTexts("ja", nil)
	set := map[string]string{"set": "blocklist"}
	if got := en.firewallReason("set-dynamic", set, "set @blocklist whose elements change with traffic"); got != "set @blocklist whose elements change with traffic" {
		t.Errorf("en: %q", got)
	}
	if got := ja.firewallReason("set-dynamic", set, "set @blocklist whose elements change with traffic"); got != "通信に応じて要素が変わるセット @blocklist" {
		t.Errorf("ja: %q", got)
	}
	if got := ja.firewallReason("backend-unread", map[string]string{"backend": "nftables", "error": "permission denied"}, ""); got != "nftables を読めませんでした: permission denied" {
		t.Errorf("ja, two arguments: %q", got)
	}
	for _, tc := range []struct {
		code string
		args map[string]string
	}{{"", nil}, {"from-the-future", nil}, {"set-dynamic", nil}} {
		if got := ja.firewallReason(tc.code, tc.args, "meta mark\x1b[2J"); got != `meta mark\x1b[2J` {
			t.Errorf("ja, code %q: %q, want the English escaped", tc.code, got)
		}
	}
}
