package multi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/parse"
)

// seg is what a test expects of one segment.
type seg struct {
	format      string
	first, last int
	command     string
	problems    int
}

func segsOf(in *Input) []seg {
	var out []seg
	for _, s := range in.Segments {
		out = append(out, seg{s.Format, s.First, s.Last, s.Command, len(s.Result.Problems)})
	}
	return out
}

func TestSplit(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       string
		format   string
		want     []seg
		problems []parse.LineError // File is "in"
	}{
		{
			name: "seed: netstat twice, then fstat, after comment lines",
			in:   string(seed),
			want: []seg{
				{"netstat-bsd", 2, 4, "netstat -f inet -na | grep LISTEN | grep -v 127.0.0.1", 0},
				{"netstat-bsd", 6, 8, "netstat -f inet -na | grep udp | grep -v 127.0.0.1", 0},
				{"fstat", 10, 20, "fstat | grep :", 0},
			},
		},
		{
			name: "shell prompts are boundaries and hints",
			in: "nbsd# sockstat -4ln\n" +
				"USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS\n" +
				"root     sshd       340    4 tcp    *.22                  *.*\n" +
				"$ fstat -n\n" +
				"root sshd 340 4 internet stream tcp *:22\n" +
				"% netstat -an\n" +
				"tcp 0 0 *.22 *.* LISTEN\n",
			want: []seg{
				{"sockstat", 2, 3, "sockstat -4ln", 0},
				{"fstat", 5, 5, "fstat -n", 0},
				{"netstat-bsd", 7, 7, "netstat -an", 0},
			},
		},
		{
			name: "another tool's header starts a new part",
			in: "tcp 0 0 10.0.0.251.25 *.* LISTEN\n" +
				"USER CMD PID FD MOUNT INUM MODE R/W SZ|DV\n" +
				"root master 29129 12* internet stream tcp c24e6380 10.0.0.251:25\n",
			want: []seg{
				{"netstat-bsd", 1, 1, "", 0},
				{"fstat", 2, 3, "", 0},
			},
		},
		{
			name: "netstat's own section headers stay in one part",
			in: "Active Internet connections (servers and established)\n" +
				"Proto Recv-Q Send-Q Local Address           Foreign Address         State\n" +
				"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN\n" +
				"Active UNIX domain sockets (servers and established)\n" +
				"Proto RefCnt Flags       Type       State         I-Node   Path\n" +
				"unix  2      [ ACC ]     STREAM     LISTENING     1234     /run/x\n",
			want: []seg{{"netstat-linux", 1, 6, "", 0}},
		},
		{
			name: "runs of two tools without any boundary",
			in: "tcp 0 0 10.0.0.251.22 *.* LISTEN\n" +
				"tcp 0 0 10.0.0.251.25 *.* LISTEN\n" +
				"root sshd 5096 3* internet stream tcp c2634524 10.0.0.251:22\n" +
				"root master 29129 12* internet stream tcp c24e6380 10.0.0.251:25\n",
			want: []seg{
				{"netstat-bsd", 1, 2, "", 0},
				{"fstat", 3, 4, "", 0},
			},
		},
		{
			name: "alternating lines of two tools make one part per tool",
			in: "tcp 0 0 10.0.0.251.22 *.* LISTEN\n" +
				"root sshd 5096 3* internet stream tcp c2634524 10.0.0.251:22\n" +
				"tcp 0 0 10.0.0.251.25 *.* LISTEN\n" +
				"root master 29129 12* internet stream tcp c24e6380 10.0.0.251:25\n" +
				"tcp 0 0 10.0.0.251.53 *.* LISTEN\n" +
				"root named 4071 20* internet stream tcp c24e6818 10.0.0.251:53\n",
			want: []seg{
				{"netstat-bsd", 1, 5, "", 0},
				{"fstat", 2, 6, "", 0},
			},
		},
		{
			name: "garbage keeps the input's line numbers",
			in: "# netstat -an\n" +
				"tcp 0 0 *.22 *.* LISTEN\n" +
				"this is not netstat\n" +
				"\n" +
				"# something else\n" +
				"hello world\n",
			want: []seg{
				{"netstat-bsd", 2, 4, "netstat -an", 1},
				{FormatUnknown, 6, 6, "something else", 1},
			},
			problems: []parse.LineError{
				{Line: 3, Text: "this is not netstat", Expected: "a netstat line: Proto Recv-Q Send-Q HOST.PORT HOST.PORT [(state)]"},
				{Line: 6, Text: "hello world", Expected: expectAny},
			},
		},
		{
			name:   "--format forces the parser",
			in:     "# fstat\ntcp 0 0 *.22 *.* LISTEN\n",
			format: "netstat-darwin",
			want:   []seg{{"netstat-darwin", 2, 2, "fstat", 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Parse(strings.NewReader(tt.in), "in", Options{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			got := segsOf(in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("segments\n got  %v\n want %v", got, tt.want)
			}
			if len(in.Problems) != len(tt.problems) {
				t.Fatalf("problems %v, want %v", in.Problems, tt.problems)
			}
			for i, w := range tt.problems {
				w.File = "in"
				if in.Problems[i] != w {
					t.Errorf("problem %d:\n got  %+v\n want %+v", i, in.Problems[i], w)
				}
			}
			checkCounts(t, in)
		})
	}
}

// checkCounts asserts that every line of the input is accounted for once.
func checkCounts(t *testing.T, in *Input) {
	t.Helper()
	n := in.Boundaries
	prev := 0
	for _, s := range in.Segments {
		// Parts are in order of their first line; the parts of two tools
		// whose lines alternate span each other's lines, so only the
		// line count below shows that no line is read twice.
		if s.First <= prev || s.Last < s.First-1 {
			t.Errorf("segment %d-%d out of order or backwards after a part starting at %d", s.First, s.Last, prev)
		}
		prev = s.First
		n += s.Result.Lines
	}
	if n > in.Lines {
		t.Errorf("segments and boundaries count %d lines of %d", n, in.Lines)
	}
	for _, p := range in.Problems {
		if p.Line < 1 || p.Line > in.Lines {
			t.Errorf("problem on line %d of %d", p.Line, in.Lines)
		}
	}
}

func TestParseUnknownFormat(t *testing.T) {
	_, err := Parse(strings.NewReader(""), "in", Options{Format: "nosuch"})
	if err == nil || !strings.Contains(err.Error(), `unknown format "nosuch"`) || !strings.Contains(err.Error(), "netstat-bsd") {
		t.Errorf("err = %v", err)
	}
}

// TestDetectCorpus: every corpus file the parser packages keep is detected
// as its own format, with the highest score of all parsers.
func TestDetectCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*", "testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range files {
		pkg := filepath.Base(filepath.Dir(filepath.Dir(path)))
		if pkg == "multi" {
			continue
		}
		name := filepath.Base(path)
		want := pkg
		switch {
		case pkg == "netstat" && strings.HasPrefix(name, "linux-"):
			want = "netstat-linux"
		case pkg == "netstat" && strings.HasPrefix(name, "macos-"):
			want = "netstat-darwin"
		case pkg == "netstat":
			want = "netstat-bsd"
		case pkg == "lsof" && strings.Contains(name, "-F"):
			want = "lsof-F"
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, score, cands := Detect(data[:min(len(data), 8192)])
		if p == nil || p.Format() != want {
			t.Errorf("%s/%s: detected %v (score %d), want %s; candidates %v", pkg, name, p, score, want, cands)
			continue
		}
		if len(cands) > 1 && cands[1].Score >= score {
			t.Errorf("%s/%s: %s ties with %v", pkg, name, want, cands[1])
		}
	}
}

func TestBoundaryCommand(t *testing.T) {
	for line, want := range map[string]string{
		"# netstat -an":                  "netstat -an",
		"$ fstat":                        "fstat",
		"nbsd# sockstat -4ln":            "sockstat -4ln",
		"% netstat -an":                  "netstat -an",
		"root@host:~# sudo ss -tulpn":    "sudo ss -tulpn",
		"user@mac ~ % lsof -i -n -P":     "lsof -i -n -P",
		"a b c d $ netstat -an":          "",
		"tcp> netstat":                   "netstat",
		"$ ls -l":                        "",
		"tcp 0 0 *.22 *.* LISTEN":        "",
		"root sshd 1 3* internet stream": "",
	} {
		got, ok := boundaryCommand(line)
		if got != want || ok != (want != "") {
			t.Errorf("boundaryCommand(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("$ ss -tulpn\nNetid State Recv-Q Send-Q Local Address:Port Peer Address:Port\nudp UNCONN 0 0 0.0.0.0:68 0.0.0.0:*\n# x\n\x00\xff"))
	f.Add([]byte("COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\nsshd 1 root 3u IPv4 1 0t0 TCP *:22 (LISTEN)\ntcp 0 0 *.22 *.* LISTEN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse(strings.NewReader(string(data)), "fuzz", Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, in)
	})
}

// TestLargeInput: an input larger than the spool keeps in memory (lowered
// here) is read back from its temporary file at every part's offsets, or
// kept in memory when there is no temporary directory: the seed repeated
// past the limit parses as the seed does, copy after copy.
func TestLargeInput(t *testing.T) {
	defer func(n int) { spoolMemory = n }(spoolMemory)
	spoolMemory = 4 << 10
	for _, tmp := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		// The second has no directory: the spool stays in memory.
		t.Run(filepath.Base(tmp), func(t *testing.T) {
			t.Setenv("TMPDIR", tmp)
			testLargeInput(t)
		})
	}
}

func testLargeInput(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	copies := max(spoolMemory, 2*spoolBlock)/len(seed) + 2 // past a block of the file, too
	in, err := Parse(strings.NewReader(strings.Repeat(string(seed), copies)), "in", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Problems) != 0 || len(in.Segments) != 3*copies {
		t.Fatalf("%d segments, %d problems (first %v); want %d, none", len(in.Segments), len(in.Problems), in.Problems[:min(1, len(in.Problems))], 3*copies)
	}
	lines := strings.Count(string(seed), "\n")
	want := []seg{{"netstat-bsd", 2, 4, "netstat -f inet -na | grep LISTEN | grep -v 127.0.0.1", 0},
		{"netstat-bsd", 6, 8, "netstat -f inet -na | grep udp | grep -v 127.0.0.1", 0},
		{"fstat", 10, 20, "fstat | grep :", 0}}
	got := segsOf(in)
	for c := 0; c < copies; c++ {
		for k, w := range want {
			w.first += c * lines
			w.last += c * lines
			if g := got[3*c+k]; g != w {
				t.Fatalf("copy %d, part %d: %+v, want %+v", c, k, g, w)
			}
			if n := len(in.Segments[3*c+k].Result.Snapshot.Sockets); n == 0 {
				t.Fatalf("copy %d, part %d: no sockets", c, k)
			}
		}
	}
}

// TestLongLine: a line longer than parse.MaxLine is one problem, quoted
// short, and the lines around it are read.
func TestLongLine(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := strings.Cut(string(seed), "tcp 0 0 10.0.0.251.22")
	in, err := Parse(strings.NewReader(head+strings.Repeat("x", 3*parse.MaxLine)+"\ntcp 0 0 10.0.0.251.22"+rest), "in", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Problems) != 1 || in.Problems[0].Line != 3 || in.Problems[0].Expected != parse.ExpectShort || len(in.Problems[0].Text) > parse.MaxQuote+len("…") {
		t.Fatalf("problems %.300v, want one of line 3, quoted short", in.Problems)
	}
	if n := len(in.Segments[0].Result.Snapshot.Sockets); n != 3 {
		t.Errorf("first part: %d sockets, want 3", n)
	}
}

// cancelAtEOF cancels its context when the input is read to its end.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// TestCancel: a cancelled context (Ctrl-C) stops the parse with its error,
// whether it comes before the input is read or while its parts are parsed
// from the spool; no partial result comes back.
func TestCancel(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	before, cancel := context.WithCancel(context.Background())
	cancel()
	if in, err := Parse(strings.NewReader(string(seed)), "in", Options{Context: before}); !errors.Is(err, context.Canceled) || in != nil {
		t.Errorf("cancelled before: %v, %v; want context.Canceled and no input", in, err)
	}
	during, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := cancelAtEOF{strings.NewReader(string(seed)), cancel}
	if in, err := Parse(r, "in", Options{Context: during}); !errors.Is(err, context.Canceled) || in != nil {
		t.Errorf("cancelled after reading: %v, %v; want context.Canceled and no input", in, err)
	}
}
