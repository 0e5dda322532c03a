// Package fleet tests what takes openports from one host to a fleet, each
// with the real tool that consumes it: the alert rules with promtool, the
// systemd units with systemd-analyze, and the whole pipeline openports
// --textfile → node_exporter → Prometheus → alert in a test namespace.
package fleet

import (
	"bytes"
	"context"
	"errors"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openports/openports/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.ServeRole()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// openports builds ./cmd/openports once per test run, in a world-readable
// directory, and returns its path (or OPENPORTS_TEST_BIN's, when set).
func openports(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		// The same prebuilt binary test/integration accepts.
		if prebuilt := os.Getenv("OPENPORTS_TEST_BIN"); prebuilt != "" {
			binPath = prebuilt
			_, buildErr = os.Stat(prebuilt)
			return
		}
		if binDir, buildErr = os.MkdirTemp("", "openports-fleet-"); buildErr != nil {
			return
		}
		if buildErr = os.Chmod(binDir, 0o755); buildErr != nil {
			return
		}
		binPath, buildErr = testenv.Build(binDir, "./cmd/openports")
	})
	if buildErr != nil {
		t.Fatalf("build openports: %v", buildErr)
	}
	return binPath
}

// repoPath is a path in the repository, from the module root.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

// need returns the path of a program, or skips t saying which package
// brings it.
func need(t *testing.T, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s; scripts/test-deps.sh installs it)", program, pkg)
	}
	return p
}

// runCmd runs a program on the host, bounded in time, and returns its
// combined output and exit code.
func runCmd(t *testing.T, dir string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("run %s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	return "", 0
}
