// Package render formats a report for people (a table) and for machines
// (JSON). Renderers never compute: everything they print is in the report.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

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
}

// Formats lists the output formats New accepts.
func Formats() []string { return []string{"table", "json"} }

// New returns the renderer for format, or an error naming the formats
// there are.
func New(format string, opt Options) (Renderer, error) {
	switch format {
	case "table", "":
		return Table{Color: opt.Color}, nil
	case "json":
		return JSON{}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (want one of: %s)", format, strings.Join(Formats(), ", "))
}

// JSON writes the report as indented JSON (schema: docs/json.md).
type JSON struct{}

// Render implements Renderer.
func (JSON) Render(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
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
