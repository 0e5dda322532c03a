package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Cell widths: every cell is capped so that one hostile or huge name
// cannot blow a table up; the last column may be longer, and on a
// terminal is cut to what fits.
const (
	maxCellWidth     = 48
	maxLastCellWidth = 400
	minLastCellWidth = 16
)

const (
	ansiBold   = "\x1b[1m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiReset  = "\x1b[0m"
)

// grid is a table being built: cells are escaped when added, capped when
// written.
type grid struct {
	rows    [][]string
	colours []string
}

// add appends a row of cells that are already escaped (callers escape
// outside text as they build a cell; catalogue texts need none).
func (g *grid) add(colour string, cells ...string) {
	g.rows = append(g.rows, cells)
	g.colours = append(g.colours, colour)
}

// write writes the grid aligned, one buffered line at a time: the first
// row is the header. width is the terminal's width, 0 for none.
func (g *grid) write(w io.Writer, colour bool, width int) error {
	if len(g.rows) == 0 {
		return nil
	}
	ncol := 0
	for _, r := range g.rows {
		ncol = max(ncol, len(r))
	}
	widths := make([]int, ncol)
	for _, r := range g.rows {
		for i := range r {
			limit := maxCellWidth
			if i == ncol-1 {
				limit = maxLastCellWidth
			}
			r[i] = truncate(r[i], limit)
			widths[i] = max(widths[i], cellWidth(r[i]))
		}
	}
	if width > 0 {
		used := 0
		for _, x := range widths[:ncol-1] {
			used += x + 2
		}
		if last := max(width-used, minLastCellWidth); last < widths[ncol-1] {
			widths[ncol-1] = last
			for _, r := range g.rows {
				if len(r) == ncol {
					r[ncol-1] = truncate(r[ncol-1], last)
				}
			}
		}
	}
	bw := bufio.NewWriter(w)
	for li, r := range g.rows {
		c := ""
		if colour {
			c = g.colours[li]
		}
		bw.WriteString(c)
		// Pad every cell but the last non-empty one, so that no line
		// ends in spaces.
		last := len(r) - 1
		for last > 0 && r[last] == "" {
			last--
		}
		for i, cell := range r[:last+1] {
			bw.WriteString(cell)
			if i < last {
				bw.WriteString(strings.Repeat(" ", widths[i]-cellWidth(cell)+2))
			}
		}
		if c != "" {
			bw.WriteString(ansiReset)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// truncate cuts s to at most limit terminal columns, ending in "…" when
// cut.
func truncate(s string, limit int) string {
	if limit <= 0 || len(s) <= limit && cellWidth(s) <= limit {
		return s
	}
	if cellWidth(s) <= limit {
		return s
	}
	n := 0
	for i, r := range s {
		rw := runeWidth(r)
		if n+rw > limit-1 {
			return s[:i] + "…"
		}
		n += rw
	}
	return s
}

// lineWriter writes lines of text and remembers the first error, so that
// a writer can print many lines and check once.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

func newLineWriter(w io.Writer) *lineWriter { return &lineWriter{w: bufio.NewWriter(w)} }

func (l *lineWriter) printf(format string, args ...any) {
	if l.err == nil {
		_, l.err = fmt.Fprintf(l.w, format, args...)
	}
}

func (l *lineWriter) line(s string) {
	if l.err == nil {
		_, l.err = l.w.WriteString(s + "\n")
	}
}

// flush writes what is buffered; what names the output in the error.
func (l *lineWriter) flush(what string) error {
	if l.err == nil {
		l.err = l.w.Flush()
	}
	if l.err != nil {
		return fmt.Errorf("write %s: %w", what, l.err)
	}
	return nil
}
