package golden

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// fixtureDirs are the testdata directories that hold inputs: real files and
// real tool outputs. Each names every input in its provenance file (where
// from, revision, licence). Golden outputs need no entry: files named
// *.golden*, the globs in outputs, and fuzz/ (inputs Go's fuzzer found).
var fixtureDirs = []struct {
	dir, manifest string
	outputs       []string // golden outputs not named *.golden*, globs relative to dir
}{
	{"cmd/openports/testdata", "PROVENANCE.md", []string{
		"analyze/*.table", "analyze/*.stderr", "analyze/seed.json", "analyze/nmap-demo.json",
		"analyze/seed-pf-explain.txt", "diff/*.table", "diff/before-after.json", "diff/same.json",
		"formats/*"}},
	{"internal/analysis/testdata", "PROVENANCE.md", nil},
	{"internal/firewall/testdata", "MANIFEST.md", nil},
	{"internal/firewall/testdata/rulesets", "MANIFEST.md", nil},
	{"internal/firewall/iptables/testdata", "MANIFEST.md", nil},
	{"internal/firewall/pf/testdata", "MANIFEST.md", nil},
	{"internal/hostcheck/ifaces/testdata", "PROVENANCE.md", nil},
	{"internal/hostcheck/resolvconf/testdata", "PROVENANCE.md", nil},
	{"internal/hostcheck/routes/testdata", "PROVENANCE.md", nil},
	{"internal/knowledge/testdata", "PROVENANCE.md", nil},
	{"internal/parse/fstat/testdata", "PROVENANCE.md", nil},
	{"internal/parse/lsof/testdata", "PROVENANCE.md", nil},
	{"internal/parse/multi/testdata", "PROVENANCE.md", nil},
	{"internal/parse/netstat/testdata", "PROVENANCE.md", nil},
	{"internal/parse/nmap/testdata", "MANIFEST.md", nil},
	{"internal/parse/score/testdata", "README.md", nil},
	{"internal/parse/sockstat/testdata", "PROVENANCE.md", nil},
	{"internal/parse/ss/testdata", "PROVENANCE.md", nil},
	{"internal/source/bsd/testdata", "PROVENANCE.md", nil},
	{"internal/source/darwin/testdata", "PROVENANCE.md", nil},
	{"internal/source/linux/bpfowners/testdata", "MANIFEST.md", nil},
	{"internal/source/linux/containers/testdata", "PROVENANCE.md", nil},
	{"internal/source/linux/natrules/testdata", "PROVENANCE.md", nil},
	{"internal/source/linux/procnet/testdata", "PROVENANCE.md", nil},
	{"internal/source/linux/procpriv/testdata", "README.md", nil},
	{"internal/source/linux/sockdiag/testdata", "PROVENANCE.md", nil},
	{"internal/testenv/testdata", "PROVENANCE.md", nil},
}

// otherDirs are the testdata directories left out of the file-by-file
// check, each with the reason.
var otherDirs = map[string]string{
	"bench/runner/testdata":                 "golden outputs only",
	"internal/diff/testdata":                "golden outputs only (its inputs are internal/analysis/testdata)",
	"internal/firewall/nft/testdata":        "golden outputs and a fuzz corpus only",
	"internal/hostcheck/testdata":           "golden outputs only",
	"internal/parse/join/testdata":          "a golden output and a fuzz corpus only",
	"internal/policy/testdata":              "golden baselines only",
	"internal/render/testdata":              "golden outputs only (its inputs are other packages' fixtures)",
	"internal/source/linux/fdscan/testdata": "golden outputs only",
	"internal/watchpolicy/testdata":         "golden outputs only",
	"internal/provenance/testdata":          "copied system trees; its MANIFEST names each tree and its origin, not each of the 330 files",
}

// TestFixturesHaveProvenance fails when an input file in a listed testdata
// directory is not named in that directory's provenance file.
func TestFixturesHaveProvenance(t *testing.T) {
	listed := map[string]bool{}
	for _, fd := range fixtureDirs {
		listed[fd.dir] = true
	}
	for _, fd := range fixtureDirs {
		dir := filepath.Join(root, fd.dir)
		text, err := os.ReadFile(filepath.Join(dir, fd.manifest))
		if err != nil {
			t.Errorf("%s: %v", fd.dir, err)
			continue
		}
		for _, g := range fd.outputs {
			if m, _ := filepath.Glob(filepath.Join(dir, g)); len(m) == 0 {
				t.Errorf("%s: output glob %q matches no file", fd.dir, g)
			}
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				// fuzz/ is Go's corpus; a listed subdirectory has its own entry.
				if rel == "fuzz" || (rel != "." && listed[fd.dir+"/"+rel]) {
					return filepath.SkipDir
				}
				return nil
			}
			if rel == fd.manifest || strings.Contains(d.Name(), ".golden") || matchesAny(fd.outputs, rel) {
				return nil
			}
			// A file in a subdirectory may go by its base name when that is
			// a file name (has a dot), not a word like tcp.
			base := d.Name()
			if !names(string(text), rel) && (!strings.Contains(base, ".") || !names(string(text), base)) {
				t.Errorf("%s/%s: not named in %s (say where it is from, its revision and licence)", fd.dir, rel, fd.manifest)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", fd.dir, err)
		}
	}
}

// TestEveryTestdataDirIsClassified makes a new testdata directory choose:
// inputs with provenance (fixtureDirs) or golden outputs only (otherDirs).
func TestEveryTestdataDirIsClassified(t *testing.T) {
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == ".git" || d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.Name() == "testdata" {
			rel, _ := filepath.Rel(root, path)
			found = append(found, filepath.ToSlash(rel))
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("no testdata directory found under the repository root")
	}
	for _, dir := range found {
		in := slices.ContainsFunc(fixtureDirs, func(fd struct {
			dir, manifest string
			outputs       []string
		}) bool {
			return fd.dir == dir
		})
		if _, other := otherDirs[dir]; !in && !other {
			t.Errorf("%s: not in fixtureDirs (inputs, with a provenance file) nor otherDirs (golden outputs only)", dir)
		}
	}
	for dir := range otherDirs {
		if !slices.Contains(found, dir) {
			t.Errorf("otherDirs names %s, which does not exist", dir)
		}
	}
}

func matchesAny(globs []string, rel string) bool {
	for _, g := range globs {
		if ok, _ := filepath.Match(g, rel); ok {
			return true
		}
	}
	return false
}

// names reports whether text mentions name as a whole word: not as a
// part of a longer file name (host.snapshot.json in docker-host.snapshot.json).
func names(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !nameByte(text[start-1])) && (end == len(text) || !nameByte(text[end])) {
			return true
		}
		i = start + 1
	}
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
