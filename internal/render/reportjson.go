package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/openports/openports/internal/report"
)

// writeJSON writes v as indented JSON; what names it in the error.
func writeJSON(w io.Writer, v any, what string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	if _, err := w.Write(jsonSafe(buf.Bytes())); err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	return nil
}

// writeJSONLine writes v as one JSON object on one line (a stream of
// events).
func writeJSONLine(w io.Writer, v any, what string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	if _, err := w.Write(append(jsonSafe(b), '\n')); err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	return nil
}

// jsonSafe escapes the control characters encoding/json leaves raw: DEL
// and the C1 controls U+0080–U+009F (a terminal may take U+009B for CSI).
// They can only occur inside JSON strings, where \u escapes mean the same.
func jsonSafe(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); i++ {
		if b[i] == 0x7f || b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0x7f:
			out = append(out, `\u007f`...)
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
		default:
			out = append(out, b[i])
		}
	}
	return out
}

// writeReportJSON writes the report (schema: docs/json.md), with the text
// of every note and finding in the chosen language.
func writeReportJSON(w io.Writer, r *report.Report, o Options) error {
	return writeJSON(w, withTexts(r, newTexts(o.Lang, o.Knowledge)), "report")
}

// withTexts returns a copy of r whose notes and findings carry their text
// in the language of t. r is not modified.
func withTexts(r *report.Report, t texts) *report.Report {
	t = t.forReport(r)
	c := *r
	c.Lang = t.lang
	c.Rows = make([]report.Row, len(r.Rows))
	for i, row := range r.Rows {
		row.Notes = append([]report.Note(nil), row.Notes...)
		for k := range row.Notes {
			row.Notes[k].Text = t.note(row.Notes[k])
		}
		row.Findings = append([]report.Finding(nil), row.Findings...)
		for k := range row.Findings {
			row.Findings[k].Message.Text = t.note(row.Findings[k].Message)
		}
		c.Rows[i] = row
	}
	if r.Policy != nil {
		pr := *r.Policy
		pr.Violations = append([]report.PolicyViolation(nil), pr.Violations...)
		for k := range pr.Violations {
			pr.Violations[k].Message.Text = t.note(pr.Violations[k].Message)
		}
		c.Policy = &pr
	}
	return &c
}
