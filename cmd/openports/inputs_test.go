package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// diff rejects snapshots that are not whole: instead of reporting every
// socket gone it exits 2.
func TestDiffRejectsBrokenSnapshots(t *testing.T) {
	englishEnv(t)
	good := filepath.Join("testdata", "diff", "before.json")
	data := readTestdata(t, good)
	for name, text := range map[string]string{
		"empty object":    "{}",
		"null":            "null",
		"schema missing":  `{"source":"linux","sockets":[]}`,
		"negative schema": `{"schema":-1,"sockets":[]}`,
		"trailing data":   string(data) + "\n{}",
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			bad := writeTemp(t, "bad.json", []byte(text))
			if code := run(context.Background(), []string{"diff", good, bad}, &out, &errb); code != 2 {
				t.Errorf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), "bad.json") {
				t.Errorf("the error does not name the file:\n%s", errb.String())
			}
		})
	}
}

// Outputs saved by Windows tools (a PowerShell redirect writes UTF-16 with a
// byte order mark) and by editors (a UTF-8 BOM) read like plain ones.
func TestAnalyzeDecodesBOMAndUTF16(t *testing.T) {
	englishEnv(t)
	plain := readTestdata(t, "../../internal/parse/ss/testdata/linux-netns-ss-tulpn.txt")
	_, want, e := analyzeJSON(t, nil, writeTemp(t, "plain.txt", plain))
	if want == nil {
		t.Fatal(e)
	}
	utf8BOM := append([]byte("\xef\xbb\xbf"), plain...)
	var le, be []byte
	le = append(le, 0xff, 0xfe)
	be = append(be, 0xfe, 0xff)
	for _, u := range utf16.Encode([]rune(string(plain))) {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	for name, data := range map[string][]byte{"utf-8 bom": utf8BOM, "utf-16le": le, "utf-16be": be} {
		code, got, stderr := analyzeJSON(t, nil, writeTemp(t, "in.txt", data))
		if got == nil || code != 0 || strings.Contains(stderr, "warning") || len(got.Rows) != len(want.Rows) {
			t.Errorf("%s: exit %d, rows %v, stderr:\n%s", name, code, got != nil, stderr)
		}
	}
}

// A directory given as an input gets one clear message.
func TestAnalyzeDirectory(t *testing.T) {
	englishEnv(t)
	dir := t.TempDir()
	code, _, stderr := analyzeJSON(t, nil, dir)
	if code != 2 || !strings.Contains(stderr, "is a directory") || strings.Count(stderr, "\n") > 1 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Every input goes through a size limit: an endless --policy is refused,
// not read into memory.
func TestPolicySizeLimit(t *testing.T) {
	englishEnv(t)
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"analyze", "--policy", "/dev/zero", "../../internal/parse/ss/testdata/linux-netns-ss-tulpn.txt"}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "larger than") {
		t.Errorf("exit %d, stderr:\n%s", code, errb.String())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Logf("took %v", d) // informative only: timing is never asserted
	}
}

// A cancelled context (Ctrl-C, SIGTERM through signal.NotifyContext in
// main) stops analyze while it reads.
func TestAnalyzeStopsWhenCancelled(t *testing.T) {
	englishEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetIn(strings.NewReader(strings.Repeat("tcp 0 0 *.22 *.* LISTEN\n", 1000)))
	root.SetArgs([]string{"analyze", "-"})
	err := root.ExecuteContext(ctx)
	var ec *exitCodeError
	if !asExit(err, &ec) || ec.err == nil || !strings.Contains(ec.err.Error(), "context canceled") {
		t.Errorf("err = %v, want a cancelled read", err)
	}
	if out.Len() != 0 {
		t.Errorf("a report after cancellation:\n%s", out.String())
	}
}
