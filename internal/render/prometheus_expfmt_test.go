package render

import (
	"bytes"
	"slices"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// TestPrometheusAsExpfmt: -o prometheus is written byte for byte as
// Prometheus's own library (expfmt) writes the metric families its parser
// reads from it, so that the escaping of label values and HELP texts,
// the numbers and the order are the library's, with hostile names too.
func TestPrometheusAsExpfmt(t *testing.T) {
	uid := uint32(1000)
	hostile := func(name, user string) *report.Report {
		return &report.Report{
			Taken:          "2026-12-02T03:00:00.123456789Z",
			CollectSeconds: 1.0 / 3,
			Tool:           &snapshot.Tool{Name: "openports", Version: `v1 "x" \ y`, Commit: "\\n"},
			Host:           "h\"o\\st",
			Rows: []report.Row{
				{
					Proto: snapshot.TCP, Address: "*", Port: 4444, Exposure: report.ExposureAll, Severity: snapshot.Review,
					Processes:  []report.Process{{PID: 7, Name: name, User: user, UID: &uid}, {PID: 8, Name: "b\\", User: "z"}},
					OwnerState: snapshot.OwnersUnknown,
					Sockets:    []report.Socket{{Socket: snapshot.Socket{OwnerState: snapshot.OwnersUnknown}}, {Socket: snapshot.Socket{OwnerState: snapshot.OwnersPartial}}},
				},
				{
					Proto: snapshot.UDP, Address: "::", Port: 53, Exposure: report.ExposureAddress, Severity: snapshot.Info,
					Processes: []report.Process{{PID: 9, Name: "A", User: "root"}},
				},
			},
		}
	}
	for _, tc := range []struct {
		name string
		rep  func(*testing.T) *report.Report
	}{
		{"fixture", func(t *testing.T) *report.Report { return fixtureReport(t, false) }},
		{"fixture --all", func(t *testing.T) *report.Report { return fixtureReport(t, true) }},
		{"policy", policyReport},
		{"hostile", func(*testing.T) *report.Report {
			return hostile("evil\"} 1\nopenports_view_complete 1 #\\\xff", "a\"l\\ice")
		}},
		{"unicode", func(*testing.T) *report.Report { return hostile("サーバ\u00e9", "ユーザ") }},
		{"empty", func(*testing.T) *report.Report { return &report.Report{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ours bytes.Buffer
			if err := (Prometheus{}).Render(&ours, tc.rep(t)); err != nil {
				t.Fatal(err)
			}
			mfs := parseMetrics(t, ours.Bytes())
			if len(mfs) == 0 {
				t.Fatalf("no metric parsed from:\n%s", ours.String())
			}
			names := make([]string, 0, len(mfs))
			for n := range mfs {
				names = append(names, n)
			}
			slices.Sort(names)
			var theirs bytes.Buffer
			enc := expfmt.NewEncoder(&theirs, expfmt.NewFormat(expfmt.TypeTextPlain))
			for _, n := range names {
				if err := enc.Encode(mfs[n]); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(ours.Bytes(), theirs.Bytes()) {
				t.Errorf("differs from expfmt:\n%s", golden.FirstDiff(theirs.Bytes(), ours.Bytes()))
			}
		})
	}
}
