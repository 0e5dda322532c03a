// Package sourcetest holds the test scaffolding the collectors that run
// tools (internal/source/bsd, internal/source/darwin) share: a runner that
// plays recorded outputs and remembers what it was asked to run, and the
// golden-file check of the snapshots they make. It is imported by tests
// only; importing it registers -update (internal/golden).
package sourcetest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/tool"
)

// Recorder is a tool.Runner that plays the outputs of Fake and remembers
// in Calls the command lines it was asked to run, in order.
type Recorder struct {
	Fake  tool.Fake
	Calls []string
}

// Run implements tool.Runner.
func (r *Recorder) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	r.Calls = append(r.Calls, strings.Join(append([]string{name}, args...), " "))
	return r.Fake.Run(ctx, name, args...)
}

// Recorded returns a Recorder that answers each command line of files
// ("fstat -n") with the contents of the file it names under testdata/.
func Recorded(t testing.TB, files map[string]string) *Recorder {
	t.Helper()
	f := tool.Fake{}
	for cmd, file := range files {
		f[cmd] = tool.FakeResult{Output: Testdata(t, file)}
	}
	return &Recorder{Fake: f}
}

// Testdata returns the contents of testdata/name, failing t when it cannot
// be read.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Golden compares s, as snapshot.Write writes it, with testdata/name; with
// -update it rewrites the file first.
func Golden(t testing.TB, name string, s *snapshot.Snapshot) {
	t.Helper()
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name), buf.Bytes())
}
