package bpfowners

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestObjectsUpToDate rebuilds the iterator objects from bpf/task_file.bpf.c
// with bpf/generate.sh into a temporary directory and requires the
// committed ones to be the same bytes: the build is reproducible, so a
// difference means the source changed and the objects were not rebuilt.
func TestObjectsUpToDate(t *testing.T) {
	for _, tool := range []string{"bash", "clang-14", "llvm-strip-14"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make test-deps installs clang-14, llvm-14 and libbpf-dev): %v", tool, err)
		}
	}
	if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
		t.Skipf("libbpf headers not installed (make test-deps installs libbpf-dev): %v", err)
	}
	script, err := filepath.Abs("../../../../bpf/generate.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", script, dir, "taskfile")
	cmd.Env = append(os.Environ(), "CLANG=clang-14", "STRIP=llvm-strip-14")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	for _, name := range []string{"taskfile_bpfel.o", "taskfile_bpfeb.o"} {
		fresh, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is out of date with bpf/task_file.bpf.c: run bpf/generate.sh and commit the result", name)
		}
	}
}
