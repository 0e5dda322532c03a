package hostcheck

import (
	"context"
	"testing"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// TestCheckPolicyOwnerUnknown: check --policy on a host whose tcp/8080 a
// rule allows only for nginx, while the owner of that socket could not be
// seen (the real snapshot's, taken without privilege), builds the port
// listing as `check` does (analysis, then the policy) and exits 3 with the
// owner unseen as a warning, not 0 and not a policy problem.
func TestCheckPolicyOwnerUnknown(t *testing.T) {
	snap, err := snapshot.ReadFile("../analysis/testdata/host.snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.FromReport(analysis.Build(snap, analysis.Options{All: true}), "policy.yaml")
	for i := range pol.Rules {
		if pol.Rules[i].Proto == snapshot.TCP && pol.Rules[i].First == 8080 {
			pol.Rules[i].Processes = []string{"nginx"}
		}
	}
	var unproven []report.PolicyViolation
	ports := func(context.Context) (*report.Report, error) {
		rep := analysis.Build(snap, analysis.Options{All: true})
		res := policy.Apply(pol, rep)
		if len(res.Violations) > 0 {
			t.Errorf("violations %+v, want none", res.Violations)
		}
		unproven = res.Unproven
		return rep, nil
	}
	host := baseHost()
	host.files = map[string]string{"/etc/resolv.conf": "nameserver 192.0.2.53\n"}
	res, err := Run(context.Background(), Options{Host: host, NoDNS: true, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	if len(unproven) != 1 || unproven[0].Port != 8080 {
		t.Errorf("unproven %+v, want tcp/8080", unproven)
	}
	if res.ExitCode != report.ExitIncomplete {
		t.Errorf("exit %d, want %d", res.ExitCode, report.ExitIncomplete)
	}
	c := res.check(t, CheckPorts)
	if c.Verdict != finding.Warning || !c.Incomplete() {
		t.Errorf("ports check verdict %s, incomplete %v: want a warning, incomplete", c.Verdict, c.Incomplete())
	}
	for _, f := range c.Findings {
		if f.Code == CodePortsPolicy {
			t.Errorf("policy problem %+v: an unseen owner is not a violation", f)
		}
	}
}
