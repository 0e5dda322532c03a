// Package parsetest holds the test scaffolding the line parsers (fstat,
// lsof, sockstat) share: the line-count invariant, the shape of their golden
// files, the detection ranking and the fuzz body. It is imported by tests
// only.
package parsetest

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// CheckCounts asserts that every line read was parsed, skipped or reported
// as a problem.
func CheckCounts(t testing.TB, res *parse.Result) {
	t.Helper()
	if got := res.Parsed + res.Skipped + res.ProblemCount(); got != res.Lines {
		t.Errorf("parsed %d + skipped %d + problems %d = %d, want lines %d", res.Parsed, res.Skipped, res.ProblemCount(), got, res.Lines)
	}
}

// Parse runs p on in, an input named name, fails t on an error and checks
// the counts of the result.
func Parse(t testing.TB, p parse.Parser, in, name string) *parse.Result {
	t.Helper()
	res, err := p.Parse(strings.NewReader(in), name)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	CheckCounts(t, res)
	return res
}

// ParseFile runs Parse on the file at path, named by its base name.
func ParseFile(t testing.TB, p parse.Parser, path string) *parse.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(t, p, string(b), filepath.Base(path))
}

// BadLine asserts that the first problem of res is line of the input named
// file with the Expected text expected, and that the valid lines around it
// still gave sockets sockets.
func BadLine(t testing.TB, res *parse.Result, file string, line int, expected string, sockets int) {
	t.Helper()
	if len(res.Problems) == 0 {
		t.Fatalf("no problem reported")
	}
	if p := res.Problems[0]; p.File != file || p.Line != line || p.Expected != expected {
		t.Errorf("got %+v, want %s line %d expected %q", p, file, line, expected)
	}
	if len(res.Snapshot.Sockets) != sockets {
		t.Errorf("got %d sockets, want %d (valid lines must not be lost)", len(res.Snapshot.Sockets), sockets)
	}
}

// PIDs lists the PIDs of owners, in order.
func PIDs(owners []snapshot.Owner) []int {
	var p []int
	for _, o := range owners {
		p = append(p, o.PID)
	}
	return p
}

// Golden is what a parser's golden file holds: the snapshot and the counts.
type Golden struct {
	Snapshot *snapshot.Snapshot `json:"snapshot"`
	Problems []parse.LineError  `json:"problems,omitempty"`
	Lines    int                `json:"lines"`
	Parsed   int                `json:"parsed"`
	Skipped  int                `json:"skipped"`
}

// GoldenOf returns the golden form of res.
func GoldenOf(res *parse.Result) Golden {
	return Golden{res.Snapshot, res.Problems, res.Lines, res.Parsed, res.Skipped}
}

// DetectAbove asserts that own scores the input at path 50 or more and
// every parser of others (but one of own's format) scores it lower.
func DetectAbove(t *testing.T, path string, own parse.Parser, others []parse.Parser) {
	t.Helper()
	sample, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	score := own.Detect(sample)
	if score < 50 {
		t.Errorf("%s: %s scores %d", path, own.Format(), score)
	}
	for _, p := range others {
		if p.Format() == own.Format() {
			continue
		}
		if sc := p.Detect(sample); sc >= score {
			t.Errorf("%s: %s scores %d >= %s's %d", path, p.Format(), sc, own.Format(), score)
		}
	}
}

// DetectFiles runs DetectAbove on every testdata/*.txt with own and
// others, then NoProse on own.
func DetectFiles(t *testing.T, own parse.Parser, others ...parse.Parser) {
	t.Helper()
	files, _ := filepath.Glob("testdata/*.txt")
	for _, path := range files {
		DetectAbove(t, path, own, others)
	}
	NoProse(t, own)
}

// Find returns the first socket of s with proto and the local address
// local ("0.0.0.0:80"), nil when there is none.
func Find(s *snapshot.Snapshot, proto snapshot.Proto, local string) *snapshot.Socket {
	want := netip.MustParseAddrPort(local)
	for i := range s.Sockets {
		if s.Sockets[i].Proto == proto && s.Sockets[i].Local == want {
			return &s.Sockets[i]
		}
	}
	return nil
}

// NoProse asserts that each parser scores two lines of prose 0.
func NoProse(t *testing.T, parsers ...parse.Parser) {
	t.Helper()
	for _, p := range parsers {
		if sc := p.Detect([]byte("hello\nworld\n")); sc != 0 {
			t.Errorf("%s: prose scores %d", p.Format(), sc)
		}
	}
}

// Fuzz seeds f with the first 4 KiB of every testdata/*.txt and with extra,
// then checks that p detects and parses any input without an error, with
// consistent counts and a snapshot that encodes to JSON.
func Fuzz(f *testing.F, p parse.Parser, extra ...[]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)])
	}
	for _, b := range extra {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p.Detect(in)
		res, err := p.Parse(bytes.NewReader(in), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		CheckCounts(t, res)
		if _, err := json.Marshal(res.Snapshot); err != nil {
			t.Fatal(err)
		}
	})
}
