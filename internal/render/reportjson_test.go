package render

import (
	"bytes"
	"testing"

	"github.com/openports/openports/internal/report"
)

func TestJSONSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{"{\"a\":\"x\x7fy\"}", `{"a":"x\u007fy"}`},
		{"{\"a\":\"\u009b31m\"}", `{"a":"\u009b31m"}`},            // CSI as a C1 control
		{"{\"a\":\"\u00a0\u0080\"}", "{\"a\":\"\u00a0\\u0080\"}"}, // NBSP (0xc2 0xa0) stays
		{"{\"a\":\"\u00e9\u0085\u007f\"}", "{\"a\":\"\u00e9\\u0085\\u007f\"}"},
		{"\xc2", "\xc2"}, // a lone lead byte at the end is no C1 control
	}
	for _, tt := range tests {
		if got := string(jsonSafe([]byte(tt.in))); got != tt.want {
			t.Errorf("jsonSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The report's JSON is written row by row (writeReportJSON); the bytes
// must be those of the whole report encoded at once (writeJSON), in every
// language, with and without rows, with a policy's violations.
func TestReportJSONRowByRow(t *testing.T) {
	empty := fixtureReport(t, false)
	empty.Rows = nil
	reports := map[string]*report.Report{
		"all":    fixtureReport(t, true),
		"public": fixtureReport(t, false),
		"policy": policyReport(t),
		"empty":  empty,
	}
	for name, r := range reports {
		for _, lang := range []string{"en", "ja"} {
			o := Options{Lang: lang, Knowledge: kb(t)}
			var whole, rows bytes.Buffer
			if err := writeJSON(&whole, withTexts(r, newTexts(o.Lang, o.Knowledge)), "report"); err != nil {
				t.Fatal(err)
			}
			if err := writeReportJSON(&rows, r, o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(whole.Bytes(), rows.Bytes()) {
				t.Errorf("%s/%s: row by row differs from the whole report:\n%s\nwant:\n%s", name, lang, rows.Bytes(), whole.Bytes())
			}
			if name != "empty" && !bytes.Contains(rows.Bytes(), []byte("\n    {\n      \"")) {
				t.Errorf("%s/%s: no row in the output", name, lang)
			}
		}
	}
}
