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
	maxCellWidth     = 64
	maxLastCellWidth = 400
	minLastCellWidth = 16
	minCellWidth     = 8
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
		fit(widths, width)
		for _, r := range g.rows {
			for i := range r {
				r[i] = truncate(r[i], widths[i])
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

// fit narrows columns so that a line fits width terminal columns: the
// widest column is cut one column at a time (NOTE, usually), none below
// minCellWidth and the last not below minLastCellWidth. What still does
// not fit is left to the terminal to wrap.
func fit(widths []int, width int) {
	last := len(widths) - 1
	total := 2 * last
	for _, w := range widths {
		total += w
	}
	for total > width {
		widest := -1
		for i, w := range widths {
			floor := minCellWidth
			if i == last {
				floor = minLastCellWidth
			}
			if w > floor && (widest < 0 || w > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		widths[widest]--
		total--
	}
}

// truncate cuts s to at most limit terminal columns, ending in "…" when
// cut. It reads no further than the cut, so capping a huge name is cheap.
func truncate(s string, limit int) string {
	if limit <= 0 || len(s) <= limit && isNarrow(s) {
		return s
	}
	n, cut := 0, -1
	for i, r := range s {
		rw := runeWidth(r)
		if cut < 0 && n+rw > limit-1 {
			cut = i
		}
		if n+rw > limit {
			return s[:cut] + "…"
		}
		n += rw
	}
	return s
}

// isNarrow reports whether s is ASCII, where bytes and columns agree.
func isNarrow(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// short escapes a piece of outside text inside a line and caps it as a
// table cell.
func short(s string) string { return truncate(Escape(s), maxCellWidth) }

// capText caps a line of outside text that stands on its own (a summary
// line, a finding) as a table caps its last column.
func capText(s string) string { return truncate(s, maxLastCellWidth) }

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
