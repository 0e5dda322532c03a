package routes

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
)

func TestNetstatCorpusGolden(t *testing.T) {
	golden.CheckCorpusJSON(t, "testdata/route/*.txt", func(t *testing.T, name string, data []byte) any {
		res, err := ParseNetstat(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) > 0 {
			t.Errorf("problems in real output: %v", res.Problems)
		}
		return struct {
			Parsed   *NetstatResult    `json:"parsed"`
			Findings []finding.Finding `json:"findings"`
		}{res, Evaluate(res.Routes, nil, Expect{})}
	})
}

// TestNetstatFacts pins the default routes of the corpus by hand.
func TestNetstatFacts(t *testing.T) {
	tests := []struct {
		file    string
		nroutes int
		defs    []string // String() of each default route
	}{
		{"netbsd-netstat-f-inet-r.txt", 10, []string{"default via 10.0.2.2 dev wm0"}},
		{"freebsd-12-netstat-r.txt", 13, []string{"default via 192.168.71.2 dev em0"}},
		{"linux-centos-7.7-netstat-rnee.txt", 3, []string{"default via 192.168.71.2 dev ens33 metric 100"}},
		{"linux-centos-7.7-route.txt", 3, []string{"default via gateway dev ens33 metric 100"}},
		{"linux-ubuntu-18.04-route-vn.txt", 3, []string{"default via 192.168.71.2 dev ens33 metric 100"}},
		{"linux-centos-7.7-route-6-n.txt", 21, []string{"default (IPv6) via fe80::feae:34ff:fea1:3a80 dev ens33 metric 100", "unreachable default (IPv6) dev lo metric -1", "unreachable default (IPv6) dev lo metric -1"}},
		{"macos-10.14-netstat-rnl.txt", 89, []string{"default via 192.168.1.254 dev en0", "default (IPv6) via fe80::feae:34ff:fea1:3a80%en0 dev en0", "default (IPv6) via fe80::%utun0 dev utun0", "default (IPv6) via fe80::%utun1 dev utun1", "default (IPv6) via fe80::%utun2 dev utun2", "default (IPv6) via fe80::%utun3 dev utun3"}},
	}
	for _, tt := range tests {
		f, err := os.Open(filepath.Join("testdata/route", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := ParseNetstat(f, tt.file)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var defs []string
		for _, r := range res.Routes {
			if r.IsDefault() {
				defs = append(defs, r.String())
			}
		}
		if len(res.Routes) != tt.nroutes || strings.Join(defs, "|") != strings.Join(tt.defs, "|") {
			t.Errorf("%s: %d routes, defaults %q; want %d, %q", tt.file, len(res.Routes), defs, tt.nroutes, tt.defs)
		}
	}
}

func TestBSDDest(t *testing.T) {
	tests := []struct {
		in   string
		v6   bool
		host bool
		want string
	}{
		{"default", false, false, "0.0.0.0/0"}, {"default", true, false, "::/0"},
		{"10.0.2/24", false, false, "10.0.2.0/24"}, {"127", false, false, "127.0.0.0/8"},
		{"192.168.1", false, false, "192.168.1.0/24"}, {"10.0.2.15", false, true, "10.0.2.15/32"},
		{"fe80::%em0/64", true, false, "fe80::/64"}, {"localhost", true, false, "::1/128"},
		{"224.0.0/4", false, false, "224.0.0.0/4"}, {"1.2.3.4.5", false, false, ""}, {"300", false, false, ""},
		{"fe80::/200", true, false, ""},
	}
	for _, tt := range tests {
		p, ok := bsdDest(tt.in, tt.v6, tt.host)
		got := ""
		if ok {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("bsdDest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseNetstatProblems(t *testing.T) {
	in := "10.0.0.0 x U lo\nInternet:\n10.0.0.0 10.0.0.1 UG em0\nDestination Gateway Flags Netif\nnot-an-addr 10.0.0.1 UG em0\ndefault 192.0.2.1 UGS em0\nAppleTalk:\nwhatever 1 2 3\n"
	res, err := ParseNetstat(strings.NewReader(in), "t")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range res.Problems {
		lines = append(lines, p.Line)
	}
	if len(lines) != 3 || lines[0] != 1 || lines[1] != 3 || lines[2] != 5 {
		t.Errorf("problem lines = %v, want [1 3 5]: %v", lines, res.Problems)
	}
	if len(res.Routes) != 1 || res.Routes[0].String() != "default via 192.0.2.1 dev em0" || res.Skipped != 1 {
		t.Errorf("routes = %v, skipped %d", res.Routes, res.Skipped)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func TestEvaluate(t *testing.T) {
	yes, no := true, false
	eth := ifaces.Interface{Index: 2, Name: "eth0", Up: true, Carrier: &yes, Addrs: []ifaces.Addr{{Prefix: mustPrefix("192.0.2.10/24")}}}
	eth6 := eth
	eth6.Addrs = append([]ifaces.Addr{{Prefix: mustPrefix("2001:db8::10/64")}}, eth.Addrs...)
	down := eth
	down.Up = false
	nocarrier := eth
	nocarrier.Carrier = &no
	conn := Route{Dst: mustPrefix("192.0.2.0/24"), Iface: "eth0", Type: TypeUnicast}
	def := Route{Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.1"), Iface: "eth0", Type: TypeUnicast}
	tests := []struct {
		name   string
		rs     []Route
		ifs    []ifaces.Interface
		exp    Expect
		want   []finding.Verdict // per finding, in order
		reason string            // substring of the first non-ok reason
	}{
		{"healthy", []Route{conn, def}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.OK, finding.OK}, ""},
		{"expected gateway matches", []Route{conn, def}, []ifaces.Interface{eth}, Expect{V4: mustAddr("192.0.2.1")}, []finding.Verdict{finding.OK, finding.OK}, ""},
		{"expected gateway differs", []Route{conn, def}, []ifaces.Interface{eth}, Expect{V4: mustAddr("192.0.2.254")}, []finding.Verdict{finding.OK, finding.Problem, finding.OK}, "not the one expected"},
		{"no default at all", nil, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "cannot be reached"},
		{"no v6 default with global v6", []Route{conn, def}, []ifaces.Interface{eth6}, Expect{}, []finding.Verdict{finding.OK, finding.Problem}, "cannot be reached"},
		{"expected v6 missing", []Route{conn, def}, []ifaces.Interface{eth}, Expect{V6: mustAddr("2001:db8::1")}, []finding.Verdict{finding.OK, finding.Problem}, "was expected"},
		{"not on-link", []Route{conn, {Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("198.51.100.1"), Iface: "eth0", Type: TypeUnicast, OnLink: true}}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "not on-link"},
		{"on-link through connected /32", []Route{{Dst: mustPrefix("198.51.100.1/32"), Iface: "eth0", Type: TypeUnicast}, {Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("198.51.100.1"), Iface: "eth0", Type: TypeUnicast}}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.OK, finding.OK}, ""},
		{"interface down", []Route{conn, def}, []ifaces.Interface{down}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "is down"},
		{"no carrier", []Route{conn, def}, []ifaces.Interface{nocarrier}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "no carrier"},
		{"gateway is self", []Route{conn, {Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.10"), Iface: "eth0", Type: TypeUnicast}}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "own address"},
		{"unreachable default", []Route{{Dst: mustPrefix("0.0.0.0/0"), Type: TypeUnreachable}}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "cannot be reached"},
		{"link-local v6 gateway", []Route{conn, def, {Dst: mustPrefix("::/0"), Gateway: mustAddr("fe80::1"), Iface: "eth0", Type: TypeUnicast}}, []ifaces.Interface{eth6}, Expect{}, []finding.Verdict{finding.OK, finding.OK}, ""},
		{"missing interface", []Route{{Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.1"), Iface: "eth9", Type: TypeUnicast}}, []ifaces.Interface{eth}, Expect{}, []finding.Verdict{finding.Problem, finding.OK}, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Evaluate(tt.rs, tt.ifs, tt.exp)
			if len(fs) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %+v", len(fs), len(tt.want), fs)
			}
			reason := ""
			for k, f := range fs {
				if f.Verdict != tt.want[k] {
					t.Errorf("finding %d: %s, want %s: %+v", k, f.Verdict, tt.want[k], f)
				}
				if f.Verdict != finding.OK && reason == "" {
					reason = f.Reason
					if f.Hint == "" {
						t.Errorf("finding %d has no hint", k)
					}
				}
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q lacks %q", reason, tt.reason)
			}
		})
	}
}

func TestExpectedMismatchShowsBoth(t *testing.T) {
	fs := Evaluate([]Route{{Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.1"), Type: TypeUnicast}}, nil, Expect{V4: mustAddr("192.0.2.254")})
	for _, f := range fs {
		if f.Expected == "192.0.2.254" && f.Actual == "192.0.2.1" {
			return
		}
	}
	t.Errorf("no finding shows expected and actual: %+v", fs)
}

func TestLookup(t *testing.T) {
	rs := []Route{
		{Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.1"), Type: TypeUnicast, Metric: 100},
		{Dst: mustPrefix("0.0.0.0/0"), Gateway: mustAddr("192.0.2.2"), Type: TypeUnicast, Metric: 10},
		{Dst: mustPrefix("192.0.2.0/24"), Iface: "eth0", Type: TypeUnicast},
		{Dst: mustPrefix("::/0"), Type: TypeUnreachable},
	}
	if r := Lookup(rs, mustAddr("198.51.100.7")); r == nil || r.Gateway != mustAddr("192.0.2.2") {
		t.Errorf("Lookup(198.51.100.7) = %v", r)
	}
	if r := Lookup(rs, mustAddr("192.0.2.9")); r == nil || r.Iface != "eth0" {
		t.Errorf("Lookup(192.0.2.9) = %v", r)
	}
	if r := Lookup(rs, mustAddr("2001:db8::1")); r == nil || r.Type != TypeUnreachable {
		t.Errorf("Lookup(2001:db8::1) = %v", r)
	}
	if r := Lookup(rs[2:3], mustAddr("10.0.0.1")); r != nil {
		t.Errorf("Lookup(10.0.0.1) = %v, want nil", r)
	}
}

func FuzzParseNetstat(f *testing.F) {
	golden.AddCorpus(f, "testdata/route/*.txt")
	f.Add([]byte("Kernel IP routing table\nDestination Gateway Genmask\n1.2.3.4 0.0.0.0 255.0.255.0\nInternet6:\nDestination\nfe80::%x/999 a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseNetstat(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Routes {
			if !r.Dst.IsValid() {
				t.Fatalf("invalid destination in %+v", r)
			}
		}
		_ = Evaluate(res.Routes, nil, Expect{})
	})
}
