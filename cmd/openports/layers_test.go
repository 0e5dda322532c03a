package main

import (
	"os/exec"
	"strings"
	"testing"
)

// layers are the stages of the pipeline, in the order data flows
// (docs/design.md): a package may import its own stage and earlier ones,
// never a later one. Packages not listed (testenv, golden, outfile) are
// helpers any stage may use.
var layers = [][]string{
	{"internal/snapshot"},
	{"internal/source", "internal/parse", "internal/knowledge", "internal/provenance"},
	{"internal/report"},
	{"internal/analysis", "internal/policy", "internal/hostcheck", "internal/diff", "internal/watch"},
	{"internal/render"},
	{"cmd/openports"},
}

const module = "github.com/openports/openports/"

// layerOf returns the stage of an import path of this module, -1 for a
// helper or another module.
func layerOf(path string) int {
	rel, ok := strings.CutPrefix(path, module)
	if !ok {
		return -1
	}
	for i, l := range layers {
		for _, p := range l {
			if rel == p || strings.HasPrefix(rel, p+"/") {
				return i
			}
		}
	}
	return -1
}

// TestNoStageImportsALaterOne lists the dependencies of every package of
// each stage with go list.
func TestNoStageImportsALaterOne(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list dependencies")
	}
	var pkgs []string
	for _, l := range layers[:len(layers)-1] {
		for _, p := range l {
			pkgs = append(pkgs, module+p+"/...")
		}
	}
	args := append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, deps := fields[0], fields[1:]
		own := layerOf(pkg)
		if own < 0 {
			continue
		}
		checked++
		for _, d := range deps {
			if l := layerOf(d); l > own {
				t.Errorf("%s (stage %d) imports %s (stage %d, later)", strings.TrimPrefix(pkg, module), own, strings.TrimPrefix(d, module), l)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d packages checked: go list output changed?\n%s", checked, out)
	}
}

// TestLayerOf keeps the test above honest: a later stage is found later.
func TestLayerOf(t *testing.T) {
	if layerOf(module+"internal/knowledge") >= layerOf(module+"internal/report") ||
		layerOf(module+"internal/source/linux/fdscan") != 1 || layerOf(module+"internal/render") <= layerOf(module+"internal/report") ||
		layerOf("golang.org/x/sys/unix") != -1 {
		t.Error("layerOf does not order the stages")
	}
}
