package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func fixtureReport(t *testing.T, all bool) *report.Report {
	t.Helper()
	return snapshotReport(t, "../analysis/testdata/host.snapshot.json", all)
}

// snapshotReport analyses the snapshot saved at path.
func snapshotReport(t *testing.T, path string, all bool) *report.Report {
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
	return analysis.Build(s, analysis.Options{All: all, Knowledge: kb(t)})
}

func kb(t testing.TB) *knowledge.Base {
	t.Helper()
	b, err := knowledge.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string
		all    bool
		color  bool
		lang   string
	}{
		{"default.table", "table", false, false, "en"},
		{"all.table", "table", true, false, "en"},
		{"color.table", "table", false, true, "en"},
		{"default.json", "json", false, false, "en"},
		{"default.ja.table", "table", false, false, "ja"},
		{"all.ja.table", "table", true, false, "ja"},
		{"default.ja.json", "json", false, false, "ja"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.format, Options{Color: tc.color, Lang: tc.lang, Knowledge: kb(t)})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := r.Render(&buf, fixtureReport(t, tc.all)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name), buf.Bytes())
		})
	}
}

func TestTableIsSafe(t *testing.T) {
	var buf bytes.Buffer
	if err := (Table{Knowledge: kb(t)}).Render(&buf, fixtureReport(t, true)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Error("table without colour contains an escape character (from a process name?)")
	}
	if !strings.Contains(out, `odd\nname \x1b[31m (4100)`) || !strings.Contains(out, `sec\xffond (4200)`) {
		t.Errorf("odd names not escaped as expected:\n%s", out)
	}
	rows := len(fixtureReport(t, true).Rows)
	if n := strings.Count(out, "\n"); n != rows+3 { // header, rows, summary, one gap
		t.Errorf("table has %d lines, want %d: a name broke a line?\n%s", n, rows+3, out)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := fixtureReport(t, true)
	if err := (JSON{}).Render(&buf, in); err != nil {
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
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRejectsUnknownFormat(t *testing.T) {
	_, err := New("yaml", Options{})
	if err == nil || !strings.Contains(err.Error(), "table, json") {
		t.Errorf("New(yaml) error = %v, want one naming the formats", err)
	}
}
