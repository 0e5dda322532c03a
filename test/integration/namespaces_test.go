//go:build linux

package integration

import (
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// TestPIDNamespace runs the real binary in a new PID namespace with its
// own /proc, sharing the network namespace of a listener whose process is
// outside it: the listener's owner is unknown (not a kernel socket), the
// reason says why, and the exit code is 3.
func TestPIDNamespace(t *testing.T) {
	bin := openports(t)
	env := testenv.New(t)
	env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:7305")})
	r := run(t, env.NS, "unshare", "--pid", "--fork", "--mount-proc", bin, "list", "--all")
	if r.code != report.ExitIncomplete {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, report.ExitIncomplete, r.stdout, r.stderr)
	}
	var line string
	for l := range strings.Lines(r.stdout) {
		if strings.Contains(l, " 7305 ") {
			line = l
		}
	}
	if !strings.Contains(line, "owners outside this PID namespace are invisible") || strings.Contains(line, "kernel socket") {
		t.Errorf("row of the listener on 7305: %q, want its owner unknown for the PID namespace\n%s", line, r.stdout)
	}
}
