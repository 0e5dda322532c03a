package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
	"github.com/openports/openports/internal/watchpolicy"
)

// hostile is what an unprivileged user can name a process (or a host,
// an interface, a file's line) to drive the terminal of whoever reads
// openports' output: SGR, an OSC title ended by BEL, a C1 CSI, a newline,
// a carriage return, DEL, bytes that are not UTF-8, and 100 KB of padding.
// Every outside string gets the control part; one name of each result,
// and the host, the 100 KB one (more would only slow the test down).
var (
	hostileShort = "\x1b[31mred\x1b]0;owned\x07\u009b2J\nnew line\rcr\x7fdel\xff\xfe"
	hostile      = hostileShort + strings.Repeat("A", 100*1024)
)

func hostileSnapshot(t testing.TB) *snapshot.Snapshot {
	s := readSnapshot(t, "../analysis/testdata/host.snapshot.json")
	s.Host = hostile
	for i := range s.Sockets {
		so := &s.Sockets[i]
		so.User = hostileShort
		for k := range so.Owners {
			so.Owners[k].Name = hostileShort
			so.Owners[k].User = hostileShort
		}
		if so.OwnerState != snapshot.OwnersComplete {
			so.OwnerReason = hostileShort
		}
	}
	for i := range s.Sockets {
		if len(s.Sockets[i].Owners) > 0 {
			s.Sockets[i].Owners[0].Name = hostile
			break
		}
	}
	for i := range s.Interfaces {
		s.Interfaces[i].Name = hostileShort
	}
	s.Gaps = append(s.Gaps, snapshot.Gap{Area: "owners", Reason: "something-new", Detail: hostile, Args: map[string]string{"x": hostile}})
	return s
}

func hostileReport(t testing.TB) *report.Report {
	r := analysis.Build(hostileSnapshot(t), analysis.Options{All: true, Knowledge: kb(t)})
	r.Outside = &report.Outside{Scanner: hostile, Started: hostile, NotScanned: 1, Ports: []report.OutsidePort{
		{Address: hostile, Proto: hostileShort, Port: 1, State: hostile, Join: report.OutsidePublished, PublishedTo: hostile, Service: hostile, Firewall: firewall.Verdict(hostile)},
		{Address: hostileShort, Proto: "tcp", Port: 2, State: "open", Join: hostile},
	}}
	r.Rows[0].Firewall = &report.Firewall{Verdict: firewall.Partly, OpenOn: []report.OpenWhere{{Interface: hostile, IP: hostile, DNAT: true, SomeSources: true}},
		Reasons: []firewall.Reason{firewall.NewReason(firewall.ReasonCondition, map[string]string{"what": hostile}), {Code: hostile, Detail: hostile}}}
	r.Rows[1].Firewall = &report.Firewall{Verdict: firewall.Verdict(hostile), Reasons: []firewall.Reason{
		firewall.NewReason(firewall.ReasonBackendUnread, map[string]string{"backend": hostile, "error": hostile})}}
	r.NATBackends = []string{hostile, hostileShort}
	r.Policy = &report.PolicyResult{File: hostile, Rules: 1, Violations: []report.PolicyViolation{
		{Kind: report.PolicyMissing, Proto: "tcp", Port: 1, Message: report.Note{Key: "policy.missing", Args: []string{hostile, hostile}}},
	}, Unproven: []report.PolicyViolation{
		{Kind: report.PolicyOwnerUnknown, Proto: "tcp", Port: 2, Message: report.Note{Key: "policy.owner-unknown", Args: []string{hostile, hostile, hostile, hostile, "pid-namespace", hostile, hostile}}},
	}}
	return r
}

func hostileCheck(t testing.TB) *hostcheck.Result {
	f := finding.Finding{Subject: hostile, Verdict: finding.Problem, Message: hostile, Reason: hostile, Hint: hostile, Expected: hostile, Actual: hostile}
	return &hostcheck.Result{Host: hostile, Checks: []hostcheck.Check{
		{Name: hostcheck.CheckInterfaces, Verdict: finding.Problem, Summary: hostile, Findings: []finding.Finding{f},
			Gaps: []snapshot.Gap{{Area: "interfaces", Reason: "x", Detail: hostile}}},
		{Name: hostcheck.CheckPorts, Verdict: finding.OK, Summary: hostile, Ports: hostileReport(t)},
	}}
}

func hostileDiff(t testing.TB) *diff.Result {
	a := readSnapshot(t, "../analysis/testdata/host.snapshot.json")
	return diff.Compare(a, hostileSnapshot(t), diff.Options{})
}

func hostileWatch() []WatchItem {
	uid := uint32(1000)
	owners := []snapshot.Owner{{PID: 42, Name: hostile, User: hostile, UID: &uid}}
	ev := watch.Event{Time: time.Unix(1700000000, 0), Kind: watch.New, Proto: snapshot.UDP, Local: netip.MustParseAddrPort("192.0.2.1:40000"),
		NetNSName: hostile, User: hostile, Owners: owners, OwnerState: snapshot.OwnersComplete, OwnerReason: hostile, SeenBy: hostile}
	changed := ev
	changed.Kind, changed.Previous = watch.OwnerChanged, owners
	sum := watch.Summary{Mode: hostile, Errors: map[string]int{hostile: 3}, Policy: &watch.PolicyCounts{File: hostile}}
	return []WatchItem{{Start: &WatchStart{Mode: hostile, NetNS: hostile}}, {Explain: true}, {Event: &ev}, {Event: &changed}, {Summary: &sum}}
}

// checkClean fails when out holds a control byte other than a line end,
// a C1 control, or bytes that are not UTF-8. CSV ends lines in CRLF.
func checkClean(t *testing.T, what string, out []byte, csv bool) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '\n':
		case c == '\r' && csv && i+1 < len(out) && out[i+1] == '\n':
		case c < 0x20 || c == 0x7f:
			t.Errorf("%s: control byte %#x at %d: %q", what, c, i, context(out, i))
			return
		}
	}
	if !utf8.Valid(out) {
		t.Errorf("%s: output is not UTF-8", what)
	}
	for i, r := range string(out) {
		if r >= 0x80 && r <= 0x9f {
			t.Errorf("%s: C1 control %U at %d: %q", what, r, i, context(out, i))
			return
		}
	}
}

func context(b []byte, i int) []byte { return b[max(0, i-20):min(len(b), i+20)] }

// writeAll writes v in every format and language of reg and checks each
// output with check.
func writeAll[T any](t *testing.T, reg *Registry[T], items []T, check func(t *testing.T, what string, out []byte)) {
	for _, format := range reg.Formats() {
		for _, lang := range langs {
			write, err := reg.Writer(format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for _, v := range items {
				if err := write(&buf, v, Options{Lang: lang, Knowledge: kb(t), Explain: true, Color: false, Width: 80}); err != nil {
					t.Fatal(err)
				}
			}
			what := reg.what + " -o " + format + " --lang " + lang
			checkClean(t, what, buf.Bytes(), format == FormatCSV)
			check(t, what, buf.Bytes())
		}
	}
}

func TestHostileNames(t *testing.T) {
	// Tables and text cap what they show of one name; JSON keeps it whole.
	bounded := func(limit int) func(t *testing.T, what string, out []byte) {
		return func(t *testing.T, what string, out []byte) {
			if strings.Contains(what, "-o json") || strings.Contains(what, "-o csv") {
				return
			}
			if len(out) > limit {
				t.Errorf("%s: %d bytes of output: a 100 KB name was not capped", what, len(out))
			}

		}
	}
	t.Run("list", func(t *testing.T) { writeAll(t, Reports, []*report.Report{hostileReport(t)}, bounded(20_000)) })
	t.Run("check", func(t *testing.T) { writeAll(t, Checks, []*hostcheck.Result{hostileCheck(t)}, bounded(30_000)) })
	t.Run("diff", func(t *testing.T) { writeAll(t, Diffs, []*diff.Result{hostileDiff(t)}, bounded(10_000)) })
	t.Run("watch", func(t *testing.T) { writeAll(t, Watches, hostileWatch(), bounded(10_000)) })
	t.Run("watch --policy", func(t *testing.T) {
		v := watchpolicy.Violation{Time: time.Unix(1700000000, 0), Event: watchpolicy.EventName, Host: hostile, Kind: hostileShort, Proto: hostileShort,
			Address: hostile, Exposure: hostileShort, Program: hostile, Unit: hostile, User: hostile, Rule: hostile, Key: hostile, Message: hostile}
		owner := v
		owner.Kind = report.PolicyOwner
		unseen := v
		unseen.Kind, unseen.Program, unseen.Allowed, unseen.OwnerReason = watchpolicy.KindOwnerUnknown, "", hostile, hostile
		reach := v
		reach.Kind, reach.ExposureReason = watchpolicy.KindExposureUnknown, hostile
		writeAll(t, Violations, []watchpolicy.Violation{v, owner, unseen, reach}, bounded(10_000))
	})
	// explain prints the knowledge base only, no outside text: every
	// entry in every format and language must still be clean.
	t.Run("explain", func(t *testing.T) {
		var all []Explanation
		for _, e := range kb(t).Entries() {
			all = append(all, e)
		}
		writeAll(t, Explanations, [][]Explanation{all}, func(*testing.T, string, []byte) {})
	})
}

// TestTableCapsRows: one 100 KB name on 2,000 rows must not pad every row
// to 100 KB.
func TestTableCapsRows(t *testing.T) {
	r := &report.Report{}
	for i := range 2000 {
		r.Rows = append(r.Rows, report.Row{Proto: snapshot.TCP, Address: "*", Port: uint16(i + 1), Processes: []report.Process{{PID: i + 1, Name: "x"}}})
	}
	r.Rows[0].Processes[0].Name = strings.Repeat("A", 100*1024)
	var buf bytes.Buffer
	if err := writeReportTable(&buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2001*200 {
		t.Errorf("%d bytes for 2,000 rows", buf.Len())
	}
	if !strings.Contains(buf.String(), "AAA…") {
		t.Error("the long name is not cut with …")
	}
}

// FuzzTable writes a table of one row whose cells are fuzzed: its lines
// must stay one per row, free of control bytes, and within the caps.
func FuzzTable(f *testing.F) {
	for _, s := range []string{"sshd", "\x1b[2J", "日本語", "a\nb", "\xff", hostile[:64]} {
		f.Add(s, s, 80)
	}
	f.Fuzz(func(t *testing.T, name, user string, width int) {
		if width < 0 || width > 1000 {
			width = 0
		}
		r := &report.Report{Rows: []report.Row{{Proto: snapshot.TCP, Address: name, Port: 1, Interface: name, Exposure: snapshot.ExposureAddress,
			Processes: []report.Process{{PID: 1, Name: name, User: user}}, Notes: []report.Note{{Key: "truncated", Args: []string{user}}}}}}
		var buf bytes.Buffer
		if err := writeReportTable(&buf, r, Options{Width: width, Lang: "ja"}); err != nil {
			t.Fatal(err)
		}
		checkClean(t, "table", buf.Bytes(), false)
		lines := strings.Split(buf.String(), "\n")
		if len(lines) != 4 { // header, row, summary, ""
			t.Fatalf("%d lines:\n%s", len(lines), buf.String())
		}
		if w := cellWidth(lines[1]); w > 10*maxCellWidth+maxLastCellWidth+20 {
			t.Errorf("row is %d columns wide", w)
		}
	})
}
