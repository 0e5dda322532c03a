package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSignalsCancelOnlyRunningCommands: the context main makes end on
// SIGINT and SIGTERM (cancelOnSignals) is the one a running command reads
// from, and it is made only when a command runs, never for --help.
func TestSignalsCancelOnlyRunningCommands(t *testing.T) {
	englishEnv(t)
	calls := 0
	cancelOnSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		calls++
		// As if the signal had come: the command must see it.
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx, cancel
	}
	t.Cleanup(func() { cancelOnSignals = nil })

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, errb.String())
	}
	if calls != 0 {
		t.Errorf("--help installed the signal handling %d times", calls)
	}

	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"analyze", "testdata/analyze/seed.txt"}, &out, &errb)
	if calls != 1 {
		t.Errorf("analyze installed the signal handling %d times, want 1", calls)
	}
	if code == 0 || !strings.Contains(errb.String(), "context canceled") {
		t.Errorf("analyze: exit %d, stderr %q: want the cancellation the signal context carries", code, errb.String())
	}
}
