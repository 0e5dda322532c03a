// Package parse defines what every parser of a saved tool output (netstat,
// ss, lsof, fstat, sockstat) provides, so that `openports analyze` can detect
// a format, parse it and hand the resulting snapshot to the same analysis as
// the live collectors. Each format lives in its own sub-package.
package parse

import (
	"fmt"
	"io"

	"github.com/openports/openports/internal/snapshot"
)

// Parser reads one tool's output format.
type Parser interface {
	// Format is the stable name of the format, e.g. "netstat-bsd",
	// "ss", "lsof-F", "fstat", "sockstat-freebsd".
	Format() string
	// Detect scores how likely sample (the first lines of an input) is
	// in this format: 0 means certainly not, 100 means certainly.
	Detect(sample []byte) int
	// Parse reads the whole input. name is the input's name for
	// messages (a file name or "-"). Lines that are not understood are
	// returned as Problems, never silently dropped, and never cause
	// valid lines to be lost; err is only for I/O failures.
	Parse(r io.Reader, name string) (*Result, error)
}

// Result is what a parser made of an input.
type Result struct {
	// Snapshot holds the sockets (with owners when the format has them).
	// Its Source is "parse/<format>".
	Snapshot *snapshot.Snapshot
	// Problems are the lines that were not understood, the first
	// MaxProblems of them; MoreProblems counts the rest.
	Problems     []LineError
	MoreProblems int
	// Lines counts the lines read, Parsed the lines that became data, and
	// Skipped the lines deliberately ignored (headers, unix sockets, ...).
	Lines, Parsed, Skipped int
	// Connected counts the connected sockets a ListeningParser left out
	// (they count as Parsed).
	Connected int
}

// ListeningParser is a Parser that can leave connected sockets out as it
// reads, so that an output of a million connections is never held whole.
type ListeningParser interface {
	Parser
	// ListeningOnly returns the parser that keeps only the sockets
	// Listening accepts and counts the others in Result.Connected.
	ListeningOnly() Parser
}

// MaxProblems is how many problems a Result keeps; a large damaged input
// (random bytes) must not cost memory per line.
const MaxProblems = 1000

// ProblemCount is the number of lines not understood.
func (r *Result) ProblemCount() int { return len(r.Problems) + r.MoreProblems }

// LineError is one line a parser did not understand.
type LineError struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Text     string `json:"text"`
	Expected string `json:"expected"`
}

// Error formats the problem as file:line: what was expected, and the line.
func (e LineError) Error() string {
	return fmt.Sprintf("%s:%d: expected %s, got %q", e.File, e.Line, e.Expected, e.Text)
}
