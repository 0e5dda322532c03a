package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func init() {
	// Watch lines print local time: make the goldens independent of the
	// machine's zone.
	time.Local = time.UTC
}

func fixtureReport(t testing.TB, all bool) *report.Report {
	t.Helper()
	return analysis.Build(readSnapshot(t, "../analysis/testdata/host.snapshot.json"), analysis.Options{All: all, Knowledge: kb(t)})
}

// snapshotReport analyses the snapshot saved at path.
func snapshotReport(t testing.TB, path string, all bool) *report.Report {
	t.Helper()
	return analysis.Build(readSnapshot(t, path), analysis.Options{All: all, Knowledge: kb(t)})
}

func readSnapshot(t testing.TB, path string) *snapshot.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kb(t testing.TB) *knowledge.Base {
	t.Helper()
	b, err := knowledge.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readJSON decodes a golden JSON file of another package (the results of
// hostcheck and diff tests) as the fixture of its writers here.
func readJSON[T any](t testing.TB, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

var langs = []string{"en", "ja"}

// goldenAll writes v in every format of reg and every language and
// compares with testdata/<dir>/<name>.<lang>.<format>.
func goldenAll[T any](t *testing.T, reg *Registry[T], dir, name string, v T, o Options) {
	t.Helper()
	for _, format := range reg.Formats() {
		for _, lang := range langs {
			write, err := reg.Writer(format)
			if err != nil {
				t.Fatal(err)
			}
			o.Lang = lang
			var buf bytes.Buffer
			if err := write(&buf, v, o); err != nil {
				t.Fatal(err)
			}
			if i := bytes.Index(buf.Bytes(), []byte("%!")); i >= 0 {
				t.Errorf("%s/%s.%s.%s: a text was formatted with the wrong arguments: %q", dir, name, lang, format, buf.Bytes()[i:min(buf.Len(), i+60)])
			}
			golden.Check(t, filepath.Join("testdata", dir, name+"."+lang+"."+format), buf.Bytes())
		}
	}
}

func TestReportGolden(t *testing.T) {
	goldenAll(t, Reports, "list", "default", fixtureReport(t, false), Options{Knowledge: kb(t)})
	goldenAll(t, Reports, "list", "all", fixtureReport(t, true), Options{Knowledge: kb(t)})
	goldenAll(t, Reports, "list", "explain", fixtureReport(t, false), Options{Knowledge: kb(t), Explain: true})
	goldenAll(t, Reports, "list", "width80", fixtureReport(t, false), Options{Knowledge: kb(t), Width: 80})
	var buf bytes.Buffer
	if err := writeReportTable(&buf, fixtureReport(t, false), Options{Knowledge: kb(t), Color: true}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "list", "color.en.table"), buf.Bytes())
}

func TestCheckGolden(t *testing.T) {
	files, err := filepath.Glob("../hostcheck/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostcheck fixtures: %v", err)
	}
	for _, f := range files {
		res := readJSON[*hostcheck.Result](t, f)
		goldenAll(t, Checks, "check", strings.TrimSuffix(filepath.Base(f), ".json"), res, Options{Knowledge: kb(t)})
	}
	// With the port listing of list's fixture.
	res := readJSON[*hostcheck.Result](t, files[0])
	args := []string{"tcp/23", "*", "inetd", "telnet"}
	res.Checks = append(res.Checks, hostcheck.Check{Name: hostcheck.CheckPorts, Verdict: finding.Problem, Summary: "12 reachable service lines", Ports: fixtureReport(t, false),
		Findings: []finding.Finding{
			{Subject: "listening sockets", Verdict: finding.OK, Code: hostcheck.CodePortsSummary, Args: []string{"12"}},
			{Subject: "tcp/23 *", Verdict: finding.Problem, Code: hostcheck.CodePortsDangerous, Args: args},
			{Subject: "tcp/23 *", Verdict: finding.Warning, Code: hostcheck.CodePortsRisky, Args: args},
			{Subject: "tcp/23 *", Verdict: finding.Warning, Code: hostcheck.CodePortsUnknownOwner, Args: args},
			{Subject: "tcp/23 *", Verdict: finding.Problem, Code: hostcheck.CodePortsPolicy, Args: args},
			{Subject: "p.yaml:9", Verdict: finding.Problem, Code: hostcheck.CodePortsPolicyMissing, Args: []string{"tcp/25", "p.yaml:9"}},
		}})
	goldenAll(t, Checks, "check", "with-ports", res, Options{Knowledge: kb(t)})
}

func TestDiffGolden(t *testing.T) {
	files, err := filepath.Glob("../diff/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no diff fixtures: %v", err)
	}
	for _, f := range files {
		r := readJSON[*diff.Result](t, f)
		goldenAll(t, Diffs, "diff", strings.TrimSuffix(filepath.Base(f), ".json"), r, Options{Knowledge: kb(t), Explain: true})
	}
}

func TestExplainGolden(t *testing.T) {
	b := kb(t)
	for _, c := range []struct{ id, os string }{
		{"openssh", ""}, {"x11", "netbsd"}, {"wnn-jserver", "netbsd"}, {"telnet", "netbsd"},
		{"redis", "linux"}, {"inetd", "openbsd"}, {"kubernetes-nodeport", "linux"},
	} {
		e, ok := b.Entry(c.id)
		if !ok {
			t.Fatalf("no entry %s", c.id)
		}
		name := c.id
		if c.os != "" {
			name += "." + c.os
		}
		goldenAll(t, Explanations, "explain", name, []Explanation{e}, Options{Knowledge: b, Platform: c.os})
	}
}

// TestExplainEveryEntry renders every entry in every language and checks
// the parts that must be there.
func TestExplainEveryEntry(t *testing.T) {
	b := kb(t)
	for _, e := range b.Entries() {
		for _, lang := range langs {
			var buf bytes.Buffer
			if err := writeExplainText(&buf, []Explanation{e}, Options{Lang: lang, Knowledge: b}); err != nil {
				t.Fatalf("%s/%s: %v", e.ID, lang, err)
			}
			tx := e.Text(lang)
			for _, part := range []string{e.ID, tx.Description, tx.Risk, tx.Restrict, e.Sources[0], newTexts(lang, b).severity(e.Severity(snapshot.ExposureAll))} {
				if !strings.Contains(buf.String(), part) {
					t.Errorf("%s/%s: explanation lacks %q", e.ID, lang, part)
				}
			}
		}
	}
}

func TestWatchGolden(t *testing.T) {
	for _, format := range Watches.Formats() {
		for _, lang := range langs {
			write, _ := Watches.Writer(format)
			var buf bytes.Buffer
			for _, it := range watchItems() {
				if err := write(&buf, it, Options{Lang: lang, Knowledge: kb(t)}); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, filepath.Join("testdata", "watch", "events."+lang+"."+format), buf.Bytes())
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := fixtureReport(t, true)
	if err := writeReportJSON(&buf, in, Options{}); err != nil {
		t.Fatal(err)
	}
	var out report.Report
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range out.Rows {
		for _, s := range row.Sockets {
			for _, o := range s.Owners {
				found = found || o.Name == "sec\xffond"
			}
		}
	}
	if !found {
		t.Error("non-UTF-8 name lost in JSON")
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"sshd":          "sshd",
		"nginx: worker": "nginx: worker",
		"a\nb":          `a\nb`,
		"a\\b":          `a\\b`,
		"\xff":          `\xff`,
		"\x1b[2J":       `\x1b[2J`,
		"日本語":           "日本語",
		"a\u200bb":      `a\u200bb`,
		"\u009b31m":     `\u009b31m`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegistryRejectsUnknownFormat(t *testing.T) {
	_, err := Reports.Writer("yaml")
	var ue *UnsupportedFormatError
	if err == nil || !strings.Contains(err.Error(), "table, json, csv") || !asUnsupported(err, &ue) {
		t.Errorf("Writer(yaml) error = %v, want an UnsupportedFormatError naming the formats", err)
	}
	if _, err := Watches.Writer("csv"); err == nil || !strings.Contains(err.Error(), "watch") {
		t.Errorf("watch -o csv: %v, want an error naming watch's formats", err)
	}
}

func asUnsupported(err error, target **UnsupportedFormatError) bool {
	e, ok := err.(*UnsupportedFormatError)
	*target = e
	return ok
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"sshd", 10, "sshd"},
		{"abcdefghij", 5, "abcd…"},
		{"日本語のなまえ", 6, "日本…"},
		{"", 3, ""},
	} {
		if got := truncate(tc.in, tc.limit); got != tc.want || cellWidth(got) > tc.limit {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

// TestDNSAnswersWording: a name's answers are worded per server in each
// language, and in English as hostcheck writes them.
func TestDNSAnswersWording(t *testing.T) {
	f := finding.Finding{Code: hostcheck.CodeDNSAnswers, Args: []string{"www.example.org", "192.0.2.53", "192.0.2.80", "2001:db8::53", ""},
		Message: "www.example.org: 192.0.2.53 says 192.0.2.80; 2001:db8::53 says no address"}
	if got, _, _ := newTexts("en", nil).findingTexts(f); got != f.Message {
		t.Errorf("en: %q, want %q", got, f.Message)
	}
	want := "www.example.org: 192.0.2.53 の答えは 192.0.2.80; 2001:db8::53 の答えは アドレスなし"
	if got, _, _ := newTexts("ja", nil).findingTexts(f); got != want {
		t.Errorf("ja: %q, want %q", got, want)
	}
}

// TestResolvConfProblemWording: a flagged resolv.conf line is worded from
// the parser's code, as the parser words it in English.
func TestResolvConfProblemWording(t *testing.T) {
	f := finding.Finding{ReasonCode: "resolv.line.nameserver-not-ip", ReasonArgs: []string{"3", "/etc/resolv.conf", "banana"},
		Reason: `nameserver "banana" is not an IP address`, Hint: "edit line 3 of /etc/resolv.conf (see resolv.conf(5))"}
	if _, reason, hint := newTexts("en", nil).findingTexts(f); reason != f.Reason || hint != f.Hint {
		t.Errorf("en: %q / %q, want %q / %q", reason, hint, f.Reason, f.Hint)
	}
	if _, reason, hint := newTexts("ja", nil).findingTexts(f); reason != `nameserver "banana" は IP アドレスではありません` || !strings.Contains(hint, "/etc/resolv.conf の 3 行目") {
		t.Errorf("ja: %q / %q", reason, hint)
	}
}

// TestInterfaceSentencesInJapanese: the interface findings that are
// sentences (no interface, an address configured twice, an interface
// without address, an expected state) are worded from the catalogue; only
// data (state flags, MTU, addresses) stays as the tools print it.
func TestInterfaceSentencesInJapanese(t *testing.T) {
	p := netip.MustParsePrefix
	ifs := []ifaces.Interface{
		{Index: 2, Name: "eth0", Up: true, Running: true, MTU: 1500, Addrs: []ifaces.Addr{{Prefix: p("192.0.2.10/24")}}},
		{Index: 3, Name: "eth1", Up: true, Running: true, MTU: 1500, Addrs: []ifaces.Addr{{Prefix: p("192.0.2.10/24")}}},
		{Index: 4, Name: "eth2", MTU: 1500},
	}
	fs := append(ifaces.Evaluate(nil), ifaces.Evaluate(ifs)...)
	want := map[string]string{
		"iface.none-found":       "ネットワークインターフェイスが見つかりません",
		"iface.configured-twice": "192.0.2.10 が 2 回設定されています: eth0, eth1",
		"iface.state-no-address": "down mtu 1500 アドレスなし",
	}
	for _, f := range fs {
		msg, _, _ := newTexts("ja", nil).findingTexts(f)
		en, _, _ := newTexts("en", nil).findingTexts(f)
		if en != f.Message {
			t.Errorf("%s: English %q, hostcheck says %q", f.Subject, en, f.Message)
		}
		if w, ok := want[f.Code]; ok {
			if msg != w {
				t.Errorf("%s: ja %q, want %q", f.Code, msg, w)
			}
			delete(want, f.Code)
		}
	}
	for code := range want {
		t.Errorf("no finding with code %s", code)
	}
}

// TestOldGapsSayTheyAreEnglish: a gap saved by an older version without
// its arguments, or with a reason this version has no text for, keeps its
// English detail; in Japanese a note from the catalogue says the detail is
// untranslated English, rather than mixing the languages silently.
func TestOldGapsSayTheyAreEnglish(t *testing.T) {
	old := snapshot.Gap{Area: "owners", Reason: "permission", Count: 2, Detail: "owners of 2 sockets are unknown: run as root"}
	unknown := snapshot.Gap{Area: "owners", Reason: "from-the-future", Detail: "something new"}
	for _, tc := range []struct {
		g      snapshot.Gap
		en, ja string
	}{
		{old, old.Detail, "owners の一部が見えません (permission)。古い版が保存した英語の説明 (未翻訳): " + old.Detail},
		{unknown, unknown.Detail, "owners の一部が見えません (from-the-future)。未翻訳の英語の説明: something new"},
	} {
		if got := newTexts("en", nil).gap(tc.g); got != tc.en {
			t.Errorf("en: %q, want %q", got, tc.en)
		}
		if got := newTexts("ja", nil).gap(tc.g); got != tc.ja {
			t.Errorf("ja: %q, want %q", got, tc.ja)
		}
	}
	// With its arguments the same gap is worded in Japanese throughout.
	withArgs := old
	withArgs.Args = map[string]string{"processes": "pid 1 init", "uids": "0"}
	if got := newTexts("ja", nil).gap(withArgs); strings.Contains(got, old.Detail) || strings.Contains(got, "未翻訳") {
		t.Errorf("ja with args: %q", got)
	}
}

// TestCheckSubjects: the subjects hostcheck words itself are translated;
// an interface or file that happens to bear such a name is not.
func TestCheckSubjects(t *testing.T) {
	ja := newTexts("ja", nil)
	ifc := hostcheck.Check{Name: hostcheck.CheckInterfaces}
	rs := hostcheck.Check{Name: hostcheck.CheckResolvConf}
	for _, tc := range []struct {
		c    hostcheck.Check
		f    finding.Finding
		want string
	}{
		{ifc, finding.Finding{Subject: "interfaces", Code: "iface.none-found"}, "インターフェイス"},
		{ifc, finding.Finding{Subject: "interfaces"}, "interfaces"}, // an interface of that name
		{ifc, finding.Finding{Subject: "eth0 (expected)", Code: "expect.mtu", Args: []string{"eth0", "1500"}}, "eth0 (期待値)"},
		{hostcheck.Check{Name: hostcheck.CheckRoutes}, finding.Finding{Subject: "default IPv6"}, "IPv6 既定経路"},
		{rs, finding.Finding{Subject: "nameserver 192.0.2.53"}, "ネームサーバ 192.0.2.53"},
		{rs, finding.Finding{Subject: "nameserver 1", Code: "resolv.no-file"}, "nameserver 1"}, // --resolv-conf 'nameserver 1'
		{hostcheck.Check{Name: hostcheck.CheckPorts}, finding.Finding{Subject: "listening sockets", Code: hostcheck.CodePortsSummary}, "待ち受けソケット"},
		{ifc, finding.Finding{Subject: "\x1b[2J (expected)", Code: "expect.absent", Args: []string{"\x1b[2J"}}, `\x1b[2J (期待値)`},
	} {
		if got := ja.subject(tc.c, tc.f); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.c.Name, tc.f.Subject, got, tc.want)
		}
		if got, want := newTexts("en", nil).subject(tc.c, tc.f), Escape(tc.f.Subject); got != want {
			t.Errorf("en %q: %q", tc.f.Subject, got)
		}
	}
}

// TestRuneWidthASCII checks runeWidth's shortcut for ASCII against the
// East Asian Width table it skips, and that wide letters still count 2.
func TestRuneWidthASCII(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		k := width.LookupRune(r).Kind()
		if k == width.EastAsianWide || k == width.EastAsianFullwidth || runeWidth(r) != 1 {
			t.Errorf("%U: width %d, kind %v", r, runeWidth(r), k)
		}
	}
	if got := cellWidth("ポート 80"); got != 9 {
		t.Errorf(`cellWidth("ポート 80") = %d, want 9`, got)
	}
}
