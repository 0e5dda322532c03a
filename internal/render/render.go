// Package render formats a report for people (a table) and for machines
// (JSON). Renderers never compute: everything they print is in the report.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
)

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *report.Report) error
}

// Options tune the renderers that have choices.
type Options struct {
	// Color enables ANSI colour in the table.
	Color bool
	// Lang is the language of human texts: "en" (default) or "ja".
	Lang string
	// Knowledge supplies the texts of services and findings; nil prints
	// their keys.
	Knowledge *knowledge.Base
	// Explain adds, under the table, why each service found matters and
	// how to restrict it.
	Explain bool
	// EphemeralPorts keeps ports in the ephemeral range as metric labels
	// (-o prometheus).
	EphemeralPorts bool
}

// Formats lists the output formats New accepts.
func Formats() []string { return []string{"table", "json", "prometheus"} }

// New returns the renderer for format, or an error naming the formats
// there are.
func New(format string, opt Options) (Renderer, error) {
	switch format {
	case "table", "":
		return Table{Color: opt.Color, Lang: opt.Lang, Knowledge: opt.Knowledge, Explain: opt.Explain}, nil
	case "json":
		return JSON{Lang: opt.Lang, Knowledge: opt.Knowledge}, nil
	case "prometheus":
		return Prometheus{EphemeralPorts: opt.EphemeralPorts}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (want one of: %s)", format, strings.Join(Formats(), ", "))
}

// JSON writes the report as indented JSON (schema: docs/json.md), with the
// text of every note and finding in Lang.
type JSON struct {
	Lang      string
	Knowledge *knowledge.Base
}

// Render implements Renderer.
func (j JSON) Render(w io.Writer, r *report.Report) error {
	r = withTexts(r, newTexts(j.Lang, j.Knowledge))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// withTexts returns a copy of r whose notes and findings carry their text
// in the language of t. r is not modified.
func withTexts(r *report.Report, t texts) *report.Report {
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

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
