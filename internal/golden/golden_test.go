package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	tests := []struct {
		name, want, got, out string
	}{
		{"changed line", "a\nb\nc\n", "a\nx\nc\n", "line 2:\n want \"b\"\n  got \"x\""},
		{"got longer", "a\n", "a\nb\n", "line 2:\n want \"\"\n  got \"b\""},
		{"want longer", "a\nb", "a", "line 2:\n want \"b\"\n  got \"\""},
		{"same", "a\n", "a\n", "the files differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := FirstDiff([]byte(tt.want), []byte(tt.got)); out != tt.out {
				t.Errorf("FirstDiff = %q, want %q", out, tt.out)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.golden.json")
	if *Update {
		t.Skip("-update rewrites instead of comparing")
	}
	// A missing file and a differing file fail; the same content passes.
	var rec recorder
	Check(&rec, path, []byte("{}\n"))
	if !rec.failed || !strings.Contains(rec.msg, "run go test -update") {
		t.Errorf("missing file: failed %v, %q", rec.failed, rec.msg)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{\n  \"a\": 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec = recorder{}
	CheckJSON(&rec, path, map[string]int{"a": 2})
	if !rec.failed || !strings.Contains(rec.msg, `line 2:`) {
		t.Errorf("differing file: failed %v, %q", rec.failed, rec.msg)
	}
	rec = recorder{}
	CheckJSON(&rec, path, map[string]int{"a": 1})
	if rec.failed {
		t.Errorf("same content failed: %q", rec.msg)
	}
	*Update = true
	defer func() { *Update = false }()
	rec = recorder{}
	CheckJSON(&rec, path, map[string]int{"a": 3})
	if b, err := os.ReadFile(path); err != nil || rec.failed || string(b) != "{\n  \"a\": 3\n}\n" {
		t.Errorf("update: %q %v, failed %v %q", b, err, rec.failed, rec.msg)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }

// TestCheckCorpusJSON runs the parser once per corpus file, with the file's
// base name and bytes, and compares with each file's golden.
func TestCheckCorpusJSON(t *testing.T) {
	if *Update {
		t.Skip("-update rewrites instead of comparing")
	}
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":         "one",
		"a.golden.json": "{\n  \"name\": \"a.txt\",\n  \"text\": \"one\"\n}\n",
		"b.txt":         "two",
		"b.golden.json": "{\n  \"name\": \"b.txt\",\n  \"text\": \"two\"\n}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	CheckCorpusJSON(t, filepath.Join(dir, "*.txt"), func(t *testing.T, name string, data []byte) any {
		seen = append(seen, name)
		return struct {
			Name string `json:"name"`
			Text string `json:"text"`
		}{name, string(data)}
	})
	if fmt.Sprint(seen) != "[a.txt b.txt]" {
		t.Errorf("parsed %v, want [a.txt b.txt]", seen)
	}
}
