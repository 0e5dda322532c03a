package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/openports/openports/internal/watch"
)

func TestWatchUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		errHas string
	}{
		{"unknown mode", []string{"watch", "--mode", "psychic"}, "unknown --mode"},
		{"unknown output", []string{"watch", "-o", "yaml"}, "unknown output format"},
		{"argument", []string{"watch", "extra"}, "unknown command"},
		{"negative duration", []string{"watch", "--duration", "-1s"}, "must not be negative"},
		{"bad interval", []string{"watch", "--interval", "often"}, "invalid argument"},
		{"unknown flag", []string{"watch", "--forever"}, "unknown flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.errHas) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.errHas)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty:\n%s", stdout.String())
			}
		})
	}
}

// watchLine is one line of watch -o json: an event or the summary.
type watchLine struct {
	watch.Event
	Summary *watch.Summary `json:"summary"`
}
