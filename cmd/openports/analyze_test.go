package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// englishEnv makes the goldens independent of the tester's locale.
func englishEnv(t *testing.T) {
	t.Setenv("LC_ALL", "C")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "")
}

func TestAnalyzeGolden(t *testing.T) {
	englishEnv(t)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("# netstat -an\ntcp 0 0 *.22 *.* LISTEN\nthis is not netstat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []cmdCase{
		{name: "seed netstat then fstat, table", args: []string{"analyze", "--color", "never", "testdata/analyze/seed.txt"},
			code: 3, golden: "seed.table", stderr: "seed.stderr"},
		{name: "seed netstat then fstat, json", args: []string{"analyze", "-o", "json", "testdata/analyze/seed.txt"},
			code: 3, golden: "seed.json", stderr: "seed.stderr"},
		{name: "fstat -n exercise, complete", args: []string{"analyze", "--color", "never", "testdata/analyze/fstat-n-exercise.txt"},
			code: 0, golden: "fstat-n-exercise.table", stderr: "fstat-n-exercise.stderr"},
		{name: "fstat -n exercise in Japanese", args: []string{"analyze", "--color", "never", "--lang", "ja", "testdata/analyze/fstat-n-exercise.txt"},
			code: 0, golden: "fstat-n-exercise.ja.table", stderr: "fstat-n-exercise.ja.stderr"},
		{name: "fstat -n exercise explained", args: []string{"analyze", "--color", "never", "--explain", "testdata/analyze/fstat-n-exercise.txt"},
			code: 0, golden: "fstat-n-exercise.explain.table", stderr: "fstat-n-exercise.stderr"},
		{name: "fstat -n exercise explained in Japanese", args: []string{"analyze", "--color", "never", "--explain", "--lang", "ja", "testdata/analyze/fstat-n-exercise.txt"},
			code: 0, golden: "fstat-n-exercise.explain.ja.table", stderr: "fstat-n-exercise.ja.stderr"},
		{name: "the seed's two outputs in two files are joined", args: []string{"analyze", "--color", "never", "testdata/analyze/seed-netstat.txt", "testdata/analyze/seed-fstat.txt"},
			code: 3, golden: "two-files.table", stderr: "two-files.stderr"},
		{name: "the join described in Japanese", args: []string{"analyze", "--color", "never", "--lang", "ja", "testdata/analyze/seed-netstat.txt", "testdata/analyze/seed-fstat.txt"},
			code: 3, stderr: "two-files.ja.stderr"},
		{name: "connected sockets left out", args: []string{"analyze", "--color", "never", "../../internal/parse/netstat/testdata/freebsd-12-an.txt"},
			code: 3, golden: "freebsd-12-an.table", stderr: "freebsd-12-an.stderr"},
		{name: "connected sockets kept with --established", args: []string{"analyze", "--color", "never", "--established", "../../internal/parse/netstat/testdata/freebsd-12-an.txt"},
			code: 3, golden: "freebsd-12-an-established.table"},
		{name: "seed with pfctl -sr rules, explained", args: []string{"analyze", "--color", "never", "--explain", "--firewall", "../../internal/firewall/pf/testdata/openbsd-web.pfctl-sr", "testdata/analyze/seed.txt"},
			code: 3, golden: "seed-pf-explain.txt", errHas: "fstat"},
		{name: "nmap scan, json", args: []string{"analyze", "-o", "json", "../../internal/parse/nmap/testdata/demo-tcp-udp.xml"},
			code: 3, golden: "nmap-demo.json", errHas: "nmap-xml"},
		// A parsed output lists no raw or packet socket: no all-clear
		// ("nothing reachable"), only that no TCP/UDP port is reachable.
		{name: "nothing on a port, raw sockets not looked at", args: []string{"analyze", "--color", "never", "../../internal/parse/fstat/testdata/openbsd-fstat-u-unwind-n.txt"},
			code: 0, golden: "openbsd-fstat-unwind.table"},
		{name: "nothing on a port, in Japanese", args: []string{"analyze", "--color", "never", "--lang", "ja", "../../internal/parse/lsof/testdata/macos-Pn-i4.txt"},
			code: 0, golden: "macos-lsof.ja.table"},
		{name: "--firewall not a ruleset", args: []string{"analyze", "--firewall", "testdata/analyze/seed.txt", "testdata/analyze/seed.txt"},
			code: 2, errHas: "expected the output of pfctl -sr, iptables-save or ip6tables-save"},
		{name: "missing file", args: []string{"analyze", "testdata/analyze/nosuch.txt"},
			code: 2, errHas: "open testdata/analyze/nosuch.txt: no such file or directory"},
		{name: "unknown format", args: []string{"analyze", "--format", "bogus", "testdata/analyze/seed.txt"},
			code: 2, errHas: `--format: unknown format "bogus" (want one of: netstat-linux, netstat-bsd`},
		{name: "no argument", args: []string{"analyze"}, code: 2, errHas: "requires at least 1 arg"},
		{name: "bad line is a counted warning", args: []string{"analyze", "--color", "never", bad},
			code: 3, errHas: bad + `:3: expected a netstat line: Proto Recv-Q Send-Q HOST.PORT HOST.PORT [(state)], got "this is not netstat"` +
				"\nanalyze: 1 line not understood (skipped; --strict makes this an error)"},
		{name: "bad line with --strict", args: []string{"analyze", "--strict", bad},
			code: 2, errHas: "openports: --strict: 1 line not understood"},
		{name: "nothing recognised", args: []string{"analyze", "analyze_test.go"},
			code: 2, errHas: "analyze_test.go: no line is output of netstat, ss, lsof, fstat or sockstat"},
	}
	runCases(t, "analyze", tests)
}

// TestAnalyzeStdin reads "-" from the command's standard input.
func TestAnalyzeStdin(t *testing.T) {
	englishEnv(t)
	seed, err := os.ReadFile("testdata/analyze/seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetIn(bytes.NewReader(seed))
	root.SetArgs([]string{"analyze", "--color", "never", "-"})
	err = root.ExecuteContext(context.Background())
	var ec *exitCodeError
	if !asExit(err, &ec) || ec.code != 3 {
		t.Fatalf("err = %v, want exit 3", err)
	}
	want, err := os.ReadFile("testdata/analyze/seed.table")
	if err != nil {
		t.Fatal(err)
	}
	// The gap names the input: "-" instead of the file name.
	want = bytes.ReplaceAll(want, []byte("testdata/analyze/seed.txt:"), []byte("-:"))
	if stdout.String() != string(want) {
		t.Errorf("stdin output differs from seed.table:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "analyze: -:10-20: fstat (score 90) after \"fstat | grep :\"") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func asExit(err error, target **exitCodeError) bool {
	e, ok := err.(*exitCodeError)
	if ok {
		*target = e
	}
	return ok
}
