package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// policyReport is the fixture host checked against a policy made from the
// same host without its first row, so that the row is a violation.
func policyReport(t *testing.T) *report.Report {
	t.Helper()
	full := fixtureReport(t, true)
	less := *full
	less.Rows = full.Rows[1:]
	policy.Apply(policy.FromReport(&less, "p.yaml"), full)
	if full.Policy == nil || len(full.Policy.Violations) == 0 {
		t.Fatal("the fixture policy finds no violation")
	}
	full.Tool = &snapshot.Tool{Name: "openports", Version: "1.2.3", Commit: "0123abc"}
	full.MachineID = "d4e42882eac740503fe9f5917f633623"
	full.CollectSeconds = 0.0125
	return full
}

func parseMetrics(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the output does not parse as the text format: %v\n%s", err, text)
	}
	return mfs
}

func TestPrometheusGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  func(*testing.T) *report.Report
	}{
		{"default.prom", func(t *testing.T) *report.Report { return fixtureReport(t, false) }},
		{"policy.prom", policyReport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write, err := Reports.Writer(FormatPrometheus)
			if err != nil {
				t.Fatal(err)
			}
			rep := tc.rep(t)
			var buf bytes.Buffer
			if err := write(&buf, rep, Options{}); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name), buf.Bytes())
			mfs := parseMetrics(t, buf.Bytes())
			// One listener_info series per row (rows differ in at least
			// one label here), and the per-exposure counts add up.
			if got := len(mfs["openports_listener_info"].GetMetric()); got != len(rep.Rows) {
				t.Errorf("%d listener_info series, want %d (one per row)", got, len(rep.Rows))
			}
			var sum float64
			for _, m := range mfs["openports_listeners"].GetMetric() {
				sum += m.GetGauge().GetValue()
			}
			if int(sum) != len(rep.Rows) {
				t.Errorf("openports_listeners add up to %v, want %d", sum, len(rep.Rows))
			}
			wantComplete := 0.0
			if rep.Complete {
				wantComplete = 1
			}
			if v := mfs["openports_view_complete"].GetMetric()[0].GetGauge().GetValue(); v != wantComplete {
				t.Errorf("openports_view_complete = %v, want %v", v, wantComplete)
			}
			_, hasPolicy := mfs["openports_policy_violations"]
			if hasPolicy != (rep.Policy != nil) {
				t.Errorf("openports_policy_violations present = %v with policy %v", hasPolicy, rep.Policy != nil)
			}
			for _, m := range mfs["openports_listener_info"].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "pid" {
						t.Errorf("a PID label: %v", m)
					}
				}
			}
			promtoolCheckMetrics(t, buf.Bytes())
		})
	}
}

// promtoolCheckMetrics runs Prometheus's own linter on the output.
func promtoolCheckMetrics(t *testing.T, text []byte) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed (Debian package prometheus, scripts/test-deps.sh): not linted")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestPrometheusHostileNames: a process name any user can choose (quotes,
// backslashes, a newline, bytes that are not UTF-8) must neither break the
// text format nor be lost.
func TestPrometheusHostileNames(t *testing.T) {
	name := "evil\"} 1\nopenports_view_complete 1 #\\\xff"
	uid := uint32(1000)
	rep := &report.Report{
		Taken: "2026-12-02T03:00:00Z",
		Rows: []report.Row{{
			Proto: snapshot.TCP, Address: "*", Port: 4444, Exposure: report.ExposureAll, Severity: snapshot.Review,
			Processes:  []report.Process{{PID: 7, Name: name, User: "alice", UID: &uid}},
			OwnerState: snapshot.OwnersComplete,
		}},
	}
	var buf bytes.Buffer
	if err := (Prometheus{}).Render(&buf, rep); err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, buf.Bytes())
	if v := mfs["openports_view_complete"].GetMetric(); len(v) != 1 || v[0].GetGauge().GetValue() != 0 {
		t.Errorf("the process name injected a sample: %v", v)
	}
	var process string
	for _, l := range mfs["openports_listener_info"].GetMetric()[0].GetLabel() {
		if l.GetName() == "process" {
			process = l.GetValue()
		}
	}
	if want := Escape(name); process != want {
		t.Errorf("process label = %q, want %q", process, want)
	}
	if strings.Count(buf.String(), "\nopenports_view_complete") != 1 {
		t.Errorf("output:\n%s", buf.String())
	}
	promtoolCheckMetrics(t, buf.Bytes())
}

// TestPrometheusEphemeral: a port in the ephemeral range is labelled
// "ephemeral" unless asked, so that restarts do not make new series.
func TestPrometheusEphemeral(t *testing.T) {
	rep := &report.Report{Rows: []report.Row{{
		Proto: snapshot.UDP, Address: "*", Port: 41234, Exposure: report.ExposureAll, Severity: snapshot.Review,
		Findings: []report.Finding{{Rule: "ephemeral-bound", Severity: snapshot.Review}},
	}}}
	for _, tc := range []struct {
		opt  Prometheus
		want string
	}{{Prometheus{}, "ephemeral"}, {Prometheus{EphemeralPorts: true}, "41234"}} {
		var buf bytes.Buffer
		if err := tc.opt.Render(&buf, rep); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `port="`+tc.want+`"`) {
			t.Errorf("EphemeralPorts=%v: no port=%q in\n%s", tc.opt.EphemeralPorts, tc.want, buf.String())
		}
	}
}

// TestPrometheusTextfile: the file is replaced whole and readable by
// node_exporter's user, and no temporary file stays behind.
func TestPrometheusTextfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openports.prom")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := fixtureReport(t, false)
	if err := WriteTextfile(path, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := (Prometheus{}).Render(&want, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("textfile differs from -o prometheus:\n%s", golden.FirstDiff(want.Bytes(), got))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
	if err := WriteTextfile(filepath.Join(dir, "missing", "x.prom"), rep, Options{}); err == nil {
		t.Error("no error for a directory that does not exist")
	}
}

// TestPrometheusInvalidLabelValue: a label value that is not UTF-8 (the
// text format cannot carry it) is an error, as a registry would make it,
// never a malformed file. Outside text is escaped first, so only a value
// the report did not escape can get here.
func TestPrometheusInvalidLabelValue(t *testing.T) {
	rep := &report.Report{Rows: []report.Row{{
		Proto: snapshot.TCP, Address: "*", Port: 22, Exposure: report.ExposureAll, Severity: snapshot.Review,
		Service: "ssh\xff",
	}}}
	var buf bytes.Buffer
	err := (Prometheus{}).Render(&buf, rep)
	if err == nil || !strings.Contains(err.Error(), "service") {
		t.Errorf("err = %v, want an invalid value of the service label", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q before the error", buf.String())
	}
}

// TestPrometheusPolicyUnproven: a listener a rule allows only for sshd,
// whose owner could not be seen, is a series of
// openports_policy_unproven_info (the alert OpenportsPolicyOwnerUnseen),
// not a violation.
func TestPrometheusPolicyUnproven(t *testing.T) {
	pol, err := policy.Parse([]byte("version: 1\nallow:\n  - proto: tcp\n    port: 22\n    exposure: all\n    process: sshd\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{
		Taken: "2026-12-02T03:00:00Z",
		Rows: []report.Row{{Proto: snapshot.TCP, Address: "*", Port: 22, Exposure: report.ExposureAll, Severity: snapshot.Review,
			OwnerState: snapshot.OwnersUnknown}},
	}
	policy.Apply(pol, rep)
	var buf bytes.Buffer
	if err := (Prometheus{}).Render(&buf, rep); err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, buf.Bytes())
	series := mfs["openports_policy_unproven_info"].GetMetric()
	if len(series) != 1 {
		t.Fatalf("openports_policy_unproven_info: %d series, want 1\n%s", len(series), buf.Bytes())
	}
	labels := map[string]string{}
	for _, l := range series[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	want := map[string]string{"kind": "owner-unknown", "proto": "tcp", "address": "*", "port": "22", "exposure": "all", "allowed": "process sshd"}
	if !reflect.DeepEqual(labels, want) || series[0].GetGauge().GetValue() != 1 {
		t.Errorf("series %v = %v, want %v = 1", labels, series[0].GetGauge().GetValue(), want)
	}
	for _, m := range mfs["openports_policy_violations"].GetMetric() {
		if m.GetGauge().GetValue() != 0 {
			t.Errorf("a violation counted: %v", m)
		}
	}
}

// TestMetricsDocumented: every metric a golden -o prometheus output names
// has its row in docs/fleet.md's metrics table. openports_raw_sockets had
// none.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/*/*.prometheus")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden prometheus outputs: %v", err)
	}
	more, _ := filepath.Glob("testdata/*.prom")
	seen := map[string]bool{}
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 3 || fields[0] != "#" || fields[1] != "HELP" || seen[fields[2]] {
				continue
			}
			seen[fields[2]] = true
			if !bytes.Contains(doc, []byte("| `"+fields[2]+"` |")) {
				t.Errorf("docs/fleet.md has no row for %s (named in %s)", fields[2], f)
			}
		}
	}
}
