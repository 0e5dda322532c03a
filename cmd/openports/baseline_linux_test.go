package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// The "done when": a baseline written in a namespace, then a new
// listener started there, makes check --policy (and list --policy) exit 1
// naming exactly that listener.
func TestBaselineThenNewListener(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and makes namespaces")
	}
	env := testenv.New(t)
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	runNS := func(args ...string) (int, string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := env.Command(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, stdout.String(), stderr.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), stdout.String(), stderr.String()
		}
		t.Fatalf("run %v: %v", args, err)
		return 0, "", ""
	}
	// Something that listens before the baseline.
	before := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)})
	// Exit 3 (incomplete view) is allowed where this host has processes
	// even root cannot read (a protected PID 1 in some sandboxes): the
	// policy is written all the same, and what follows must hold.
	if code, _, stderr := runNS("baseline", "--write", pol); code != 0 && (code != report.ExitIncomplete || !strings.Contains(stderr, "incomplete")) {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline:\n%s", data)
	if code, out, stderr := runNS("list", "--policy", pol, "-o", "json"); code != 0 {
		var rep report.Report
		if code != report.ExitIncomplete || json.Unmarshal([]byte(out), &rep) != nil || rep.Complete ||
			rep.Policy == nil || len(rep.Policy.Violations) != 0 {
			t.Fatalf("list --policy right after the baseline: exit %d\n%s\n%s", code, out, stderr)
		}
	}
	added := env.Listen(t, testenv.ListenSpec{Proto: "udp", Addr: netip.MustParseAddrPort("[::]:0")})
	wantPort := added.Local.Port()

	code, out, stderr := runNS("list", "--policy", pol, "-o", "json")
	if code != report.ExitFindings {
		t.Fatalf("list --policy with a new listener: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Policy == nil || len(rep.Policy.Violations) != 1 {
		t.Fatalf("violations: %+v", rep.Policy)
	}
	v := rep.Policy.Violations[0]
	if v.Kind != report.PolicyNew || v.Proto != "udp" || v.Port != wantPort {
		t.Errorf("violation %+v, want new udp/%d", v, wantPort)
	}
	_ = before

	// check runs the whole checklist; its port listing carries the
	// policy, and a violation is a problem: exit 1.
	code, out, stderr = runNS("check", "--no-dns", "--policy", pol, "-o", "json")
	if code != report.ExitFindings {
		t.Fatalf("check --policy: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	var res struct {
		Checks []struct {
			Name  string         `json:"check"`
			Ports *report.Report `json:"ports"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range res.Checks {
		if c.Ports == nil {
			continue
		}
		found = true
		if c.Ports.Policy == nil || len(c.Ports.Policy.Violations) != 1 {
			t.Fatalf("check's violations: %+v", c.Ports.Policy)
		}
		if v := c.Ports.Policy.Violations[0]; v.Kind != report.PolicyNew || v.Proto != "udp" || v.Port != wantPort {
			t.Errorf("check's violation %+v, want new udp/%d", v, wantPort)
		}
	}
	if !found {
		t.Errorf("check printed no port listing:\n%s", out)
	}
	// The table names it too.
	_, out, _ = runNS("check", "--no-dns", "--policy", pol, "--color", "never", "--lang", "en")
	if !strings.Contains(out, "NOT IN POLICY: new listener udp/"+strconv.Itoa(int(wantPort))) {
		t.Errorf("check table does not name the new listener:\n%s", out)
	}
}
