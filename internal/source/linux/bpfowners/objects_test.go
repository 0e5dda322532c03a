package bpfowners

import (
	"testing"

	"github.com/openports/openports/internal/source/linux/bpfobjects"
)

// TestObjectsUpToDate rebuilds the iterator objects from bpf/task_file.bpf.c
// with bpf/generate.sh into a temporary directory and requires the
// committed ones to be the same bytes: the build is reproducible, so a
// difference means the source changed and the objects were not rebuilt.
func TestObjectsUpToDate(t *testing.T) {
	bpfobjects.CheckUpToDate(t, "taskfile", "bpf/task_file.bpf.c", "taskfile_bpfel.o", "taskfile_bpfeb.o")
}
