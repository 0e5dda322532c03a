package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ModuleRoot returns the directory of the go.mod that encloses the working
// directory (a test's package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no go.mod above the working directory")
}

// GoTool returns the go command: the one on PATH, else $GOROOT/bin/go.
func GoTool() (string, error) {
	p, err := exec.LookPath("go")
	if err == nil {
		return p, nil
	}
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		if _, serr := os.Stat(filepath.Join(goroot, "bin", "go")); serr == nil {
			return filepath.Join(goroot, "bin", "go"), nil
		}
	}
	return "", fmt.Errorf("find the go command: %w", err)
}

// Build builds the main package pkg (a path relative to the module root,
// such as "./cmd/openports") into dir and returns the binary's path; flags
// go before the package (e.g. "-tags", "man"). The binary is made
// world-executable so that tests may run it as another user.
func Build(dir, pkg string, flags ...string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	gotool, err := GoTool()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.CommandContext(ctx, gotool, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return "", fmt.Errorf("chmod %s: %w", out, err)
	}
	return out, nil
}
