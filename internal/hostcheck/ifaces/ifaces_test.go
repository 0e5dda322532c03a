package ifaces

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/hostcheck/finding"
)

func TestIfconfigCorpusGolden(t *testing.T) {
	golden.CheckCorpusJSON(t, "testdata/ifconfig/*.txt", func(t *testing.T, name string, data []byte) any {
		res, err := ParseIfconfig(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) > 0 {
			t.Errorf("problems in real output: %v", res.Problems)
		}
		return struct {
			Parsed   *IfconfigResult   `json:"parsed"`
			Findings []finding.Finding `json:"findings"`
		}{res, Evaluate(res.Interfaces)}
	})
}

// TestIfconfigFacts pins facts of the corpus by hand, independent of the
// golden files.
func TestIfconfigFacts(t *testing.T) {
	parse := func(name string) map[string]Interface {
		t.Helper()
		f, err := os.Open(filepath.Join("testdata/ifconfig", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := ParseIfconfig(f, name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Interface{}
		for _, i := range res.Interfaces {
			m[i.Name] = i
		}
		return m
	}
	pfx := func(i Interface) string {
		var s []string
		for _, a := range i.Addrs {
			s = append(s, a.Prefix.String())
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		file, iface string
		up, loop    bool
		carrier     string // "yes", "no", "?"
		mtu         int
		addrs       string
	}{
		{"netbsd-wm3.txt", "wm3", true, false, "no", 1500, "10.0.0.2/24 fe80::a00:27ff:fe83:881e/64"},
		{"freebsd-inspec-a.txt", "em0", true, false, "yes", 1500, "10.0.2.15/24"},
		{"freebsd-inspec-a.txt", "lo0", true, true, "?", 16384, "::1/128 fe80::1/64 127.0.0.1/8"},
		{"macos-10.14-a.txt", "en0", true, false, "yes", 1500, "fe80::8b7:1281:7499:b504/64 192.168.1.72/24 2600:1700:bab0:d40:bb:9ad:34c5:2e9a/64 2600:1700:bab0:d40:4573:9380:5ecb:ef52/64 2600:1700:bab0:d40::24/64"},
		{"macos-10.14-a.txt", "gif0", false, false, "?", 1280, ""},
		{"macos-10.14-a.txt", "en1", true, false, "no", 1500, ""},
		{"linux-centos-7.7.txt", "docker0", true, false, "no", 1500, "172.17.0.1/16"},
		{"linux-centos-7.7.txt", "ens33", true, false, "yes", 1500, "192.168.71.137/24 fe80::c1cb:715d:bc3e:b8a0/64"},
		{"linux-ubuntu-16.04.txt", "ens33", true, false, "yes", 1500, "192.168.248.129/24 fe80::c1ca:3dee:39f7:5937/64"},
		{"linux-ubuntu-16.04.txt", "lo", true, true, "yes", 65536, "127.0.0.1/8 ::1/128"},
		{"freebsd-12-extra-fields4.txt", "mce0", true, false, "yes", 1500, "23.246.26.130/25 fe80::e42:a1ff:fe2b:374/64 2a00:86c0:1026:1026::130/64"},
	}
	for _, tt := range tests {
		i, ok := parse(tt.file)[tt.iface]
		if !ok {
			t.Errorf("%s: no %s", tt.file, tt.iface)
			continue
		}
		carrier := "?"
		if i.Carrier != nil {
			carrier = map[bool]string{true: "yes", false: "no"}[*i.Carrier]
		}
		if i.Up != tt.up || i.Loopback != tt.loop || carrier != tt.carrier || i.MTU != tt.mtu || pfx(i) != tt.addrs {
			t.Errorf("%s %s: up=%v loop=%v carrier=%s mtu=%d addrs=%q; want up=%v loop=%v carrier=%s mtu=%d addrs=%q",
				tt.file, tt.iface, i.Up, i.Loopback, carrier, i.MTU, pfx(i), tt.up, tt.loop, tt.carrier, tt.mtu, tt.addrs)
		}
	}
	if n := len(parse("macos-10.14-a.txt")); n != 20 {
		t.Errorf("macos: %d interfaces, want 20", n)
	}
}

func TestIfconfigProblems(t *testing.T) {
	in := "garbage line\n\tinet 10.0.0.1\nem0: flags=8843<UP,RUNNING> mtu 1500\n\tinet 10.0.0.300 netmask 0xffffff00\n\tinet 10.0.0.2 netmask 0xff00ff00\n\tinet6 zz::1 prefixlen 64\n\tinet 192.0.2.5 netmask 0xffffff00\n"
	res, err := ParseIfconfig(strings.NewReader(in), "t")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range res.Problems {
		lines = append(lines, p.Line)
	}
	if got := strings.Trim(strings.Join(strings.Fields(strings.Trim(strings.Replace(strings.Trim(fmtInts(lines), "[]"), ",", " ", -1), " ")), ","), ","); got != "1,2,4,5,6" {
		t.Errorf("problem lines = %v, want 1,2,4,5,6: %v", lines, res.Problems)
	}
	if len(res.Interfaces) != 1 || len(res.Interfaces[0].Addrs) != 1 || res.Interfaces[0].Addrs[0].Prefix.String() != "192.0.2.5/24" {
		t.Errorf("interfaces = %+v", res.Interfaces)
	}
}

func fmtInts(v []int) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMaskBits(t *testing.T) {
	tests := []struct {
		in   string
		bits int
		ok   bool
	}{
		{"0xffffff00", 24, true}, {"ffffff80", 25, true}, {"255.255.0.0", 16, true},
		{"0x0", 0, true}, {"0xffffffff", 32, true}, {"0xff00ff00", 0, false}, {"nope", 0, false},
	}
	for _, tt := range tests {
		bits, ok := maskBits(tt.in)
		if bits != tt.bits || ok != tt.ok {
			t.Errorf("maskBits(%q) = %d,%v want %d,%v", tt.in, bits, ok, tt.bits, tt.ok)
		}
	}
}

func p(s string) Addr { return Addr{Prefix: netip.MustParsePrefix(s)} }

func TestEvaluate(t *testing.T) {
	yes, no := boolp(true), boolp(false)
	lo := Interface{Index: 1, Name: "lo", Up: true, Running: true, Loopback: true, Addrs: []Addr{p("127.0.0.1/8"), p("::1/128")}}
	tests := []struct {
		name string
		ifs  []Interface
		want map[string]finding.Verdict // subject → verdict
		why  map[string]string          // subject → substring of reason
	}{
		{
			name: "healthy",
			ifs:  []Interface{lo, {Index: 2, Name: "eth0", Up: true, Running: true, Carrier: yes, Addrs: []Addr{p("192.0.2.10/24")}}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth0": finding.OK},
		},
		{
			name: "up without carrier",
			ifs:  []Interface{lo, {Index: 2, Name: "veth0", Up: true, Carrier: no, Addrs: []Addr{p("192.0.2.10/24")}}},
			want: map[string]finding.Verdict{"lo": finding.OK, "veth0": finding.Problem},
			why:  map[string]string{"veth0": "no carrier"},
		},
		{
			name: "down is a choice",
			ifs:  []Interface{lo, {Index: 2, Name: "eth1", Up: false, Carrier: no}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth1": finding.OK},
		},
		{
			name: "no address",
			ifs:  []Interface{lo, {Index: 2, Name: "eth1", Up: true, Carrier: yes}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth1": finding.Warning},
			why:  map[string]string{"eth1": "no address"},
		},
		{
			name: "bridge port without address is fine",
			ifs:  []Interface{lo, {Index: 2, Name: "eth1", Up: true, Carrier: yes, Master: "br0"}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth1": finding.OK},
		},
		{
			name: "only link-local",
			ifs:  []Interface{lo, {Index: 2, Name: "eth1", Up: true, Carrier: yes, Addrs: []Addr{p("fe80::1/64")}}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth1": finding.Warning},
			why:  map[string]string{"eth1": "link-local"},
		},
		{
			name: "duplicate across interfaces",
			ifs: []Interface{lo,
				{Index: 2, Name: "eth0", Up: true, Carrier: yes, Addrs: []Addr{p("192.0.2.10/24"), p("fe80::1/64")}},
				{Index: 3, Name: "eth1", Up: true, Carrier: yes, Addrs: []Addr{p("192.0.2.10/24"), p("fe80::1/64")}}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth0": finding.OK, "eth1": finding.OK, "192.0.2.10": finding.Problem},
			why:  map[string]string{"192.0.2.10": "duplicate"},
		},
		{
			name: "dad failed",
			ifs:  []Interface{lo, {Index: 2, Name: "eth0", Up: true, Carrier: yes, Addrs: []Addr{{Prefix: netip.MustParsePrefix("2001:db8::5/64"), DADFailed: true}}}},
			want: map[string]finding.Verdict{"lo": finding.OK, "eth0": finding.Problem},
			why:  map[string]string{"eth0": "duplicate address detection"},
		},
		{
			name: "loopback down",
			ifs:  []Interface{{Index: 1, Name: "lo", Loopback: true}},
			want: map[string]finding.Verdict{"lo": finding.Problem},
			why:  map[string]string{"lo": "loopback interface is down"},
		},
		{
			name: "nothing at all",
			ifs:  nil,
			want: map[string]finding.Verdict{"interfaces": finding.Problem},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Evaluate(tt.ifs)
			got := map[string]finding.Finding{}
			for _, f := range fs {
				if _, dup := got[f.Subject]; dup {
					t.Errorf("two findings for %s", f.Subject)
				}
				got[f.Subject] = f
			}
			for subj, v := range tt.want {
				if got[subj].Verdict != v {
					t.Errorf("%s: verdict %q, want %q (%+v)", subj, got[subj].Verdict, v, got[subj])
				}
			}
			for subj, why := range tt.why {
				if !strings.Contains(got[subj].Reason, why) {
					t.Errorf("%s: reason %q lacks %q", subj, got[subj].Reason, why)
				}
				if got[subj].Hint == "" {
					t.Errorf("%s: no hint", subj)
				}
			}
			if len(fs) != len(tt.want) {
				t.Errorf("%d findings, want %d: %+v", len(fs), len(tt.want), fs)
			}
		})
	}
}

func FuzzParseIfconfig(f *testing.F) {
	golden.AddCorpus(f, "testdata/ifconfig/*.txt")
	f.Add([]byte("x: flags=<> mtu\n\tinet6 ::/999\n\tinet 1.2.3.4/40\n\tinet addr:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseIfconfig(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range res.Interfaces {
			for _, a := range i.Addrs {
				if !a.Prefix.IsValid() {
					t.Fatalf("invalid prefix in %+v", i)
				}
			}
		}
		_ = Evaluate(res.Interfaces)
	})
}
