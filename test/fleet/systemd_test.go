package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// units are the systemd units openports ships (contrib/systemd).
var units = []string{"openports-check.service", "openports-check.timer", "openports-watch.service"}

// TestSystemdUnitsVerify runs systemd-analyze verify on the units, with
// ExecStart pointing at a freshly built openports; any warning fails.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := need(t, "systemd-analyze", "systemd")
	bin := openports(t)
	dir := t.TempDir()
	var paths []string
	for _, u := range units {
		b, err := os.ReadFile(repoPath(t, filepath.Join("contrib/systemd", u)))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/bin/openports", bin)
		p := filepath.Join(dir, u)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, code := runCmd(t, dir, analyze, append([]string{"verify", "--man=no"}, paths...)...)
	if code != 0 || strings.TrimSpace(out) != "" {
		if strings.Contains(out, "Failed to connect to bus") || strings.Contains(out, "Failed to initialize manager") {
			t.Skipf("systemd-analyze cannot run here: %s", out)
		}
		t.Fatalf("systemd-analyze verify: exit %d\n%s", code, out)
	}
}

// TestSystemdUnitsHardened: the services run with only the capabilities
// openports needs and the sandbox the issue asks for; the check writes
// only the textfile directory.
func TestSystemdUnitsHardened(t *testing.T) {
	want := []string{
		"CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_BPF CAP_PERFMON",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
	}
	for _, u := range units {
		if !strings.HasSuffix(u, ".service") {
			continue
		}
		b, err := os.ReadFile(repoPath(t, filepath.Join("contrib/systemd", u)))
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, w := range want {
			if !lines[w] {
				t.Errorf("%s lacks %q", u, w)
			}
		}
		var rw []string
		for l := range lines {
			if strings.HasPrefix(l, "ReadWritePaths=") {
				rw = append(rw, l)
			}
		}
		wantRW := 0
		if u == "openports-check.service" {
			wantRW = 1
			if !lines["ReadWritePaths=/var/lib/prometheus/node-exporter"] {
				t.Errorf("%s may not write the textfile directory: %v", u, rw)
			}
		}
		if len(rw) != wantRW {
			t.Errorf("%s: ReadWritePaths %v", u, rw)
		}
	}
}
