package kernfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadMatchesOS compares Read with os.ReadFile on kernel files whose
// contents do not change between two reads, and on a regular file larger
// than the first read.
func TestReadMatchesOS(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 3*firstRead/16+5), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/proc/self/cmdline", "/proc/sys/kernel/ostype", "/proc/self/cgroup", big} {
		got, err := Read(path)
		if err != nil {
			t.Fatalf("Read(%s): %v", path, err)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Read(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestReadAt(t *testing.T) {
	dir, err := unix.Open("/proc/self", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dir)
	b, err := ReadAt(dir, "status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "Name:") {
		t.Errorf("status starts %q", b[:min(len(b), 20)])
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read("/proc/self/no-such-file")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "/proc/self/no-such-file" {
		t.Errorf("missing file: %v, want a PathError naming it", err)
	}
	// A directory opens but cannot be read.
	if _, err := Read("/proc/self"); !errors.Is(err, unix.EISDIR) {
		t.Errorf("directory: %v, want EISDIR", err)
	}
}

func TestFS(t *testing.T) {
	fsys := FS("/proc")
	b, err := fs.ReadFile(fsys, "self/status")
	if err != nil || !strings.HasPrefix(string(b), "Name:") {
		t.Fatalf("ReadFile(self/status) = %q, %v", b, err)
	}
	if _, err := fs.ReadFile(fsys, "../etc/passwd"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("path outside the root: %v, want fs.ErrInvalid", err)
	}
	// Stat, ReadDir and ReadLink are os.DirFS's: fs.Stat must not fall
	// back to opening the file.
	if _, ok := fsys.(fs.StatFS); !ok {
		t.Error("no Stat method: fs.Stat opens the file")
	}
	if _, ok := fsys.(fs.ReadDirFS); !ok {
		t.Error("no ReadDir method")
	}
	if _, ok := fsys.(fs.ReadLinkFS); !ok {
		t.Error("no ReadLink method")
	}
	if _, err := fs.Stat(fsys, "self/ns/pid"); err != nil {
		t.Errorf("Stat(self/ns/pid): %v", err)
	}
	// Errors as os.DirFS gives them: relative to the root.
	_, err = fs.ReadFile(fsys, "self/no-such-file")
	_, want := fs.ReadFile(os.DirFS("/proc"), "self/no-such-file")
	if err == nil || want == nil || err.Error() != want.Error() || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want %v", err, want)
	}
}
