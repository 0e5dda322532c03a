package natrules

import (
	"os"
	"strings"
	"testing"
)

// The fixtures, parsed as text (the same files the namespace tests load
// into the kernel), give the mappings the kernel round trip gives.
func TestParseSaveFixtures(t *testing.T) {
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
		rs, err := ParseSave(data, IPTablesLegacy, "ip")
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if got := len(rs.Mappings()); got != tc.count {
			t.Errorf("%s: %d mappings, want %d", tc.file, got, tc.count)
		}
	}
}

func TestParseSaveErrors(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"*nat\n-A DOCKER -p tcp --dport eighty -j DNAT --to-destination 10.0.0.2:80\nCOMMIT\n", `line 2: --dport "eighty"`},
		{"*nat\n-A DOCKER -j DNAT --to-destination 10.0.0.300:80\nCOMMIT\n", `line 2: --to-destination "10.0.0.300:80"`},
		{"*nat\n-A DOCKER -m comment --comment \"open\nCOMMIT\n", "line 2: unterminated quote"},
		{"*nat\nbogus line\n", `line 2: expected a table (*nat), chain (:NAME), rule (-A) or COMMIT, got "bogus line"`},
		{"*nat\n-A DOCKER -p\n", "line 2: -p needs a value"},
		{"*nat\n-A DOCKER --to-destination 10.0.0.2\n", "line 2: NAT target options without -j"},
	} {
		_, err := ParseSave([]byte(tc.in), IPTablesLegacy, "ip")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSave(%q) = %v, want an error containing %q", tc.in, err, tc.want)
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
-A B -d 127.0.0.1/32 -p tcp --dport 9000:9010 -j DNAT --to-destination 10.0.0.9:9000-9010
COMMIT
`
	rs, err := ParseSave([]byte(in), IPTablesLegacy, "ip6")
	if err != nil {
		t.Fatal(err)
	}
	ms := rs.Mappings()
	if len(ms) != 2 {
		t.Fatalf("%d mappings, want 2 (udp ruled out by tcp): %+v", len(ms), ms)
	}
	if ms[0].Ports != (PortRange{8443, 8443}) || ms[0].To.String() != "fd00::2" || ms[0].ToPorts.First != 443 {
		t.Errorf("first mapping %+v", ms[0])
	}
	if ms[1].Ports != (PortRange{9000, 9010}) || ms[1].Dst.String() != "127.0.0.1/32" || ms[1].ToPorts != (PortRange{9000, 9010}) {
		t.Errorf("second mapping %+v", ms[1])
	}
}

func FuzzParseSave(f *testing.F) {
	for _, name := range []string{"testdata/docker-iptables.rules", "testdata/kube-proxy.rules"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseSave(data, IPTablesLegacy, "ip")
		if err != nil {
			return
		}
		rs.Mappings()
	})
}
