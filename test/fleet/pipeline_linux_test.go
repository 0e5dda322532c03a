//go:build linux

package fleet

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/testenv"
)

// Fixed addresses inside the test's own network namespace, where nothing
// else listens.
const (
	exporterAddr   = "127.0.0.1:19100"
	prometheusAddr = "127.0.0.1:19090"
	newPort        = 4444
)

// TestPipeline runs the fleet pipeline of docs/fleet.md for real, inside a
// test namespace: openports --textfile → node_exporter's textfile collector
// → Prometheus scraping it every second with the shipped rules → the test
// asks Prometheus's HTTP API (through promtool query) for the listeners, and
// for the "new listener" alert after a listener the policy does not allow
// appears.
func TestPipeline(t *testing.T) {
	prometheus := need(t, "prometheus", "prometheus")
	exporter := need(t, "prometheus-node-exporter", "prometheus-node-exporter")
	promtool := need(t, "promtool", "prometheus")
	bin := openports(t)
	env := testenv.New(t)

	work := t.TempDir()
	textDir := filepath.Join(work, "textfile")
	if err := os.Mkdir(textDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rules := repoPath(t, "contrib/prometheus/openports.rules.yml")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: node
    static_configs:
      - targets: [%q]
`, rules, exporterAddr)
	configPath := filepath.Join(work, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}

	env.Start(t, exporter, "--web.listen-address="+exporterAddr, "--collector.disable-defaults",
		"--collector.textfile", "--collector.textfile.directory="+textDir)
	env.Start(t, prometheus, "--config.file="+configPath, "--storage.tsdb.path="+filepath.Join(work, "tsdb"),
		"--web.listen-address="+prometheusAddr, "--log.level=warn")
	query := func(expr string) []promSample {
		t.Helper()
		out, err := env.Command(t.Context(), promtool, "query", "instant", "-o", "json", "http://"+prometheusAddr, expr).CombinedOutput()
		if err != nil {
			return nil // not up yet
		}
		var v []promSample
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("promtool query %s: %v\n%s", expr, err, out)
		}
		return v
	}
	// waitFor polls expr until ok accepts its result, for at most 30 s.
	waitFor := func(what, expr string, ok func([]promSample) bool) []promSample {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var last []promSample
		for time.Now().Before(deadline) {
			if last = query(expr); ok(last) {
				return last
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("%s: %s never gave the expected result; last: %+v", what, expr, last)
		return nil
	}

	// The policy allows what listens now: node_exporter and Prometheus,
	// once both are up.
	waitFor("Prometheus scrapes node_exporter", `up{job="node"}`, func(s []promSample) bool {
		return len(s) == 1 && s[0].value() == "1"
	})
	policy := filepath.Join(work, "policy.yaml")
	// Exit 3 (incomplete: this machine's PID 1 is unreadable even to
	// root) still writes the policy.
	if out, err := env.Command(t.Context(), bin, "baseline", "--write", policy).CombinedOutput(); err != nil {
		if _, serr := os.Stat(policy); serr != nil {
			t.Fatalf("openports baseline: %v\n%s", err, out)
		}
	}
	textfile := filepath.Join(textDir, "openports.prom")
	check := func() {
		t.Helper()
		cmd := env.Command(t.Context(), bin, "list", "--policy", policy, "--textfile", textfile, "-o", "json")
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 && code != 3 {
			t.Fatalf("openports list --textfile: %v\n%s", err, out)
		}
	}
	check()
	lintTextfile(t, promtool, textfile)

	infos := waitFor("the listeners reach Prometheus", `openports_listener_info{job="node"}`, func(s []promSample) bool {
		return len(s) >= 2
	})
	ports := map[string]bool{}
	for _, s := range infos {
		ports[s.Metric["port"]] = true
		if s.Metric["pid"] != "" {
			t.Errorf("a PID label: %v", s.Metric)
		}
	}
	for _, addr := range []string{exporterAddr, prometheusAddr} {
		port := netip.MustParseAddrPort(addr).Port()
		if !ports[fmt.Sprint(port)] {
			t.Errorf("no openports_listener_info for port %d (node_exporter, Prometheus): %+v", port, infos)
		}
	}
	waitFor("no violation yet", `openports_policy_violations{kind="new"}`, func(s []promSample) bool {
		return len(s) == 1 && s[0].value() == "0"
	})
	// Two evaluations later, still no alert.
	time.Sleep(2500 * time.Millisecond)
	if a := query(`ALERTS{alertname="OpenportsListenerNotInPolicy"}`); len(a) != 0 {
		t.Fatalf("the alert fires before any new listener: %+v", a)
	}

	// A new listener on the test namespace's veth address; the next check
	// reports it and the alert fires.
	l := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, newPort)})
	defer l.Stop()
	start := time.Now()
	check()
	lintTextfile(t, promtool, textfile)
	alerts := waitFor("the new-listener alert fires", `ALERTS{alertname="OpenportsListenerNotInPolicy",alertstate="firing"}`, func(s []promSample) bool {
		return len(s) > 0
	})
	if len(alerts) != 1 || alerts[0].Metric["port"] != fmt.Sprint(newPort) || alerts[0].Metric["proto"] != "tcp" ||
		alerts[0].Metric["address"] != testenv.MainAddr4.String() || alerts[0].Metric["severity"] != "warning" {
		t.Errorf("alerts: %+v, want one for tcp %s:%d", alerts, testenv.MainAddr4, newPort)
	}
	t.Logf("alert firing %v after the check that saw the new listener", time.Since(start).Round(100*time.Millisecond))
}

// lintTextfile runs promtool check metrics on what node_exporter reads.
func lintTextfile(t *testing.T, promtool, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "openports_view_complete") {
		t.Errorf("textfile lacks openports_view_complete:\n%s", b)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics %s: %v\n%s", path, err, out)
	}
}

// promSample is one element of a vector result of the HTTP API.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSample) value() string { v, _ := s.Value[1].(string); return v }
