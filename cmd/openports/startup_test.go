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
		// -o prometheus builds client_model's metric families and encodes
		// them with expfmt: client_golang's registry would bring its own
		// initialisation and, through its Go and process collectors,
		// runtime/metrics, procfs and expvar to every start.
		"github.com/prometheus/client_golang/prometheus": "client_golang (-o prometheus needs only client_model and expfmt)",
		"runtime/metrics":              "runtime/metrics (client_golang's Go collector)",
		"github.com/prometheus/procfs": "procfs (client_golang's process collector)",
		"expvar":                       "expvar (client_golang's expvar collector)",
	} {
		if linked[pkg] {
			t.Errorf("openports links %s (%s)", pkg, why)
		}
	}
}
