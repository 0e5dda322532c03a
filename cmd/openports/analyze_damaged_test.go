package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
)

// analyzeJSON runs analyze -o json with args and returns the exit code,
// the report (nil when stdout is not one) and standard error.
func analyzeJSON(t *testing.T, stdin []byte, args ...string) (int, *report.Report, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetIn(bytes.NewReader(stdin))
	root.SetArgs(append([]string{"analyze", "-o", "json"}, args...))
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		var ec *exitCodeError
		if !asExit(err, &ec) {
			t.Fatalf("error without exit code: %v", err)
		}
		code = ec.code
		if ec.err != nil {
			stderr.WriteString("openports: " + ec.err.Error() + "\n")
		}
	}
	if stdout.Len() == 0 {
		return code, nil, stderr.String()
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, stdout.String())
	}
	return code, &rep, stderr.String()
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rowPIDs lists "proto/port:pid,pid" of every row.
func rowPIDs(rep *report.Report) []string {
	var out []string
	for _, r := range rep.Rows {
		s := string(r.Proto) + "/" + r.Address + ":" + itoa(int(r.Port)) + ":"
		for i, p := range r.Processes {
			if i > 0 {
				s += ","
			}
			s += itoa(p.PID)
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func hasGap(rep *report.Report, reason string) bool {
	for _, g := range rep.Gaps {
		if g.Reason == reason {
			return true
		}
	}
	return false
}

// A real netstat -anp followed by a real lsof -F with no separator: the
// netstat UNIX section must not swallow the lsof part.
func TestAnalyzeConcatenatedNetstatLsof(t *testing.T) {
	englishEnv(t)
	path := "../../internal/parse/multi/testdata/linux-netns-anp-then-lsof-F.txt"
	code, rep, stderr := analyzeJSON(t, nil, "--all", path)
	if !strings.Contains(stderr, ": lsof-F (") {
		t.Errorf("the lsof -F part was not recognised:\n%s", stderr)
	}
	if strings.Contains(stderr, "not understood") {
		t.Errorf("lines not understood:\n%s", stderr)
	}
	if rep == nil {
		t.Fatalf("no report, exit %d:\n%s", code, stderr)
	}
	// lsof -F shows every holder: the 8080 listener is owned completely.
	found := false
	for _, r := range rep.Rows {
		if r.Port == 8080 && r.Proto == "tcp" {
			found = true
			if len(r.Processes) != 1 || r.Processes[0].User != "root" {
				t.Errorf("tcp/8080 processes = %+v, want one, user root", r.Processes)
			}
		}
	}
	if !found {
		t.Errorf("no tcp/8080 row: %v", rowPIDs(rep))
	}

	// The same input cut in the middle of the lsof part: --strict exits 2
	// whenever a line was not used.
	data := readTestdata(t, path)
	junk := bytes.Replace(data, []byte("\nf4\n"), []byte("\nf4\n!! not an lsof field\n"), 1)
	if c, _, e := analyzeJSON(t, nil, "--strict", writeTemp(t, "junk.txt", junk)); c != 2 {
		t.Errorf("--strict with an unused line: exit %d, want 2:\n%s", c, e)
	}
}

// Outputs that cannot show listening sockets never give an all-clear.
func TestAnalyzeOutputsWithoutListeners(t *testing.T) {
	englishEnv(t)
	for _, tc := range []struct{ path, suggest, not string }{
		{"../../internal/parse/netstat/testdata/linux-netns-p.txt", "netstat -l", ""},
		{"../../internal/parse/netstat/testdata/linux-centos-7.7-p.txt", "netstat -l", ""},
		{"../../internal/parse/netstat/testdata/linux-fedora-32-default.txt", "netstat -l", ""},
		{"../../internal/parse/netstat/testdata/netbsd-f-inet.txt", "netstat -a", "-p"},
		{"../../internal/parse/netstat/testdata/macos-10.14-An.txt", "netstat -a", "-p"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			code, rep, stderr := analyzeJSON(t, nil, tc.path)
			if code != report.ExitIncomplete || rep == nil {
				t.Fatalf("exit %d, want 3:\n%s", code, stderr)
			}
			var detail string
			for _, g := range rep.Gaps {
				if g.Reason == "output-without-listeners" {
					detail = g.Detail
				}
			}
			if detail == "" {
				t.Fatalf("no output-without-listeners gap: %+v", rep.Gaps)
			}
			if !strings.Contains(detail, tc.suggest) || (tc.not != "" && strings.Contains(detail, tc.not)) {
				t.Errorf("gap detail %q: want %q, never %q", detail, tc.suggest, tc.not)
			}
		})
	}
}

// Empty or blank input is no tool output: exit 2, for files and stdin.
func TestAnalyzeEmptyInput(t *testing.T) {
	englishEnv(t)
	for _, in := range []string{"", "\n\n  \n", "\t\r\n"} {
		path := writeTemp(t, "empty.txt", []byte(in))
		if code, rep, stderr := analyzeJSON(t, nil, path); code != 2 || rep != nil || !strings.Contains(stderr, "no output of netstat, ss, lsof, fstat or sockstat") {
			t.Errorf("file %q: exit %d, report %v, stderr:\n%s", in, code, rep != nil, stderr)
		}
		if code, rep, stderr := analyzeJSON(t, []byte(in), "-"); code != 2 || rep != nil || !strings.Contains(stderr, "-: no output of netstat") {
			t.Errorf("stdin %q: exit %d, report %v, stderr:\n%s", in, code, rep != nil, stderr)
		}
	}
}

// A last line without a newline may have been cut from a longer one: its
// value is not trusted, and it is said.
func TestAnalyzeCutLastLine(t *testing.T) {
	englishEnv(t)
	lsofF := readTestdata(t, "../../internal/parse/lsof/testdata/linux-netns-lsof-F.txt")
	i := bytes.Index(lsofF, []byte("n*:8080\n"))
	fstatN := readTestdata(t, "../../internal/parse/fstat/testdata/netbsd-fstat-n-exercise.txt")
	j := bytes.LastIndex(fstatN, []byte(":"))
	for _, tc := range []struct {
		name string
		data []byte
		port uint16
	}{
		{"lsof -F n*:80 cut from n*:8080", lsofF[:i+len("n*:80")], 80},
		{"fstat cut inside its last port", fstatN[:j+2], 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rep, stderr := analyzeJSON(t, nil, "--all", writeTemp(t, "cut.txt", tc.data))
			if !strings.Contains(stderr, "may have been cut") {
				t.Errorf("the cut line is not reported:\n%s", stderr)
			}
			if code != report.ExitIncomplete {
				t.Errorf("exit %d, want 3", code)
			}
			if rep == nil {
				t.Fatal("no report")
			}
			for _, r := range rep.Rows {
				if tc.port != 0 && r.Port == tc.port {
					t.Errorf("the cut port was trusted: %v", rowPIDs(rep))
				}
			}
			if !hasGap(rep, "lines-not-understood") {
				t.Errorf("no gap for the unused line: %+v", rep.Gaps)
			}
		})
	}
}

// The exit code does not depend on connected sockets that are left out:
// the same sockets listed with and without connections give the same
// answer. An unprivileged run hides only the owner of a root process's
// connection here.
func TestAnalyzeExitIgnoresHiddenConnections(t *testing.T) {
	englishEnv(t)
	for _, pair := range [][2]string{
		{"../../internal/parse/ss/testdata/linux-netns-nobody-ss-antup.txt", "../../internal/parse/ss/testdata/linux-netns-nobody-ss-tulpn.txt"},
		{"../../internal/parse/netstat/testdata/linux-netns-nobody-antup.txt", "../../internal/parse/netstat/testdata/linux-netns-nobody-tulpn.txt"},
	} {
		withConn, _, e1 := analyzeJSON(t, nil, pair[0])
		listening, rep, e2 := analyzeJSON(t, nil, pair[1])
		if withConn != listening {
			t.Errorf("%s exits %d, %s exits %d:\n%s\n%s", filepath.Base(pair[0]), withConn, filepath.Base(pair[1]), listening, e1, e2)
		}
		if strings.Contains(e1+e2, "not understood") {
			t.Errorf("lines not understood:\n%s\n%s", e1, e2)
		}
		if listening == report.ExitIncomplete && (rep == nil || len(rep.Gaps) == 0) {
			t.Errorf("%s: exit 3 with no gap saying why", filepath.Base(pair[1]))
		}
	}
	if code, _, e := analyzeJSON(t, nil, "../../internal/parse/ss/testdata/linux-netns-nobody-ss-antup.txt"); code != 0 {
		t.Errorf("ss -antup whose listener is fully owned: exit %d, want 0:\n%s", code, e)
	}
}

// Two processes bound to one multicast group each get every datagram:
// that is no duplicate listener.
func TestAnalyzeMulticastGroupIsNoDuplicate(t *testing.T) {
	englishEnv(t)
	_, rep, e := analyzeJSON(t, nil, "../../internal/parse/ss/testdata/linux-netns-ss-tulpn.txt")
	if rep == nil {
		t.Fatal(e)
	}
	rows := 0
	for _, r := range rep.Rows {
		if r.Port != 5353 {
			continue
		}
		rows++
		for _, f := range r.Findings {
			if f.Rule == "duplicate-listener" {
				t.Errorf("224.0.0.251:5353 row has a duplicate-listener finding: %+v", f)
			}
		}
	}
	if rows == 0 {
		t.Error("no 5353 rows")
	}
}

// netstat -p shows one process per socket: the view is incomplete, and
// the gaps say why.
func TestAnalyzeNetstatOnePIDIsAGap(t *testing.T) {
	englishEnv(t)
	code, rep, e := analyzeJSON(t, nil, "../../internal/parse/netstat/testdata/linux-netns-tulpn.txt")
	if code != report.ExitIncomplete || rep == nil {
		t.Fatalf("exit %d, want 3:\n%s", code, e)
	}
	if !hasGap(rep, "one-process-per-socket") {
		t.Errorf("no one-process-per-socket gap: %+v", rep.Gaps)
	}
}

// Warnings are capped: the first 100, then a count; each quotes at most
// 200 bytes of its line.
func TestAnalyzeWarningsCapped(t *testing.T) {
	englishEnv(t)
	// A real netstat output followed by many long lines of no tool.
	data := readTestdata(t, "../../internal/parse/netstat/testdata/linux-netns-tulpn.txt")
	long := strings.Repeat("q", 5000)
	for range 250 {
		data = append(data, long+"\n"...)
	}
	_, _, stderr := analyzeJSON(t, nil, writeTemp(t, "noise.txt", data))
	if n := strings.Count(stderr, "analyze: warning:"); n != 100 {
		t.Errorf("%d warnings printed, want 100", n)
	}
	if !strings.Contains(stderr, "150 more warnings not shown") || !strings.Contains(stderr, "250 lines not understood") {
		t.Errorf("no count of the rest:\n%s", stderr[max(0, len(stderr)-500):])
	}
	for line := range strings.Lines(stderr) {
		if n := strings.Count(line, "q"); n > 200 {
			t.Errorf("a warning quotes %d bytes of its line", n)
			break
		}
	}
}

// TestAnalyzeUnreadableOwnerOnly: a file holding only an ss line whose
// process column cannot be read (cut from the real forged-name output)
// gives its socket with the owner unknown, exit 3, and the gap says what
// the line held may not all be in the view: the socket is. Before, the
// line counted as no output at all: "no line is output of ...", exit 2.
func TestAnalyzeUnreadableOwnerOnly(t *testing.T) {
	englishEnv(t)
	var line string
	for _, l := range strings.Split(string(readTestdata(t, "../../internal/parse/ss/testdata/linux-netns-ss-tulpnHe-forged-name.txt")), "\n") {
		if strings.Contains(l, "127.0.0.1:8080") {
			line = l
		}
	}
	if line == "" {
		t.Fatal("the forged-name line is gone from the fixture")
	}
	path := writeTemp(t, "one.txt", []byte(line+"\n"))
	code, rep, stderr := analyzeJSON(t, nil, "--all", path)
	if code != 3 || rep == nil {
		t.Fatalf("exit %d, report %v, want 3 and a report; stderr:\n%s", code, rep != nil, stderr)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Port != 8080 || rep.Rows[0].OwnerState != "unknown" {
		t.Errorf("rows %+v, want 8080 with its owner unknown", rep.Rows)
	}
	for _, lang := range []string{"en", "ja"} {
		var out, errb bytes.Buffer
		run(context.Background(), []string{"analyze", "--color", "never", "--lang", lang, path}, &out, &errb)
		want := map[string]string{"en": "1 line of the input was not understood, in whole or in part (see the warnings): what it held may not all be in this view",
			"ja": "入力の 1 行の全部または一部を解釈できませんでした"}[lang]
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: table does not say %q:\n%s", lang, want, out.String())
		}
	}
}
