package hostcheck

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
	"github.com/openports/openports/internal/hostcheck/routes"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// fakeHost is a Host made of fixed facts.
type fakeHost struct {
	ifs   []ifaces.Interface
	rts   []routes.Route
	udp53 []netip.Addr
	files map[string]string
	name  string
}

func (f fakeHost) Interfaces(context.Context) ([]ifaces.Interface, error) { return f.ifs, nil }
func (f fakeHost) Routes(context.Context) ([]routes.Route, error)         { return f.rts, nil }
func (f fakeHost) UDPListeners(context.Context, uint16) ([]netip.Addr, error) {
	return f.udp53, nil
}
func (f fakeHost) Hostname() (string, error) { return f.name, nil }
func (f fakeHost) ReadFile(_ context.Context, name string) ([]byte, error) {
	s, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func baseHost() fakeHost {
	yes := true
	return fakeHost{
		name: "vm",
		ifs: []ifaces.Interface{
			{Index: 1, Name: "lo", Up: true, Running: true, Loopback: true, MTU: 65536, Addrs: []ifaces.Addr{{Prefix: netip.MustParsePrefix("127.0.0.1/8")}}},
			{Index: 2, Name: "eth0", Up: true, Running: true, Carrier: &yes, MTU: 1500, Addrs: []ifaces.Addr{{Prefix: netip.MustParsePrefix("192.0.2.10/24")}}},
		},
		rts: []routes.Route{
			{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.1"), Iface: "eth0", Type: routes.TypeUnicast},
			{Dst: netip.MustParsePrefix("192.0.2.0/24"), Iface: "eth0", Type: routes.TypeUnicast},
		},
	}
}

func TestRunFakeHost(t *testing.T) {
	stubHost := baseHost()
	stubHost.udp53 = []netip.Addr{netip.MustParseAddr("127.0.0.53")}
	stubHost.files = map[string]string{
		"/etc/resolv.conf":   "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan.example\n",
		resolvedUpstreams:    "nameserver 192.0.2.53\nnameserver 2001:db8::53\n",
		"/etc/expect-ok.yml": "",
	}
	deadStub := stubHost
	deadStub.udp53 = nil
	noFile := baseHost()
	noFile.files = map[string]string{}
	exp, err := ParseExpectations(strings.NewReader(`
interfaces:
  - name: eth0
    up: true
    mtu: 9000
    addresses: [192.0.2.10/24, 2001:db8::10/64]
  - name: eth1
gateways: [192.0.2.254]
nameservers: [192.0.2.53]
`), "expect.yml")
	if err != nil {
		t.Fatal(err)
	}
	ports := func(context.Context) (*report.Report, error) {
		return &report.Report{Rows: []report.Row{{Proto: "tcp", Address: "*", Port: 22}}, Complete: true}, nil
	}
	tests := []struct {
		name     string
		host     fakeHost
		opt      Options
		exit     int
		verdicts map[string]finding.Verdict
		want     []string // substrings of the text output
	}{
		{
			name: "resolved-stub", host: stubHost, opt: Options{NoDNS: true, Ports: ports}, exit: 0,
			verdicts: map[string]finding.Verdict{CheckInterfaces: finding.OK, CheckResolvConf: finding.OK, CheckRoutes: finding.OK, CheckPorts: finding.OK},
			want:     []string{"systemd-resolved stub, upstreams 192.0.2.53, 2001:db8::53", "1 line other machines can reach"},
		},
		{
			// Some owners unseen and no gap named: the listing is
			// incomplete (list exits 3), so check may not exit 0.
			name: "ports-incomplete", host: stubHost, opt: Options{NoDNS: true, Ports: func(context.Context) (*report.Report, error) {
				return &report.Report{Rows: []report.Row{{Proto: "tcp", Address: "*", Port: 22, OwnerState: snapshot.OwnersPartial}},
					Complete: false, ExitCode: report.ExitIncomplete}, nil
			}}, exit: 3,
			verdicts: map[string]finding.Verdict{CheckInterfaces: finding.OK, CheckResolvConf: finding.OK, CheckRoutes: finding.OK, CheckPorts: finding.Warning},
		},
		{
			name: "resolved-stub-down", host: deadStub, opt: Options{NoDNS: true}, exit: 1,
			verdicts: map[string]finding.Verdict{CheckResolvConf: finding.Problem},
			want:     []string{"systemd-resolved's stub, but nothing listens on 127.0.0.53", "systemctl status systemd-resolved"},
		},
		{
			name: "no-resolv-conf", host: noFile, opt: Options{NoDNS: true}, exit: 1,
			verdicts: map[string]finding.Verdict{CheckResolvConf: finding.Problem},
			want:     []string{"/etc/resolv.conf does not exist", "nothing listens on 127.0.0.1 port 53"},
		},
		{
			name: "expectations", host: stubHost, opt: Options{NoDNS: true, Expect: exp}, exit: 1,
			verdicts: map[string]finding.Verdict{CheckInterfaces: finding.Problem, CheckResolvConf: finding.Problem, CheckRoutes: finding.Problem},
			want: []string{
				"9000 1500",
				"eth0 lacks 2001:db8::10/64", "interface eth1 does not exist",
				"192.0.2.254 192.0.2.1",
				"192.0.2.53 127.0.0.53",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Host = tt.host
			res, err := Run(context.Background(), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tt.exit {
				t.Errorf("exit %d, want %d", res.ExitCode, tt.exit)
			}
			for name, v := range tt.verdicts {
				if got := res.check(t, name).Verdict; got != v {
					t.Errorf("%s: %s, want %s", name, got, v)
				}
			}
			// The texts for people are rendered by internal/render
			// (whose golden tests read these JSON files); here the
			// findings must say what tt.want names.
			var text strings.Builder
			for _, c := range res.Checks {
				text.WriteString(c.Summary + "\n")
				for _, f := range c.Findings {
					text.WriteString(f.Subject + " " + f.Message + " " + f.Reason + " " + f.Hint + " " + f.Expected + " " + f.Actual + "\n")
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("findings lack %q:\n%s", w, text.String())
				}
			}
			js, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".json"), append(js, '\n'))
		})
	}
}

func TestParseExpectationsErrors(t *testing.T) {
	for _, in := range []string{
		"gateway: 192.0.2.1\n",         // misspelt key
		"gateways: [not-an-address]\n", // bad address
		"interfaces:\n  - up: true\n",  // no name
		// past the size limit: once cut there and parsed without
		// its last line
		strings.Repeat("# padding\n", 110_000) + "gateways: [192.0.2.1]\n",
	} {
		if _, err := ParseExpectations(strings.NewReader(in), "e.yml"); err == nil {
			t.Errorf("ParseExpectations(%q) accepted it", in)
		}
	}
}

func TestRunRejectsBadGateway(t *testing.T) {
	_, err := Run(context.Background(), Options{Host: baseHost(), NoDNS: true, ExpectGateways: []netip.Addr{netip.MustParseAddr("224.0.0.1")}})
	if err == nil {
		t.Error("multicast expected gateway accepted")
	}
}

func (r *Result) check(t *testing.T, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Checks)
	return Check{}
}

// has reports whether c has a finding with verdict v whose message or
// reason contains substr (and, when line > 0, that line).
func has(c Check, v finding.Verdict, line int, substr string) bool {
	for _, f := range c.Findings {
		if f.Verdict == v && (line == 0 || f.Line == line) && strings.Contains(f.Message+" | "+f.Reason, substr) {
			return true
		}
	}
	return false
}

// TestPortsFindingsNameTheLine: the ports check is not "ok" while
// telnet runs as root on all interfaces; each line that deserves it is a
// finding naming the line.
func TestPortsFindingsNameTheLine(t *testing.T) {
	rep := &report.Report{Rows: []report.Row{
		{Proto: "tcp", Address: "*", Port: 23, Severity: snapshot.Dangerous, ServiceLabel: "telnet", OwnerState: snapshot.OwnersComplete,
			Processes: []report.Process{{PID: 7, Name: "inetd", User: "root"}}},
		{Proto: "udp", Address: "*", Port: 161, Severity: snapshot.Risky, ServiceLabel: "snmp", OwnerState: snapshot.OwnersUnknown},
		{Proto: "tcp", Address: "*", Port: 22, Severity: snapshot.Review, ServiceLabel: "ssh", OwnerState: snapshot.OwnersComplete,
			Findings: []report.Finding{{Rule: "policy-owner", Severity: snapshot.Review}}},
		{Proto: "tcp", Address: "localhost", Port: 631, Severity: snapshot.Info, OwnerState: snapshot.OwnersComplete},
	}, Policy: &report.PolicyResult{File: "p.yaml", Violations: []report.PolicyViolation{{Kind: report.PolicyMissing, Proto: "tcp", Port: 25, Rule: "p.yaml:9"}}}}
	c := checkPorts(context.Background(), func(context.Context) (*report.Report, error) { return rep, nil })
	if c.Verdict != finding.Problem {
		t.Errorf("verdict %s, want problem", c.Verdict)
	}
	want := []struct {
		code    string
		verdict finding.Verdict
		subject string
	}{
		{CodePortsSummary, finding.OK, "listening sockets"},
		{CodePortsDangerous, finding.Problem, "tcp/23 *"},
		{CodePortsRisky, finding.Warning, "udp/161 *"},
		{CodePortsUnknownOwner, finding.Warning, "udp/161 *"},
		{CodePortsPolicy, finding.Problem, "tcp/22 *"},
		{CodePortsPolicyMissing, finding.Problem, "p.yaml:9"},
	}
	if len(c.Findings) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(c.Findings), len(want), c.Findings)
	}
	for i, w := range want {
		f := c.Findings[i]
		if f.Code != w.code || f.Verdict != w.verdict || f.Subject != w.subject || f.Message == "" {
			t.Errorf("finding %d = %+v, want %s %s %q", i, f, w.code, w.verdict, w.subject)
		}
	}
}
