package hostcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/hostcheck/finding"
)

// The tests in this file build real network namespaces: a host namespace
// with lo and a veth pair to a gateway namespace, where a real dnsmasq
// serves test.example. The checker runs inside the host namespace as a
// re-executed test binary, with /etc/resolv.conf bind-mounted in a private
// mount namespace. All traffic stays inside the namespaces.

const helperEnv = "OPENPORTS_HOSTCHECK_HELPER"

// helperOptions is what the re-executed binary is asked to check.
type helperOptions struct {
	ResolvConf     string   `json:"resolv_conf,omitempty"`
	Resolve        []string `json:"resolve,omitempty"`
	ExpectGateways []string `json:"expect_gateways,omitempty"`
	TimeoutMS      int      `json:"timeout_ms"`
}

// TestMain runs the checker when re-executed as the helper.
func TestMain(m *testing.M) {
	if raw := os.Getenv(helperEnv); raw != "" {
		os.Exit(helperMain(raw))
	}
	os.Exit(m.Run())
}

func helperMain(raw string) int {
	var ho helperOptions
	if err := json.Unmarshal([]byte(raw), &ho); err != nil {
		fmt.Fprintln(os.Stderr, "helper options:", err)
		return 2
	}
	o := Options{ResolvConf: ho.ResolvConf, Resolve: ho.Resolve, DNSTimeout: time.Duration(ho.TimeoutMS) * time.Millisecond}
	for _, g := range ho.ExpectGateways {
		o.ExpectGateways = append(o.ExpectGateways, netip.MustParseAddr(g))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return res.ExitCode
}

type lab struct {
	t        *testing.T
	host, gw string // namespace names
	dir      string
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

var labCount int

// newNS creates a named network namespace with lo up, removed at cleanup.
func newNS(t *testing.T, tag string) string {
	t.Helper()
	labCount++
	name := fmt.Sprintf("ophc-%s-%d-%d", tag, os.Getpid(), labCount)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// newLab builds host and gateway namespaces joined by a veth pair, with a
// dnsmasq on 192.0.2.1 in the gateway namespace.
func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	dnsmasq, err := exec.LookPath("dnsmasq")
	if err != nil {
		t.Skip("dnsmasq is not installed (scripts/test-deps.sh installs it)")
	}
	l := &lab{t: t, host: newNS(t, "h"), gw: newNS(t, "g"), dir: t.TempDir()}
	for _, ns := range []string{l.host, l.gw} {
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "-n", l.host, "link", "add", "hA", "type", "veth", "peer", "name", "gA", "netns", l.gw)
	run(t, "ip", "-n", l.host, "addr", "add", "192.0.2.10/24", "dev", "hA")
	run(t, "ip", "-n", l.host, "addr", "add", "2001:db8::10/64", "dev", "hA", "nodad")
	run(t, "ip", "-n", l.gw, "addr", "add", "192.0.2.1/24", "dev", "gA")
	run(t, "ip", "-n", l.gw, "addr", "add", "192.0.2.3/24", "dev", "gA")
	run(t, "ip", "-n", l.gw, "addr", "add", "2001:db8::1/64", "dev", "gA", "nodad")
	run(t, "ip", "-n", l.host, "link", "set", "hA", "up")
	run(t, "ip", "-n", l.gw, "link", "set", "gA", "up")
	run(t, "ip", "-n", l.host, "route", "add", "default", "via", "192.0.2.1")
	run(t, "ip", "-n", l.host, "-6", "route", "add", "default", "via", "2001:db8::1")

	cmd := exec.Command("ip", "netns", "exec", l.gw, dnsmasq,
		"--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
		"--bind-interfaces", "--listen-address=192.0.2.1", "--port=53", "--pid-file=",
		"--address=/test.example/192.0.2.80", "--log-facility=-")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dnsmasq: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by PID: ip netns exec execs dnsmasq in place
		_ = cmd.Wait()
	})
	// Ready when its namespace shows a UDP socket on port 53 (0x0035),
	// polled a bounded number of times.
	for k := 0; ; k++ {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/udp", pid))
		if bytes.Contains(b, []byte(":0035 ")) {
			break
		}
		if k == 100 {
			t.Fatalf("dnsmasq did not bind port 53 within 5s: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return l
}

// check runs the checker in namespace ns with resolvConf bind-mounted on
// /etc/resolv.conf in a private mount namespace (or, when viaFlag, given
// as the ResolvConf option instead).
func check(t *testing.T, ns, resolvConf string, viaFlag bool, ho helperOptions) (*Result, int, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(path, []byte(resolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if ho.TimeoutMS == 0 {
		ho.TimeoutMS = 700
	}
	args := []string{"netns", "exec", ns, "unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /etc/resolv.conf && exec "$2" -test.run=^$`, "sh", path, self}
	if viaFlag {
		ho.ResolvConf = path
		args = []string{"netns", "exec", ns, self, "-test.run=^$"}
	}
	raw, _ := json.Marshal(ho)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run checker: %v: %s", err, stderr.String())
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("checker output: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	return &res, code, stderr.String()
}

func TestNetnsHealthy(t *testing.T) {
	l := newLab(t)
	res, code, text := check(t, l.host, "# test\nnameserver 192.0.2.1\nsearch test.example\n", false,
		helperOptions{Resolve: []string{"host.test.example"}, ExpectGateways: []string{"192.0.2.1", "2001:db8::1"}})
	if code != 0 || res.ExitCode != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, text)
	}
	for _, c := range res.Checks {
		if c.Verdict != finding.OK {
			t.Errorf("%s: %s, want ok", c.Name, c.Verdict)
		}
	}
	dns := res.check(t, CheckDNS)
	if !has(dns, finding.OK, 2, "192.0.2.1 (/etc/resolv.conf:2) answered") {
		t.Errorf("dns findings: %+v", dns.Findings)
	}
	if !has(dns, finding.OK, 0, "192.0.2.1 says 192.0.2.80") {
		t.Errorf("dns answer: %+v", dns.Findings)
	}
	if !has(res.check(t, CheckRoutes), finding.OK, 0, "default via 192.0.2.1 dev hA") {
		t.Errorf("routes: %+v", res.check(t, CheckRoutes).Findings)
	}
	if !has(res.check(t, CheckInterfaces), finding.OK, 0, "up,running,carrier mtu 1500 192.0.2.10/24 2001:db8::10/64") {
		t.Errorf("interfaces: %+v", res.check(t, CheckInterfaces).Findings)
	}
}

func TestNetnsNoDefaultRoute(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "-n", l.host, "route", "del", "default")
	run(t, "ip", "-n", l.host, "-6", "route", "del", "default")
	res, code, text := check(t, l.host, "nameserver 192.0.2.1\n", false, helperOptions{Resolve: []string{"host.test.example"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	rt := res.check(t, CheckRoutes)
	if !has(rt, finding.Problem, 0, "no IPv4 default route") || !has(rt, finding.Problem, 0, "no IPv6 default route") {
		t.Errorf("routes: %+v", rt.Findings)
	}
	// The nameserver is on the local network: it still answers.
	if v := res.check(t, CheckDNS).Verdict; v != finding.OK {
		t.Errorf("dns verdict %s, want ok", v)
	}
}

func TestNetnsGatewayNotOnLink(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "-n", l.host, "route", "replace", "default", "via", "198.51.100.1", "dev", "hA", "onlink")
	res, code, text := check(t, l.host, "nameserver 192.0.2.1\n", false,
		helperOptions{Resolve: []string{"host.test.example"}, ExpectGateways: []string{"192.0.2.1"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	rt := res.check(t, CheckRoutes)
	if !has(rt, finding.Problem, 0, "198.51.100.1 is not on-link: it is in no subnet of hA (192.0.2.10/24); the route was forced with onlink") {
		t.Errorf("routes: %+v", rt.Findings)
	}
	found := false
	for _, f := range rt.Findings {
		if f.Expected == "192.0.2.1" && f.Actual == "198.51.100.1" {
			found = true
		}
	}
	if !found {
		t.Errorf("no expected/actual gateway mismatch: %+v", rt.Findings)
	}
}

func TestNetnsNameserverPortClosed(t *testing.T) {
	l := newLab(t)
	res, code, text := check(t, l.host, "nameserver 192.0.2.1\nnameserver 192.0.2.3\n", false, helperOptions{Resolve: []string{"host.test.example"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	dns := res.check(t, CheckDNS)
	if !has(dns, finding.Problem, 2, "192.0.2.3 (/etc/resolv.conf:2) did not answer | nothing listens on port 53 there") {
		t.Errorf("dns: %+v", dns.Findings)
	}
	if !has(dns, finding.OK, 1, "192.0.2.1 (/etc/resolv.conf:1) answered") {
		t.Errorf("dns: %+v", dns.Findings)
	}
}

func TestNetnsLocalNameserverNotListening(t *testing.T) {
	l := newLab(t)
	res, code, text := check(t, l.host, "nameserver 127.0.0.1\n", false, helperOptions{Resolve: []string{"host.test.example"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	rc := res.check(t, CheckResolvConf)
	if !has(rc, finding.Problem, 1, "nothing listens on 127.0.0.1 port 53") {
		t.Errorf("resolv.conf: %+v", rc.Findings)
	}
	if !has(res.check(t, CheckDNS), finding.Problem, 1, "nothing listens on port 53 there") {
		t.Errorf("dns: %+v", res.check(t, CheckDNS).Findings)
	}
}

func TestNetnsMalformedResolvConf(t *testing.T) {
	l := newLab(t)
	conf := "nameserver 192.0.2.1\nnameserver dns.test.example\noptions ndots:3 fastest\n  nameserver 192.0.2.3\n"
	// This case passes the file with the ResolvConf option instead of the
	// bind mount.
	res, code, text := check(t, l.host, conf, true, helperOptions{Resolve: []string{"host.test.example"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	rc := res.check(t, CheckResolvConf)
	for _, w := range []struct {
		v    finding.Verdict
		line int
		msg  string
	}{
		{finding.Problem, 2, `"dns.test.example" is not an IP address`},
		{finding.Warning, 3, `unknown option "fastest"`},
		{finding.Warning, 4, "starts with white space"},
		{finding.OK, 1, "192.0.2.1"},
	} {
		if !has(rc, w.v, w.line, w.msg) {
			t.Errorf("no %s on line %d with %q: %+v", w.v, w.line, w.msg, rc.Findings)
		}
	}
	if rc.ResolvConf == nil || !strings.HasSuffix(rc.ResolvConf.File, "resolv.conf") || len(rc.ResolvConf.Used()) != 1 {
		t.Errorf("parsed config: %+v", rc.ResolvConf)
	}
}

func TestNetnsUpWithoutCarrier(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "-n", l.host, "link", "add", "hB", "type", "veth", "peer", "name", "gB", "netns", l.gw)
	run(t, "ip", "-n", l.host, "addr", "add", "198.51.100.10/24", "dev", "hB")
	run(t, "ip", "-n", l.host, "link", "set", "hB", "up") // gB stays down
	res, code, text := check(t, l.host, "nameserver 192.0.2.1\n", false, helperOptions{Resolve: []string{"host.test.example"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	ifc := res.check(t, CheckInterfaces)
	if !has(ifc, finding.Problem, 0, "up,no-carrier mtu 1500 198.51.100.10/24 | the interface is up but has no carrier") {
		t.Errorf("interfaces: %+v", ifc.Findings)
	}
	if !has(ifc, finding.OK, 0, "192.0.2.10/24") {
		t.Errorf("hA should be ok: %+v", ifc.Findings)
	}
}

// TestNetnsFreshOnlyLoopback is the acceptance case: a fresh
// namespace with only lo exits 1, says there is no default route and that
// resolv.conf points at servers it cannot reach, with the lines.
func TestNetnsFreshOnlyLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	labCount++
	ns := fmt.Sprintf("ophc-f-%d-%d", os.Getpid(), labCount)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	res, code, text := check(t, ns, "# from the host\nnameserver 198.51.100.53\nnameserver 2001:db8::53\n", false, helperOptions{Resolve: []string{"www.example.org"}})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, text)
	}
	rt := res.check(t, CheckRoutes)
	if !has(rt, finding.Problem, 0, "no IPv4 default route") {
		t.Errorf("routes: %+v", rt.Findings)
	}
	rc := res.check(t, CheckResolvConf)
	if !has(rc, finding.Problem, 2, "no route to 198.51.100.53") || !has(rc, finding.Problem, 3, "no route to 2001:db8::53") {
		t.Errorf("resolv.conf: %+v", rc.Findings)
	}
	dns := res.check(t, CheckDNS)
	if !has(dns, finding.Problem, 2, "198.51.100.53 (/etc/resolv.conf:2) did not answer | it cannot be reached") {
		t.Errorf("dns: %+v", dns.Findings)
	}
	if !has(res.check(t, CheckInterfaces), finding.Problem, 0, "loopback interface is down") {
		t.Errorf("interfaces: %+v", res.check(t, CheckInterfaces).Findings)
	}
}
