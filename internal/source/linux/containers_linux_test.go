package linux

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/source/linux/natrules"
)

// published keeps one record per address, port and target when one path
// to the DNAT has no undecoded condition, and the alternatives side by
// side when every path has one: kube-proxy's NodePort 3001 (svc2) reaches
// its endpoint only from pods (source 10.0.0.0/8) or from the node itself
// (--src-type LOCAL), 3003 (svc3) from anywhere.
func TestPublishedPaths(t *testing.T) {
	data, err := os.ReadFile("natrules/testdata/kube-proxy.rules")
	if err != nil {
		t.Fatal(err)
	}
	fw, err := iptables.Parse(data, iptables.BackendLegacy, "ip")
	if err != nil {
		t.Fatal(err)
	}
	byPort := map[uint16][]string{}
	for _, p := range published(natrules.Rulesets(fw)) {
		if p.Address.Bits() == 0 {
			byPort[p.Port] = append(byPort[p.Port], p.Target.String()+" "+strings.Join(p.Conditions, ","))
		}
	}
	for port, want := range map[uint16][]string{
		3001: {"10.180.0.2:80 source 10.0.0.0/8", "10.180.0.2:80 --src-type"},
		3002: {"10.180.0.3:80 "},
		3003: {"10.180.0.3:80 "},
	} {
		got := byPort[port]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("NodePort %d: %q, want %q", port, got, want)
		}
	}
}
