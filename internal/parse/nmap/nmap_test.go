package nmap

import (
	"bytes"
	"os"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/snapshot"
)

func TestParseGolden(t *testing.T) {
	golden.CheckCorpusJSON(t, "testdata/*.xml", func(t *testing.T, name string, data []byte) any {
		res, err := New().Parse(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) > 0 {
			t.Errorf("%s: problems %v", name, res.Problems)
		}
		return res
	})
}

func TestScanFacts(t *testing.T) {
	data, err := os.ReadFile("testdata/demo-tcp-udp.xml")
	if err != nil {
		t.Fatal(err)
	}
	scan, problems := Read(data, "demo")
	if len(problems) > 0 || scan == nil {
		t.Fatalf("problems %v", problems)
	}
	if len(scan.Hosts) != 1 || scan.Hosts[0].Addrs[0].String() != "192.0.2.1" {
		t.Fatalf("hosts %+v", scan.Hosts)
	}
	states := map[uint16]string{}
	for _, p := range scan.Hosts[0].Ports {
		states[p.Port] = p.State
	}
	for port, want := range map[uint16]string{22: "open", 5432: "open", 6379: "filtered", 80: "filtered", 53: "open|filtered"} {
		if states[port] != want {
			t.Errorf("port %d: %q, want %q", port, states[port], want)
		}
	}
	if !scan.Probed(snapshot.TCP, 6379) || scan.Probed(snapshot.TCP, 443) || !scan.Probed(snapshot.UDP, 123) {
		t.Errorf("probed ranges %v", scan.Scanned)
	}
	if New().Detect(data[:1024]) != 100 || New().Detect([]byte("Proto Recv-Q Send-Q")) != 0 {
		t.Error("Detect")
	}
}

func TestParseBroken(t *testing.T) {
	res, err := New().Parse(bytes.NewReader([]byte("<?xml version=\"1.0\"?>\n<nmaprun scanner=\"nmap\">\n<host><address addr=\"192.0.2.1\" addrtype=\"ipv4\"/>\n<ports><port protocol=\"tcp\" portid=\"22\">\n")), "cut.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Line < 4 || res.Problems[0].File != "cut.xml" {
		t.Errorf("problems %+v, want one at the end of cut.xml", res.Problems)
	}
}

func FuzzParse(f *testing.F) {
	golden.AddCorpus(f, "testdata/*.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := New().Parse(bytes.NewReader(data), "fuzz")
		if err != nil || res == nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, s := range res.Snapshot.Sockets {
			if !s.Local.IsValid() {
				t.Fatalf("socket without an address: %+v", s)
			}
		}
	})
}
