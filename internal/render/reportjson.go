package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/openports/openports/internal/report"
)

// writeJSON writes v as indented JSON; what names it in the error.
func writeJSON(w io.Writer, v any, what string) error {
	// Marshal, then Indent: Indent sizes its output once, where an
	// Encoder with SetIndent grows it step by step (a large report was
	// copied over and over). The bytes are the same, newline included.
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return fmt.Errorf("write %s as json: %w", what, err)
	}
	buf.WriteByte('\n')
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
	if bytes.IndexByte(b, 0x7f) < 0 && !hasC1(b) {
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

// hasC1 reports whether b holds a C1 control in UTF-8 (0xc2 0x80–0x9f).
// bytes.IndexByte skips the rest, which is nearly all of a report.
func hasC1(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xc2)
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			return true
		}
		b = b[i+1:]
	}
}

// writeReportJSON writes the report (schema: docs/json.md), with the text
// of every note and finding in the chosen language.
//
// The rows are written one at a time, each encoded and indented on its
// own, into the rest of the report encoded without them: a report of
// 100,000 rows is not held three times over in memory (encoding,
// indentation, escapes). The bytes are those writeJSON would write.
func writeReportJSON(w io.Writer, r *report.Report, o Options) error {
	t := newTexts(o.Lang, o.Knowledge).forReport(r)
	if len(r.Rows) == 0 {
		return writeJSON(w, withTexts(r, t), "report")
	}
	head := headWithTexts(r, t)
	head.Rows = []report.Row{}
	b, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("write report as json: %w", err)
	}
	var doc bytes.Buffer
	if err := json.Indent(&doc, b, "", "  "); err != nil {
		return fmt.Errorf("write report as json: %w", err)
	}
	// The rows' place: the top-level key, alone on its line at depth 1.
	const emptyRows = "\n  \"rows\": []"
	at := bytes.Index(doc.Bytes(), []byte(emptyRows))
	if at < 0 {
		return fmt.Errorf("write report as json: no %q in the report's encoding", emptyRows)
	}
	open := at + len(emptyRows) - 1 // just before the ']'
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(jsonSafe(doc.Bytes()[:open]))
	var row bytes.Buffer
	for i := range r.Rows {
		rb, err := json.Marshal(rowWithTexts(r.Rows[i], t))
		if err != nil {
			return fmt.Errorf("write report as json: row %d: %w", i+1, err)
		}
		row.Reset()
		row.WriteString("\n    ")
		if err := json.Indent(&row, rb, "    ", "  "); err != nil {
			return fmt.Errorf("write report as json: row %d: %w", i+1, err)
		}
		if i < len(r.Rows)-1 {
			row.WriteByte(',')
		}
		bw.Write(jsonSafe(row.Bytes()))
	}
	bw.WriteString("\n  ")
	bw.Write(jsonSafe(doc.Bytes()[open:]))
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report as json: %w", err)
	}
	return nil
}

// withTexts returns a copy of r whose notes and findings carry their text
// in the language of t. r is not modified.
func withTexts(r *report.Report, t texts) *report.Report {
	t = t.forReport(r)
	c := headWithTexts(r, t)
	c.Rows = make([]report.Row, len(r.Rows))
	for i, row := range r.Rows {
		c.Rows[i] = rowWithTexts(row, t)
	}
	return c
}

// rowWithTexts returns a copy of row whose notes and findings carry their
// text in the language of t.
func rowWithTexts(row report.Row, t texts) report.Row {
	row.Notes = append([]report.Note(nil), row.Notes...)
	for k := range row.Notes {
		row.Notes[k].Text = t.note(row.Notes[k])
	}
	row.Findings = append([]report.Finding(nil), row.Findings...)
	for k := range row.Findings {
		row.Findings[k].Message.Text = t.note(row.Findings[k].Message)
	}
	return row
}

// policyTexts is a copy of vs with their messages' texts in t's language.
func policyTexts(vs []report.PolicyViolation, t texts) []report.PolicyViolation {
	if vs == nil {
		return nil
	}
	out := make([]report.PolicyViolation, len(vs))
	for k, v := range vs {
		v.Message.Text = t.note(v.Message)
		out[k] = v
	}
	return out
}

// headWithTexts returns a copy of r, its rows shared, with the language
// and the policy's texts of t (already made for r: texts.forReport).
func headWithTexts(r *report.Report, t texts) *report.Report {
	c := *r
	c.Lang = t.lang
	if r.Policy != nil {
		pr := *r.Policy
		pr.Violations = policyTexts(pr.Violations, t)
		pr.Unproven = policyTexts(pr.Unproven, t)
		c.Policy = &pr
	}
	return &c
}
