package hostcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/openports/openports/internal/hostcheck/finding"
)

// WriteJSON writes the result as one JSON object whose "checks" array holds
// one object per check.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode check result: %w", err)
	}
	return nil
}

// WriteText writes the result for people: one section per check with its
// verdict, then one line per finding, with the reason and what to look at
// under each finding that is not ok. The port listing itself is rendered
// by the caller after this (it has its own renderer).
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	for _, c := range r.Checks {
		ew.printf("== %s: %s (%s)\n", c.Name, strings.ToUpper(string(c.Verdict)), c.Summary)
		width := 0
		for _, f := range c.Findings {
			width = max(width, len(f.Subject))
		}
		width = min(width, 32)
		for _, f := range c.Findings {
			ew.printf("  %-7s  %-*s  %s\n", f.Verdict, width, f.Subject, oneLine(f.Message))
			if f.Verdict == finding.OK {
				continue
			}
			pad := strings.Repeat(" ", 2+7+2)
			if f.Reason != "" {
				ew.printf("%swhy:      %s\n", pad, oneLine(f.Reason))
			}
			if f.Expected != "" || f.Actual != "" {
				ew.printf("%sexpected: %s\n%sactual:   %s\n", pad, oneLine(f.Expected), pad, oneLine(f.Actual))
			}
			if f.Hint != "" {
				ew.printf("%slook at:  %s\n", pad, oneLine(f.Hint))
			}
		}
		for _, g := range c.Gaps {
			ew.printf("  %-7s  %s\n", "gap", oneLine(g.Detail))
		}
	}
	var p, wn, g int
	for _, c := range r.Checks {
		switch c.Verdict {
		case finding.Problem:
			p++
		case finding.Warning:
			wn++
		}
		if len(c.Gaps) > 0 {
			g++
		}
	}
	ew.printf("%d checks: %d with problems, %d with warnings, %d incomplete; exit %d\n", len(r.Checks), p, wn, g, r.ExitCode)
	return ew.err
}

// oneLine keeps a field on its line: control characters from files or
// tools are shown escaped, never sent to the terminal.
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	if _, err := fmt.Fprintf(e.w, format, args...); err != nil {
		e.err = fmt.Errorf("write check result: %w", err)
	}
}
