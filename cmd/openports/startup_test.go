package main

import (
	"bytes"
	"context"
	"debug/elf"
	"os/exec"
	"strings"
	"testing"

	"github.com/openports/openports/internal/identity"
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

// TestStartupLinkedCode keeps code that no command runs out of the binary:
// the linker drops what nothing reaches, but a reachable reflective method
// call (text/template) makes it keep every exported method of every type,
// and one reachable branch can bring a whole package. Each page of the
// binary is mapped (and counted in the peak RSS) at every start.
func TestStartupLinkedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	linked := map[string]bool{}
	for _, s := range syms {
		linked[s.Name] = true
	}
	if !linked["main.run"] {
		t.Fatalf("%s has no symbol main.run: not a symbol table this test can read", bin)
	}
	for sym, why := range map[string]string{
		"text/template.(*state).evalField": "a text/template is executed (cobra's SetVersionTemplate, SetUsageTemplate or SetHelpTemplate): the linker then keeps every exported method",
		"crypto/tls.(*Conn).Handshake":     "a TLS client (dns.Client's dialer has a DNS-over-TLS branch; dial, then exchange on a dns.Conn)",
	} {
		if linked[sym] {
			t.Errorf("openports links %s: %s", sym, why)
		}
	}
}

// TestVersionFlag: --version and -v are openports' own flags (cobra's
// would print through text/template), and say what 'version' says.
func TestVersionFlag(t *testing.T) {
	want := identity.Current().String() + "\n"
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Errorf("%q: exit %d, want 0; stderr: %s", args, code, stderr.String())
		}
		if stdout.String() != want {
			t.Errorf("%q printed %q, want %q", args, stdout.String(), want)
		}
	}
}
