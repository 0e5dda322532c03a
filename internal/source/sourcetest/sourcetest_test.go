package sourcetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/openports/openports/internal/source/tool"
)

func TestRecorder(t *testing.T) {
	r := &Recorder{Fake: tool.Fake{"fstat -n": {Output: []byte("out")}}}
	tests := []struct {
		name    string
		args    []string
		out     string
		missing bool
	}{
		{"fstat", []string{"-n"}, "out", false},
		{"sockstat", []string{"-4", "-l"}, "", true},
	}
	for _, tt := range tests {
		out, err := r.Run(context.Background(), tt.name, tt.args...)
		if string(out) != tt.out || errors.Is(err, tool.ErrNotFound) != tt.missing {
			t.Errorf("Run(%s %q) = %q, %v", tt.name, tt.args, out, err)
		}
	}
	if want := []string{"fstat -n", "sockstat -4 -l"}; !slices.Equal(r.Calls, want) {
		t.Errorf("Calls = %q, want %q", r.Calls, want)
	}
}
