package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
)

// cmdCase is one command line of a table-driven command test and what the
// command must do with it.
type cmdCase struct {
	name   string
	args   []string
	code   int    // the exit code
	golden string // stdout golden; "" means stdout must be empty on a usage error (exit 2)
	stderr string // stderr golden; "" to check errHas instead
	errHas string // stderr must contain this
	quiet  bool   // with neither stderr nor errHas, stderr must be empty
}

// runCases runs each case through run in a subtest and checks its exit
// code, its output against the goldens in testdata/dir and its errors.
func runCases(t *testing.T, dir string, cases []cmdCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if tc.golden != "" {
				checkGolden(t, dir, tc.golden, stdout.Bytes())
			} else if tc.code == 2 && stdout.Len() != 0 {
				t.Errorf("stdout on a usage error:\n%s", stdout.String())
			}
			if tc.stderr != "" {
				checkGolden(t, dir, tc.stderr, stderr.Bytes())
			}
			if tc.errHas != "" && !strings.Contains(stderr.String(), tc.errHas) {
				t.Errorf("stderr lacks %q:\n%s", tc.errHas, stderr.String())
			}
			if tc.quiet && tc.stderr == "" && tc.errHas == "" && stderr.Len() != 0 {
				t.Errorf("stderr not empty:\n%s", stderr.String())
			}
		})
	}
}

// checkGolden compares got with testdata/dir/name (rewritten by -update).
func checkGolden(t *testing.T, dir, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", dir, name), got)
}
