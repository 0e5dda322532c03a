package natrules

import (
	"os"
	"testing"

	"github.com/openports/openports/internal/firewall/iptables"
)

// parseSave reads iptables-save output as the collector does: through
// firewall/iptables, then the NAT model.
func parseSave(t *testing.T, data []byte, family string) *Ruleset {
	t.Helper()
	fw, err := iptables.Parse(data, iptables.BackendLegacy, family)
	if err != nil {
		t.Fatalf("iptables.Parse: %v", err)
	}
	rss := Rulesets(fw)
	if len(rss) != 1 {
		t.Fatalf("%d NAT rulesets, want 1", len(rss))
	}
	return rss[0]
}

// The fixtures, parsed as text (the same files the namespace tests load
// into the kernel), give the mappings the kernel round trip gives.
func TestSavedFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		count int
	}{
		{"testdata/docker-iptables.rules", 1},
		{"testdata/kube-proxy.rules", 17},
	} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		rs := parseSave(t, data, "ip")
		if got := len(rs.Mappings()); got != tc.count {
			t.Errorf("%s: %d mappings, want %d", tc.file, got, tc.count)
		}
	}
}

// A jump loop in a saved file ends; conditions that cannot both hold end
// a path.
func TestMappingsWalk(t *testing.T) {
	in := `*nat
:PREROUTING ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A PREROUTING -p tcp -j A
-A A -j B
-A B -j A
-A B -p udp --dport 53 -j DNAT --to-destination 10.0.0.53
-A B -p tcp --dport 8443 -j DNAT --to-destination [fd00::2]:443
-A B -d ::1/128 -p tcp --dport 9000:9010 -j DNAT --to-destination [fd00::9]:9000-9010
COMMIT
`
	ms := parseSave(t, []byte(in), "ip6").Mappings()
	if len(ms) != 2 {
		t.Fatalf("%d mappings, want 2 (udp ruled out by tcp): %+v", len(ms), ms)
	}
	if ms[0].Ports != (PortRange{8443, 8443}) || ms[0].To.String() != "fd00::2" || ms[0].ToPorts.First != 443 {
		t.Errorf("first mapping %+v", ms[0])
	}
	if ms[1].Ports != (PortRange{9000, 9010}) || ms[1].Dst.String() != "::1/128" || ms[1].ToPorts != (PortRange{9000, 9010}) {
		t.Errorf("second mapping %+v", ms[1])
	}
}

// FuzzDecode: whatever firewall/iptables accepts decodes and walks.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/docker-iptables.rules", "testdata/kube-proxy.rules"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fw, err := iptables.Parse(data, iptables.BackendLegacy, "ip")
		if err != nil {
			return
		}
		for _, rs := range Rulesets(fw) {
			rs.Mappings()
		}
	})
}

// A DNAT to an address range is still a published port: its target is
// not known, and the mapping says why.
func TestDNATRange(t *testing.T) {
	in := "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 192.0.2.2-192.0.2.4:80\nCOMMIT\n"
	ms := parseSave(t, []byte(in), "ip").Mappings()
	if len(ms) != 1 || ms[0].Ports != (PortRange{8080, 8080}) || ms[0].To.IsValid() || len(ms[0].Unknown) != 1 {
		t.Fatalf("mappings %+v, want one for port 8080 with an unknown target and the reason", ms)
	}
}
