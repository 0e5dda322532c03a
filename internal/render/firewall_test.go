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
	probe := func(v firewall.Verdict, by *firewall.Decision, reasons ...firewall.Reason) report.FirewallProbe {
		return report.FirewallProbe{Interface: "eth0", Family: "ip", Address: "192.0.2.1",
			Result: firewall.Result{Verdict: v, By: by, Path: []firewall.Decision{*by}, Reasons: reasons}}
	}
	source := firewall.NewReason(firewall.ReasonSourceAddress, nil)
	row := func(port uint16, fw *report.Firewall) report.Row {
		return report.Row{Proto: "tcp", Address: "*", Port: port, Reach: "v4", Exposure: "all", Severity: snapshot.Review, OwnerState: "none", Firewall: fw}
	}
	return &report.Report{Schema: report.SchemaVersion, Source: "test", Complete: true, Rows: []report.Row{
		row(22, &report.Firewall{Verdict: "open", By: accept, Backends: []string{"nftables"}, Probes: []report.FirewallProbe{probe(firewall.Open, accept)}}),
		row(5432, &report.Firewall{Verdict: "partly", OpenOn: []report.OpenWhere{{Interface: "eth0", IP: "v4", SomeSources: true}}, Reasons: []firewall.Reason{source},
			Backends: []string{"nftables", "iptables-legacy"}, Notes: []string{"both-backends"},
			Probes: []report.FirewallProbe{probe(firewall.Partly, drop, source)}}),
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
		"tcp/5432 *: partly: eth0 v4 (some sources)\n    eth0 ip 192.0.2.1: partly: the source address\n",
		"nftables and iptables-legacy both hold rules",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// In Japanese, where it is open and why come from the catalogue.
	b.Reset()
	if err := writeReportTable(&b, firewallReport(), Options{Lang: "ja", Explain: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"一部: eth0 v4 (一部の送信元から)", "eth0 ip 192.0.2.1: 一部: 送信元アドレス"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("ja table lacks %q:\n%s", want, b.String())
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

// Every firewall reason code has a text in the catalogue, and a reason is
// worded in Japanese with its arguments.
func TestFirewallReasonTexts(t *testing.T) {
	for _, code := range firewall.ReasonCodes() {
		if _, ok := firewallReasonTexts[code]; !ok {
			t.Errorf("firewall reason %q has no catalogue text", code)
		}
	}
	r := firewall.NewReason(firewall.ReasonChainNotRead, map[string]string{"chain": "DOCKER-USER"})
	if got, want := (texts{lang: "ja"}).firewallReason(r), "読み取れなかったチェーンへのジャンプ: DOCKER-USER"; got != want {
		t.Errorf("ja: %q, want %q", got, want)
	}
	if got := (texts{lang: "en"}).firewallReason(firewall.Reason{Code: "from-a-newer-version", Detail: "new\x1b[31m"}); strings.Contains(got, "\x1b") {
		t.Errorf("unknown code's detail not escaped: %q", got)
	}
}

// TestFirewallReasonEscapedOnce: an argument of a reason is escaped once,
// as every other cell (not `\\x1b`).
func TestFirewallReasonEscapedOnce(t *testing.T) {
	r := firewall.NewReason(firewall.ReasonSetDynamic, map[string]string{"set": "x\x1by"})
	for _, lang := range langs {
		if got := newTexts(lang, nil).firewallReason(r); !strings.Contains(got, `@x\x1by`) || strings.Contains(got, `\\`) {
			t.Errorf("%s: %q", lang, got)
		}
	}
}
