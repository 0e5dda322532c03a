package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/snapshot"
)

// TestEveryFormat runs the commands whose output does not depend on the
// host in every format they support and both languages (goldens in
// testdata/formats); list, check and watch share the writers of analyze,
// and internal/render has the goldens of each writer.
func TestEveryFormat(t *testing.T) {
	type cmd struct {
		name    string
		args    []string
		code    int
		formats []string
	}
	for _, c := range []cmd{
		{"analyze-seed", []string{"analyze", "testdata/analyze/seed.txt"}, 3, render.Reports.Formats()},
		{"diff", []string{"diff", "testdata/diff/before.json", "testdata/diff/after.json"}, 1, render.Diffs.Formats()},
		{"explain-23", []string{"explain", "--os", "netbsd", "23"}, 0, render.Explanations.Formats()},
	} {
		for _, format := range c.formats {
			for _, lang := range []string{"en", "ja"} {
				name := c.name + "." + lang + "." + format
				t.Run(name, func(t *testing.T) {
					var stdout, stderr bytes.Buffer
					args := append(append([]string(nil), c.args...), "-o", format, "--lang", lang)
					if code := run(context.Background(), args, &stdout, &stderr); code != c.code {
						t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr.String())
					}
					checkGolden(t, "formats", name, stdout.Bytes())
				})
			}
		}
	}
}

func TestOutputUsageErrors(t *testing.T) {
	runCases(t, "", []cmdCase{
		{name: "watch has no csv", args: []string{"watch", "-o", "csv"}, code: 2, errHas: "watch: unknown output format \"csv\" (want one of: table, json)"},
		{name: "explain has no csv", args: []string{"explain", "-o", "csv", "22"}, code: 2, errHas: "want one of: table, json"},
		{name: "list names its formats", args: []string{"analyze", "-o", "yaml", "testdata/analyze/seed.txt"}, code: 2, errHas: "want one of: table, json, csv"},
		{name: "a hostile format is escaped", args: []string{"analyze", "-o", "\x1b[2J", "testdata/analyze/seed.txt"}, code: 2, errHas: `\x1b[2J`},
		{name: "snapshot is JSON only", args: []string{"snapshot", "-o", "table"}, code: 2, errHas: "a snapshot is always JSON"},
		{name: "did you mean", args: []string{"lisst"}, code: 2, errHas: "Did you mean this?\n\tlist"},
	})
}

// TestStderrIsEscaped: a file name on the command line is outside text
// too.
func TestStderrIsEscaped(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"diff", "\x1b]0;owned\x07", "testdata/diff/after.json"}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if strings.ContainsAny(stderr.String(), "\x1b\x07") || !strings.Contains(stderr.String(), `\x1b]0;owned\x07`) {
		t.Errorf("stderr not escaped: %q", stderr.String())
	}
}

// TestPolicyErrorIsShort: a file that is not a policy is named with its
// line, not pasted.
func TestPolicyErrorIsShort(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "passwd")
	line := "root:x:0:0:root:/root:/bin/bash\x1b[31m\n"
	if err := os.WriteFile(bad, []byte(strings.Repeat(line, 2000)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--policy", bad, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	_, msg, _ := strings.Cut(stderr.String(), "openports: ")
	if len(msg) > 2*maxMessage || strings.Contains(msg, "\x1b") || !strings.Contains(msg, bad+":1:") {
		t.Errorf("policy error is %d bytes, or unescaped, or does not name the file and line:\n%q", len(msg), msg)
	}
	// A file that parses as YAML but is no policy: the message still
	// names file and line, and stays short.
	long := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(long, []byte("rules: "+strings.Repeat("x", 100_000)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	run(context.Background(), []string{"analyze", "--policy", long, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	_, msg, _ = strings.Cut(stderr.String(), "openports: ")
	if len(msg) > 2*maxMessage || !strings.Contains(msg, long) {
		t.Errorf("policy error is %d bytes or does not name the file:\n%q", len(msg), msg)
	}
}

// devFull opens /dev/full, where every write fails with ENOSPC.
func devFull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestWriteErrorExitCode: output that cannot be written exits 4, which
// wins over findings (1) and an incomplete view (3); a usage error (2)
// wins over it.
func TestWriteErrorExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"incomplete view", []string{"analyze", "testdata/analyze/seed.txt"}, 4},
		{"differences", []string{"diff", "testdata/diff/before.json", "testdata/diff/after.json"}, 4},
		{"json", []string{"diff", "-o", "json", "testdata/diff/before.json", "testdata/diff/after.json"}, 4},
		{"explain", []string{"explain", "22"}, 4},
		{"usage first", []string{"diff", "-o", "yaml", "testdata/diff/before.json", "testdata/diff/after.json"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tc.args, devFull(t), &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if tc.code == 4 && !strings.Contains(stderr.String(), "no space left on device") {
				t.Errorf("stderr does not say why: %q", stderr.String())
			}
		})
	}
}

// TestExitPrecedence: findings (1) win over an incomplete view (3).
func TestExitPrecedence(t *testing.T) {
	b, err := os.ReadFile("testdata/diff/after.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	s.Gaps = append(s.Gaps, snapshot.Gap{Area: "owners", Reason: "no-capability", Detail: "not root", Count: 1})
	gappy := filepath.Join(t.TempDir(), "gappy.json")
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gappy, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"diff", "-o", "json", "testdata/diff/before.json", gappy}, &stdout, &stderr); code != 1 {
		t.Errorf("differences with a gap: exit %d, want 1", code)
	}
	var r struct{ Notes []struct{ Key string } }
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || len(r.Notes) == 0 {
		t.Errorf("no note on the gap (%v): %s", err, stdout.String())
	}
}

// TestWriteFlags: --write of snapshot and baseline replaces a symbolic
// link at the destination instead of writing through it, and a device
// such as /dev/full is a write error (exit 4).
func TestWriteFlags(t *testing.T) {
	for _, cmd := range []string{"snapshot", "baseline"} {
		t.Run(cmd+" symlink", func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "out")
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{cmd, "--write", link}, &stdout, &stderr); code != 0 && code != 3 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
				t.Errorf("%s --write followed the symlink: the target now holds %d bytes", cmd, len(b))
			}
			st, err := os.Lstat(link)
			if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o644 {
				t.Errorf("destination %v, %v; want a regular 0644 file", st, err)
			}
		})
		t.Run(cmd+" /dev/full", func(t *testing.T) {
			devFull(t)
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{cmd, "--write", "/dev/full"}, &stdout, &stderr); code != 4 {
				t.Errorf("exit %d, want 4; stderr:\n%s", code, stderr.String())
			}
		})
		t.Run(cmd+" stdout /dev/full", func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), []string{cmd}, devFull(t), &stderr); code != 4 {
				t.Errorf("exit %d, want 4; stderr:\n%s", code, stderr.String())
			}
		})
	}
}

// TestUsageErrorsInJapanese: every usage error openports words itself
// (not cobra's) is written in the --lang language, and in English without
// it.
func TestUsageErrorsInJapanese(t *testing.T) {
	englishEnv(t)
	notFirewall := filepath.Join(t.TempDir(), "rules.txt")
	if err := os.WriteFile(notFirewall, []byte("not a ruleset\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		en, ja string
	}{
		{[]string{"--color", "x"}, `unknown --color "x" (want auto, always or never)`, `--color に "x" は指定できません (auto, always, never のいずれか)`},
		{[]string{"list", "--netns", "x"}, `unknown --netns "x" (want current or all)`, `(current, all のいずれか)`},
		{[]string{"list", "--owners", "x"}, `unknown --owners "x" (want auto, proc or ebpf)`, `(auto, proc, ebpf のいずれか)`},
		{[]string{"watch", "--mode", "x"}, `unknown --mode "x" (want auto, ebpf or poll)`, `(auto, ebpf, poll のいずれか)`},
		{[]string{"watch", "--duration", "-1s"}, "must not be negative", "負の値は指定できません"},
		{[]string{"watch", "-o", "csv"}, `watch: unknown output format "csv" (want one of: table, json)`, `watch: 出力形式 "csv" はありません (table, json のいずれか)`},
		{[]string{"explain", "--os", "x", "ssh"}, `unknown --os "x"`, `--os に "x" は指定できません`},
		{[]string{"explain", "nosuchthing"}, "no service, port or process matches (try a port number", "当てはまるサービス、ポート、プロセスはありません"},
		{[]string{"snapshot", "-o", "table"}, "a snapshot is always JSON", "スナップショットは常に JSON です"},
		{[]string{"check", "--dns-timeout", "2m"}, "--dns-timeout 2m0s is out of range", "--dns-timeout 2m0s は範囲外です"},
		{[]string{"check", "--policy", "p.yaml", "--no-ports"}, "--policy needs the port listing", "--policy にはポート一覧が要ります"},
		{[]string{"analyze", "--firewall", notFirewall, "testdata/analyze/seed.txt"}, "expected the output of pfctl -sr", "のいずれかの出力ではありません"},
		{[]string{"lisst"}, "Run 'openports --help' for usage.", "使い方は 'openports --help' を見てください。"},
		{[]string{"analyze", "--root", notFirewall, "testdata/analyze/seed.txt"}, "not a directory", "ディレクトリではありません"},
		// list reads --root beside the collection: its error comes after.
		{[]string{"list", "--owners", "proc", "--root", notFirewall}, "not a directory", "ディレクトリではありません"},
		{[]string{"analyze", "--format", "x", "testdata/analyze/seed.txt"}, `--format: unknown format "x" (want one of: `, `--format: 入力形式 "x" はありません (`},
		{[]string{"list", "--bogus"}, "Run 'openports list --help' for usage.", "使い方は 'openports list --help' を見てください。"},
	} {
		for _, lang := range []string{"en", "ja"} {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"--lang", lang}, tc.args...), &stdout, &stderr)
			want, other := tc.en, tc.ja
			if lang == "ja" {
				want, other = tc.ja, tc.en
			}
			if code != 2 || !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), other) {
				t.Errorf("%s --lang %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), lang, code, stderr.String(), want)
			}
		}
	}
}

// TestAnalyzeStderrEscapesFileNames: the name of an input file is outside
// text in analyze's account of its parts and joins, in both languages.
func TestAnalyzeStderrEscapesFileNames(t *testing.T) {
	seed, err := os.ReadFile("testdata/analyze/seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "\x1b]0;owned\x07\u009b2J.txt")
	if err := os.WriteFile(name, seed, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ja"} {
		var stdout, stderr bytes.Buffer
		run(context.Background(), []string{"analyze", "--lang", lang, name}, &stdout, &stderr)
		if !strings.Contains(stderr.String(), `\x1b]0;owned\x07`) || strings.Count(stderr.String(), `\x1b]0;owned`) < 4 {
			t.Errorf("--lang %s: the file name is not in every part and join:\n%s", lang, stderr.String())
		}
		if strings.ContainsAny(stderr.String(), "\x1b\x07\u009b") {
			t.Errorf("--lang %s: stderr not escaped: %q", lang, stderr.String())
		}
	}
}
