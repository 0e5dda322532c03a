// Package collecttest checks a hostcheck collector that runs a system tool
// and parses its output, against tool.Fake runs of that tool. It is
// imported by tests only.
package collecttest

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openports/openports/internal/source/tool"
)

// Case describes a collector: Cmd is the command line it runs (as
// tool.Fake keys it), Output a real output of it and Want what the
// collector must return for it; Bad is a line that the parser rejects.
type Case[T any] struct {
	Cmd     string
	Output  []byte
	Want    []T
	Bad     string
	Collect func(context.Context, tool.Runner) ([]T, error)
}

// Run checks that the collector returns Want for Output, passes on the
// runner's errors (a missing tool, a failing one) and fails on output with
// Bad appended, returning what it parsed with the error.
func Run[T any](t *testing.T, c Case[T]) {
	t.Helper()
	if len(c.Want) == 0 {
		t.Fatalf("%s: the expected result is empty", c.Cmd)
	}
	tool0, _, _ := strings.Cut(c.Cmd, " ")
	boom := errors.New("exit status 1: " + tool0 + ": permission denied")
	tests := []struct {
		name    string
		fake    tool.Fake
		errIs   error
		errHas  string
		partial bool
	}{
		{name: "output parsed and sorted", fake: tool.Fake{c.Cmd: {Output: c.Output}}},
		{name: "tool missing", fake: tool.Fake{}, errIs: tool.ErrNotFound, errHas: "run " + c.Cmd},
		{name: "tool fails", fake: tool.Fake{c.Cmd: {Output: c.Output[:10], Err: boom}}, errIs: boom},
		{name: "unknown line", fake: tool.Fake{c.Cmd: {Output: append(bytes.Clone(c.Output), c.Bad+"\n"...)}},
			errHas: "parse " + c.Cmd + ": ", partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Collect(context.Background(), tt.fake)
			if tt.errIs == nil && tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.Want) {
					t.Errorf("got %+v\nwant %+v", got, c.Want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, got %d results", len(got))
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, not %v", err, tt.errIs)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %q, lacks %q", err, tt.errHas)
			}
			if tt.partial != (len(got) > 0) {
				t.Errorf("%d results returned with the error, want some: %v", len(got), tt.partial)
			}
		})
	}
}
