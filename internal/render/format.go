// Package render holds every writer of every command, for people (tables,
// text) and for machines (JSON, CSV): it formats typed results and
// computes nothing. Every text comes from one message catalogue in English
// and Japanese (catalogue.go), every piece of outside text (process names,
// users, host and interface names, file content) goes through Escape, and
// every command picks its writer by -o from a registry of the formats it
// supports (this file).
//
// A new format is one file: a writer function and an init that registers
// it with the registries of the results it can write, e.g.
//
//	func init() { Reports.Register("prometheus", writeReportPrometheus) }
package render

import (
	"cmp"
	"io"
	"slices"
	"strings"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/watchpolicy"
)

// The formats openports writes; -o names one.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
	// FormatPrometheus is the Prometheus text exposition format (prometheus.go).
	FormatPrometheus = "prometheus"
)

// Options are what writers need beyond the result.
type Options struct {
	// Color enables ANSI colour (only ever on a terminal).
	Color bool
	// Lang is the language of human texts: "en" (default) or "ja".
	Lang string
	// Knowledge supplies the texts of services and findings; nil prints
	// their keys.
	Knowledge *knowledge.Base
	// Explain adds, under a table, why each service found matters and how
	// to restrict it.
	Explain bool
	// Width is the terminal's width in columns; 0 means no limit (not a
	// terminal). A table is fitted to it by cutting its last column.
	Width int
	// Platform is the GOOS whose stop commands an explanation shows; ""
	// for every platform.
	Platform string
	// EphemeralPorts keeps ports in the ephemeral range as metric labels
	// (-o prometheus).
	EphemeralPorts bool
}

// Writer writes one result of type T in one format.
type Writer[T any] func(w io.Writer, v T, o Options) error

// Registry is the set of formats one kind of result can be written in.
type Registry[T any] struct {
	what    string
	order   []string
	writers map[string]Writer[T]
}

// NewRegistry returns an empty registry for results described by what
// ("list", "diff"), used in its error messages.
func NewRegistry[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, writers: map[string]Writer[T]{}}
}

// Register adds a format. Registering a format twice is a programming
// error.
func (r *Registry[T]) Register(format string, w Writer[T]) {
	if _, dup := r.writers[format]; dup {
		panic("render: format " + format + " registered twice for " + r.what)
	}
	r.writers[format] = w
	r.order = append(r.order, format)
}

// Formats lists the registered formats: table, json and csv first (the
// order people read them in), then the others by name, so that the list
// does not depend on which file's init ran first.
func (r *Registry[T]) Formats() []string {
	out := append([]string(nil), r.order...)
	rank := func(f string) int {
		switch f {
		case FormatTable:
			return 0
		case FormatJSON:
			return 1
		case FormatCSV:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// Writer returns the writer of format ("" is the table), or an
// *UnsupportedFormatError naming the formats there are.
func (r *Registry[T]) Writer(format string) (Writer[T], error) {
	if format == "" {
		format = FormatTable
	}
	if w, ok := r.writers[format]; ok {
		return w, nil
	}
	return nil, &UnsupportedFormatError{Format: format, Command: r.what, Supported: r.Formats()}
}

// UnsupportedFormatError is a -o its command cannot write: a usage error.
type UnsupportedFormatError struct {
	Format    string
	Command   string
	Supported []string
}

func (e *UnsupportedFormatError) Error() string { return e.Text("en") }

// Text is the error in lang.
func (e *UnsupportedFormatError) Text(lang string) string {
	return Text(lang, MsgUsageUnknownFormat, e.Command, Escape(e.Format), strings.Join(e.Supported, ", "))
}

// Explanation is one knowledge-base entry for `openports explain`.
type Explanation = *knowledge.Entry

// The registries of every command's results. Each format's file registers
// its writers with the ones it supports.
var (
	// Reports are list, analyze and the port listing of check.
	Reports = NewRegistry[*report.Report]("list")
	// Checks are the checklist of check.
	Checks = NewRegistry[*hostcheck.Result]("check")
	// Diffs are the comparisons of diff.
	Diffs = NewRegistry[*diff.Result]("diff")
	// Explanations are the entries of explain.
	Explanations = NewRegistry[[]Explanation]("explain")
	// Watches are the event streams of watch: the writer is called once
	// per event and once for the summary.
	Watches = NewRegistry[WatchItem]("watch")
	// Violations are the lines of watch --policy.
	Violations = NewRegistry[watchpolicy.Violation]("watch --policy")
)

// AllFormats lists every format some command writes, for --help.
func AllFormats() []string {
	var out []string
	seen := map[string]bool{}
	for _, fs := range [][]string{Reports.Formats(), Checks.Formats(), Diffs.Formats(), Explanations.Formats(), Watches.Formats(), Violations.Formats()} {
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}
