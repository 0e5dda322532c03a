package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertRules checks the shipped rules with promtool and runs their unit
// tests (contrib/prometheus/openports.rules.test.yml).
func TestAlertRules(t *testing.T) {
	promtool := need(t, "promtool", "prometheus")
	dir := repoPath(t, "contrib/prometheus")
	if out, code := runCmd(t, dir, promtool, "check", "rules", "openports.rules.yml"); code != 0 {
		t.Fatalf("promtool check rules: exit %d\n%s", code, out)
	}
	out, code := runCmd(t, dir, promtool, "test", "rules", "openports.rules.test.yml")
	if code != 0 || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: exit %d\n%s", code, out)
	}
}

// TestAlertRulesTestsCanFail: promtool's tests must fail when a rule is
// broken, or passing them proves nothing.
func TestAlertRulesTestsCanFail(t *testing.T) {
	promtool := need(t, "promtool", "prometheus")
	src := repoPath(t, "contrib/prometheus")
	rules, err := os.ReadFile(filepath.Join(src, "openports.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(src, "openports.rules.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mutation := range []struct{ from, to string }{
		{`kind="new"} == 1`, `kind="missing"} == 1`},
		{`risk="dangerous"`, `risk="risky"`},
		{`> 3600`, `> 7200`},
		{`openports_raw_sockets > 0`, `openports_raw_sockets > 1`},
		{`for: 30m`, `for: 5m`},
	} {
		if !strings.Contains(string(rules), mutation.from) {
			t.Fatalf("the rules no longer contain %q: update this test", mutation.from)
		}
		dir := t.TempDir()
		broken := strings.Replace(string(rules), mutation.from, mutation.to, 1)
		if err := os.WriteFile(filepath.Join(dir, "openports.rules.yml"), []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "openports.rules.test.yml"), tests, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, code := runCmd(t, dir, promtool, "test", "rules", "openports.rules.test.yml"); code == 0 {
			t.Errorf("rules with %q → %q still pass their tests:\n%s", mutation.from, mutation.to, out)
		}
	}
}
