package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
)

// A row's verdict and a probe's are one vocabulary (firewall.Verdict);
// the JSON words of all four stay those docs/json.md documents.
func TestFirewallVerdictJSON(t *testing.T) {
	for v, word := range map[firewall.Verdict]string{
		firewall.Open: "open", firewall.Blocked: "blocked", firewall.Partly: "partly", firewall.Unknown: "unknown",
	} {
		b, err := json.Marshal(Firewall{Verdict: v, Probes: []FirewallProbe{{Result: firewall.Result{Verdict: v}}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := `"verdict":"` + word + `"`; strings.Count(string(b), want) != 2 {
			t.Errorf("%s: %s, want %s for the row and its probe", v, b, want)
		}
		b, err = json.Marshal(OutsidePort{Firewall: v})
		if err != nil {
			t.Fatal(err)
		}
		if want := `"firewall":"` + word + `"`; !strings.Contains(string(b), want) {
			t.Errorf("%s: %s, want %s", v, b, want)
		}
	}
}
