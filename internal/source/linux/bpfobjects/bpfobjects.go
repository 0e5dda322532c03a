// Package bpfobjects checks that the eBPF objects a package embeds are what
// bpf/generate.sh makes from their source. It is imported by tests only.
package bpfobjects

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CheckUpToDate rebuilds program (a PROGRAM name of bpf/generate.sh, such
// as "taskfile") into a temporary directory and requires each of objects,
// read from the test's working directory (the package directory), to be
// the same bytes as the fresh one: the build is reproducible, so a
// difference means source (named in the message) changed and the objects
// were not rebuilt. It skips the test when the toolchain or the libbpf
// headers are not installed.
func CheckUpToDate(t testing.TB, program, source string, objects ...string) {
	t.Helper()
	for _, tool := range []string{"bash", "clang-14", "llvm-strip-14"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make test-deps installs clang-14, llvm-14 and libbpf-dev): %v", tool, err)
		}
	}
	if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
		t.Skipf("libbpf headers not installed (make test-deps installs libbpf-dev): %v", err)
	}
	script, err := generateScript()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", script, dir, program)
	cmd.Env = append(os.Environ(), "CLANG=clang-14", "STRIP=llvm-strip-14")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	for _, name := range objects {
		fresh, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is out of date with %s: run bpf/generate.sh and commit the result", name, source)
		}
	}
}

// generateScript finds bpf/generate.sh in the module root, the nearest
// directory above the working directory that holds go.mod.
func generateScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find bpf/generate.sh: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "bpf", "generate.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find bpf/generate.sh: no go.mod above the working directory")
		}
		dir = parent
	}
}
