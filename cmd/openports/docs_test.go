package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/testenv"
)

// TestCompletions asks the completion machinery every shell script calls
// (openports __complete ...) for flag values and explain's services.
func TestCompletions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // lines that must be offered (before any tab)
		not  []string
	}{
		{[]string{"explain", "s"}, []string{"ssh", "smtp", "samba-smbd"}, []string{"http", "telnet"}},
		{[]string{"explain", "tel"}, []string{"telnet"}, []string{"ssh"}},
		{[]string{"-o", ""}, []string{"table", "json", "prometheus"}, nil},
		{[]string{"list", "--lang", ""}, []string{"en", "ja"}, nil},
		{[]string{"analyze", "--color", ""}, []string{"auto", "always", "never"}, nil},
		{[]string{"list", "--owners", ""}, []string{"auto", "proc", "ebpf"}, nil},
		{[]string{"list", "--netns", ""}, []string{"current", "all"}, nil},
		{[]string{"watch", "--netns", ""}, []string{"all"}, []string{"current"}},
		{[]string{"explain", "--os", ""}, []string{"linux", "netbsd", "freebsd", "openbsd", "darwin", "all"}, nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), append([]string{"__complete"}, tc.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			offered := map[string]bool{}
			for _, line := range strings.Split(stdout.String(), "\n") {
				if line == "" || strings.HasPrefix(line, ":") {
					continue
				}
				word, _, _ := strings.Cut(line, "\t")
				offered[word] = true
			}
			for _, w := range tc.want {
				if !offered[w] {
					t.Errorf("%q not offered; got:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.not {
				if offered[w] {
					t.Errorf("%q offered", w)
				}
			}
		})
	}
}

// TestManPages builds openports with -tags man (make man), writes the man
// pages and checks there is one per command, with its flags.
func TestManPages(t *testing.T) {
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports", "-tags", "man")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "man", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openports man: %v: %s", err, stderr.String())
	}
	var stdout bytes.Buffer
	for _, c := range newRootCmd(&stdout, &stderr).Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		page := filepath.Join(dir, "openports-"+c.Name()+".1")
		b, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("no man page for %s: %v", c.Name(), err)
			continue
		}
		if !bytes.HasPrefix(b, []byte(`.nh`)) && !bytes.Contains(b, []byte(`.TH "OPENPORTS" "1"`)) {
			t.Errorf("%s is not a man page:\n%.200s", page, b)
		}
	}
	list, err := os.ReadFile(filepath.Join(dir, "openports-list.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"textfile", "policy", "SEE ALSO"} {
		if !bytes.Contains(list, []byte(want)) {
			t.Errorf("openports-list.1 lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "openports.1")); err != nil {
		t.Errorf("no openports.1: %v", err)
	}
}

// TestManWithoutGenerator: a binary built without -tags man says how to
// make the pages, with the usage exit code, and writes nothing.
func TestManWithoutGenerator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"man", dir}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "make man") {
		t.Errorf("stderr does not say how to make the pages: %s", stderr.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s was made: %v", dir, err)
	}
}
