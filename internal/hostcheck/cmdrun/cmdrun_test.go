package cmdrun

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	out, err := Output(context.Background(), "sh", "-c", "printf 'a\\nb\\n'")
	if err != nil || string(out) != "a\nb\n" {
		t.Errorf("Output = %q, %v", out, err)
	}
	_, err = Output(context.Background(), "sh", "-c", "echo oops >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "oops") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: err = %v", err)
	}
	out, err = Output(context.Background(), "sh", "-c", "head -c 9000000 /dev/zero")
	if !errors.Is(err, ErrTooLong) || len(out) != MaxOutput {
		t.Errorf("long output: len %d, err %v", len(out), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Output(ctx, "sleep", "5"); err == nil {
		t.Error("cancelled context: no error")
	}
}
