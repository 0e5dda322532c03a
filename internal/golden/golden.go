// Package golden compares test output with golden files under a package's
// testdata/ and rewrites them when the tests run with -update, so that
// `go test ./... -update` is the one command that refreshes every golden
// file. It is imported by tests only; importing it registers -update.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update reports whether the tests run with -update: Check then rewrites
// the golden files instead of failing on a difference.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Check compares got with the file at path. With -update it first writes
// got to path (creating its directory).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff)\n%s", path, FirstDiff(want, got))
	}
}

// CheckJSON encodes v as indented JSON with a final newline and compares
// it with the file at path, as Check does.
func CheckJSON(t testing.TB, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encode %s: %v", path, err)
	}
	Check(t, path, append(got, '\n'))
}

// FirstDiff describes the first line where want and got differ.
func FirstDiff(want, got []byte) string {
	w := bytes.Split(want, []byte("\n"))
	g := bytes.Split(got, []byte("\n"))
	for i := range max(len(w), len(g)) {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if i >= len(w) || i >= len(g) || !bytes.Equal(wl, gl) {
			return fmt.Sprintf("line %d:\n want %q\n  got %q", i+1, wl, gl)
		}
	}
	return "the files differ"
}

// CheckCorpusJSON runs a subtest, named after the file, for each file
// matching the filepath.Glob pattern (failing when there is none): parse
// turns the file's base name and bytes into a value, which CheckJSON
// compares with the file's golden, its path with the extension replaced
// by .golden.json.
func CheckCorpusJSON(t *testing.T, pattern string, parse func(t *testing.T, name string, data []byte) any) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatalf("corpus %s: %v", pattern, err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files match %s", pattern)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v := parse(t, filepath.Base(f), data)
			CheckJSON(t, strings.TrimSuffix(f, filepath.Ext(f))+".golden.json", v)
		})
	}
}

// AddCorpus adds each file matching the filepath.Glob pattern to the seed
// corpus of a fuzz test.
func AddCorpus(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatalf("corpus %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
