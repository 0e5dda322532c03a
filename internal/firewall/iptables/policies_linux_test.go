package iptables

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// countingRunner runs tools inside a test namespace and counts the runs.
type countingRunner struct {
	ns   *testenv.NS
	runs int
}

func (r *countingRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	r.runs++
	out, err := r.ns.Command(ctx, name, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", name, args, err)
	}
	return out, nil
}

// TestReadOwnLegacyMatchesSave loads legacy tables into a test namespace
// and reads them from inside it both ways: ReadOwnLegacy must give what
// parsing iptables-legacy-save's output gives, without running it while
// the tables hold only policies, and by running it as soon as a table
// holds a rule or a chain of its own.
func TestReadOwnLegacyMatchesSave(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the kernel's table entries are read directly only on amd64 and arm64")
	}
	for _, tool := range []string{"iptables-legacy", "ip6tables-legacy", "iptables-legacy-save", "ip6tables-legacy-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run make test-deps", tool)
		}
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("reading the tables from inside the namespace needs root (setns): the user namespace owns them")
	}
	ns := env.NS
	procNet := fmt.Sprintf("/proc/%d/net", ns.HolderPID())
	steps := []struct {
		name     string
		commands [][]string
		direct   bool // read without running iptables-legacy-save
	}{
		{name: "no legacy table", direct: true},
		{
			name: "policies only",
			commands: [][]string{
				{"iptables-legacy", "-t", "filter", "-P", "FORWARD", "DROP"},
				{"iptables-legacy", "-t", "nat", "-L", "-n"},
				{"iptables-legacy", "-t", "mangle", "-P", "PREROUTING", "DROP"},
				{"iptables-legacy", "-t", "raw", "-L", "-n"},
				{"ip6tables-legacy", "-t", "filter", "-P", "INPUT", "DROP"},
			},
			direct: true,
		},
		{name: "a chain of its own", commands: [][]string{{"iptables-legacy", "-t", "raw", "-N", "OWN"}}},
		{name: "the chain removed", commands: [][]string{{"iptables-legacy", "-t", "raw", "-X", "OWN"}}, direct: true},
		{name: "a rule", commands: [][]string{{"ip6tables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"}}},
	}
	for _, step := range steps {
		for _, c := range step.commands {
			ns.Run(t, c[0], c[1:]...)
		}
		saved := &countingRunner{ns: ns}
		want, err := ReadLegacy(context.Background(), saved, procNet)
		if err != nil {
			t.Fatalf("%s: ReadLegacy: %v", step.name, err)
		}
		own := &countingRunner{ns: ns}
		var got *firewall.Ruleset
		if err := ns.InNetNS(func() error {
			var err error
			got, err = ReadOwnLegacy(context.Background(), own, "/proc/thread-self/net")
			return err
		}); err != nil {
			t.Fatalf("%s: ReadOwnLegacy: %v", step.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read directly\n%+v\nwant (iptables-legacy-save)\n%+v", step.name, got, want)
		}
		if ran := own.runs > 0; ran == step.direct {
			t.Errorf("%s: ReadOwnLegacy ran iptables-legacy-save %d times, want it run: %v (tables %q)", step.name, own.runs, !step.direct, tables(t, procNet))
		}
	}
}

// tables lists the legacy tables of both families under procNet.
func tables(t *testing.T, procNet string) string {
	t.Helper()
	var out []string
	for _, f := range []string{"ip_tables_names", "ip6_tables_names"} {
		b, _ := os.ReadFile(procNet + "/" + f)
		out = append(out, f+": "+strings.Join(strings.Fields(string(b)), " "))
	}
	return strings.Join(out, "; ")
}
