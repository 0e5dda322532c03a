package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/openports/openports/internal/testenv"
)

// TestStartupDependencies keeps packages whose initialisation is dear out
// of the binary people run: every package linked is initialised at every
// start of every command, --help included.
func TestStartupDependencies(t *testing.T) {
	gotool, err := testenv.GoTool()
	if err != nil {
		t.Skip(err)
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gotool, "list", "-deps", "./cmd/openports")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	linked := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		linked[p] = true
	}
	if !linked["github.com/spf13/cobra"] {
		t.Fatalf("go list -deps does not list cobra; output:\n%.500s", out)
	}
	for pkg, why := range map[string]string{
		"github.com/spf13/cobra/doc":         "the man page generator, built only with -tags man",
		"github.com/russross/blackfriday/v2": "cobra/doc's Markdown renderer",
	} {
		if linked[pkg] {
			t.Errorf("openports links %s (%s)", pkg, why)
		}
	}
}
