package bpfobjects

import (
	"os"
	"testing"
)

// TestGenerateScript finds the one generation script from this package's
// directory, as it must from bpfowners and bpfwatch.
func TestGenerateScript(t *testing.T) {
	script, err := generateScript()
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(script)
	if err != nil {
		t.Fatalf("generateScript returned %s: %v", script, err)
	}
	if info.IsDir() {
		t.Fatalf("generateScript returned a directory: %s", script)
	}
}
