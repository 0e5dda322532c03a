package netstat

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/parsetest"
	"github.com/openports/openports/internal/snapshot"
)

// formatOf is the dialect each corpus file is in, by its name.
func formatOf(name string) string {
	switch {
	case strings.HasPrefix(name, "linux-"):
		return FormatLinux
	case strings.HasPrefix(name, "macos-"):
		return FormatDarwin
	default:
		return FormatBSD
	}
}

func parserFor(t testing.TB, format string) parse.Parser {
	for _, p := range All() {
		if p.Format() == format {
			return p
		}
	}
	t.Fatalf("no parser for %s", format)
	return nil
}

// corpusFiles lists the saved outputs in testdata/.
func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in testdata: %v", err)
	}
	return files
}

// goldenResult is what a golden file holds: the snapshot and the counts.
type goldenResult struct {
	Format   string             `json:"format"`
	Lines    int                `json:"lines"`
	Parsed   int                `json:"parsed"`
	Skipped  int                `json:"skipped"`
	Problems []parse.LineError  `json:"problems,omitempty"`
	Snapshot *snapshot.Snapshot `json:"snapshot"`
}

func TestCorpusGolden(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			format := formatOf(name)
			res, err := parserFor(t, format).Parse(bytes.NewReader(data), name)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, res)
			// Every corpus file parses without an unknown line: host
			// names and unmapped service names are kept as text.
			for _, p := range res.Problems {
				t.Errorf("problem: %v", p)
			}
			golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", goldenResult{format, res.Lines, res.Parsed, res.Skipped, res.Problems, res.Snapshot})
		})
	}
}

// checkInvariants asserts what every Result must satisfy.
func checkInvariants(t *testing.T, res *parse.Result) {
	t.Helper()
	parsetest.CheckCounts(t, res)
	if len(res.Snapshot.Sockets) != res.Parsed {
		t.Errorf("%d sockets for %d parsed lines", len(res.Snapshot.Sockets), res.Parsed)
	}
	if !strings.HasPrefix(res.Snapshot.Source, "parse/netstat-") {
		t.Errorf("source %q", res.Snapshot.Source)
	}
	for _, s := range res.Snapshot.Sockets {
		if s.OwnerState == "" {
			t.Errorf("socket %v has no owner state", s.Local)
		}
		if s.OwnerState != snapshot.OwnersPartial && s.OwnerState != snapshot.OwnersComplete && s.OwnerReason == "" {
			t.Errorf("socket %v: owner state %s without a reason", s.Local, s.OwnerState)
		}
	}
	// The JSON form round-trips through snapshot.Read.
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, res.Snapshot); err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Read(&buf); err != nil {
		t.Errorf("snapshot does not read back: %v", err)
	}
}

func TestDetectCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sample := data[:min(len(data), 4096)]
		want := formatOf(name)
		best, bestScore, wantScore := "", -1, 0
		var scores []string
		for _, p := range All() {
			s := p.Detect(sample)
			scores = append(scores, p.Format()+"="+itoa(s))
			if p.Format() == want {
				wantScore = s
			}
			if s > bestScore {
				best, bestScore = p.Format(), s
			}
		}
		if best != want || wantScore == 0 {
			t.Errorf("%s: detected %s, want %s (%s)", name, best, want, strings.Join(scores, " "))
		}
		for _, p := range All() {
			if p.Format() != want && p.Detect(sample) >= wantScore {
				t.Errorf("%s: %s scores %d, not below %s's %d", name, p.Format(), p.Detect(sample), want, wantScore)
			}
		}
	}
}

func TestDetectRejectsOtherText(t *testing.T) {
	for _, sample := range []string{
		"",
		"hello world\n",
		"Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\ntcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=1,fd=3))\n",
		"COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\nsshd 1 root 3u IPv4 123 0t0 TCP *:22 (LISTEN)\n",
	} {
		for _, p := range All() {
			if s := p.Detect([]byte(sample)); s != 0 {
				t.Errorf("%s scores %d on %q", p.Format(), s, sample)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
