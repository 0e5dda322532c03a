package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
	"github.com/openports/openports/internal/watch"
	"github.com/openports/openports/internal/watchpolicy"
)

// TestWatchPolicyLive runs watch --policy on the test namespace while
// helpers bind: a listener the policy allows (no event), a new TCP listener
// twice by two processes (one event: the key has no PID), and two UDP
// sockets on ports of the ephemeral range (one event, port "ephemeral" in
// the key). Every event names the host.
func TestWatchPolicyLive(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root (sock_diag destroy notices need CAP_NET_ADMIN)")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 2222\n    exposure: address\n    address: 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wait := startWatch(t, "watch", "-o", "json", "--mode", "poll", "--netns", env.NetNSPath(),
		"--interval", "200ms", "--duration", "5s", "--policy", pol)
	time.Sleep(1500 * time.Millisecond)
	listen := func(proto string, port uint16) {
		l := env.Listen(t, testenv.ListenSpec{Proto: proto, Addr: netip.AddrPortFrom(testenv.MainAddr4, port)})
		time.Sleep(500 * time.Millisecond)
		l.Stop()
	}
	listen("tcp", 2222)
	listen("tcp", 4444)
	listen("tcp", 4444)
	listen("udp", 0)
	listen("udp", 0)
	stdout := wait()
	host, _ := os.Hostname()
	var got []watchpolicy.Violation
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"summary"`) {
			continue
		}
		var v watchpolicy.Violation
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not a violation event: %v\n%s", err, sc.Text())
		}
		got = append(got, v)
	}
	keys := map[string]watchpolicy.Violation{}
	for _, v := range got {
		if v.Event != watchpolicy.EventName || v.Host != host || v.UserClass != watchpolicy.UserRoot {
			t.Errorf("event %+v: want event %s, host %q, user class root", v, watchpolicy.EventName, host)
		}
		if _, dup := keys[v.Key]; dup {
			t.Errorf("key %s reported twice", v.Key)
		}
		keys[v.Key] = v
	}
	// Two processes of one program on tcp/4444 are one key, and so are
	// two ephemeral UDP ports. Each listener lives longer than a poll
	// interval, so watch finds its owner (looking again at the next
	// polls when the first look missed it): none is keyed on an unknown
	// program.
	var tcp, udp int
	for k, v := range keys {
		switch {
		case v.Proto == "tcp" && v.Port == 2222:
			t.Errorf("the allowed listener was reported: %+v", v)
		case v.Proto == "tcp" && v.Port == 4444 && v.Kind == "new":
			tcp++
			if !strings.Contains(k, "/4444/") || v.Program == "" || len(v.PIDs) == 0 {
				t.Errorf("tcp event %+v: key without the port, or without its program and PIDs", v)
			}
		case v.Proto == "udp" && v.Ephemeral && strings.Contains(k, "/ephemeral/"):
			udp++
			if v.Program == "" {
				t.Errorf("udp event %+v without its program", v)
			}
		default:
			t.Errorf("unexpected violation %+v", v)
		}
	}
	for _, v := range got {
		t.Logf("%s: %s", v.Key, v.Message)
	}
	if tcp != 1 || udp != 1 {
		t.Errorf("want tcp/4444 and udp/ephemeral once each, with their program, got:\n%s", stdout.String())
	}
}

// TestWatchPolicyOwnerUnknown runs the real binary's watch --policy twice
// at once on the test namespace, while a helper named sshd listens on a
// port the policy allows only for sshd: once in a new PID namespace with
// its own /proc, where the helper (outside it) cannot be seen, and once in
// the host's. The first must not pass the socket in silence: one
// owner-unknown record with the rule and why, counted in the summary, and
// exit 3. The second sees sshd: nothing reported, exit 0.
func TestWatchPolicyOwnerUnknown(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root, and a PID namespace needs root (CAP_SYS_ADMIN)")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	const port = 2022
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 2022\n    exposure: address\n    address: 192.0.2.1\n    process: sshd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{bin, "watch", "-o", "json", "--mode", "poll", "--interval", "200ms", "--duration", "4s", "--policy", pol}
	type result struct {
		code   int
		stdout string
		err    error
	}
	start := func(argv ...string) <-chan result {
		cmd := env.Command(ctx, argv[0], argv[1:]...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		done := make(chan result, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			err := cmd.Wait()
			r := result{stdout: stdout.String()}
			var exit *exec.ExitError
			switch {
			case errors.As(err, &exit) && exit.ExitCode() >= 0:
				r.code = exit.ExitCode()
			case err != nil:
				r.err = fmt.Errorf("%v: %s", err, stderr.String())
			}
			done <- r
		}()
		return done
	}
	blind := start(append([]string{"unshare", "--pid", "--fork", "--mount-proc"}, args...)...)
	seeing := start(args...)
	time.Sleep(1500 * time.Millisecond)
	l := env.ListenAs(t, "sshd", testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, port)})
	time.Sleep(1500 * time.Millisecond) // past the owner wait (4 intervals)
	l.Stop()

	parse := func(name, out string) (vs []watchpolicy.Violation, sum watch.Summary) {
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `{"summary"`) {
				var s struct{ Summary watch.Summary }
				if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
					t.Fatalf("%s: summary: %v\n%s", name, err, sc.Text())
				}
				sum = s.Summary
				continue
			}
			var v watchpolicy.Violation
			dec := json.NewDecoder(strings.NewReader(sc.Text()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: not a violation event: %v\n%s", name, err, sc.Text())
			}
			vs = append(vs, v)
		}
		return vs, sum
	}

	r := <-blind
	if r.err != nil {
		t.Fatalf("in a PID namespace: %v", r.err)
	}
	vs, sum := parse("in a PID namespace", r.stdout)
	if r.code != report.ExitIncomplete {
		t.Errorf("in a PID namespace: exit %d, want %d\n%s", r.code, report.ExitIncomplete, r.stdout)
	}
	if len(vs) != 1 || vs[0].Kind != watchpolicy.KindOwnerUnknown || vs[0].Port != port || vs[0].Rule != pol+":3" ||
		vs[0].Allowed != "process sshd" || !strings.Contains(vs[0].OwnerReason, "PID namespace") || vs[0].Program != "" {
		t.Errorf("in a PID namespace: want one owner-unknown record for tcp/%d, rule %s:3, allowed process sshd, the PID namespace as the reason; got\n%s", port, pol, r.stdout)
	}
	if sum.Policy == nil || sum.Policy.OwnerUnknown != 1 || sum.Policy.Violations != 0 {
		t.Errorf("in a PID namespace: summary policy %+v, want 1 owner unknown, 0 violations", sum.Policy)
	}

	r = <-seeing
	if r.err != nil {
		t.Fatalf("in the host's PID namespace: %v", r.err)
	}
	vs, sum = parse("in the host's PID namespace", r.stdout)
	if r.code != 0 || len(vs) != 0 || sum.Policy == nil || sum.Policy.OwnerUnknown != 0 {
		t.Errorf("in the host's PID namespace: exit %d, %d records, summary policy %+v; want 0, none (sshd is allowed), 0 owner unknown\n%s", r.code, len(vs), sum.Policy, r.stdout)
	}
}

// watchRun is one run of the real binary: its exit code and output.
type watchRun struct {
	code           int
	stdout, stderr string
	err            error
}

// startBinary starts cmd and returns where its result will be.
func startBinary(t *testing.T, cmd *exec.Cmd) <-chan watchRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan watchRun, 1)
	go func() {
		err := cmd.Wait()
		r := watchRun{stdout: stdout.String(), stderr: stderr.String()}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() >= 0:
			r.code = exit.ExitCode()
		case err != nil:
			r.err = fmt.Errorf("%v: %s", err, stderr.String())
		}
		done <- r
	}()
	return done
}

// policyRecords splits watch --policy -o json output into its records and
// summary; any other line fails t.
func policyRecords(t *testing.T, name, out string) (vs []watchpolicy.Violation, sum watch.Summary) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"summary"`) {
			var s struct{ Summary watch.Summary }
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				t.Fatalf("%s: summary: %v\n%s", name, err, sc.Text())
			}
			sum = s.Summary
			continue
		}
		var v watchpolicy.Violation
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: not a violation event: %v\n%s", name, err, sc.Text())
		}
		vs = append(vs, v)
	}
	return vs, sum
}

// TestWatchPolicyRouteLocalnet runs the real binary's watch --policy with a
// rule that allows tcp/7306 as loopback (what `openports baseline` writes
// for a loopback listener), while a helper listens on 127.0.0.1:7306 in the
// test namespace whose veth has route_localnet on: other machines reach it
// there, and list shows it as an address on that veth. watch must say so:
// one exposure record (exposure address) from a watch inside the namespace
// (its own namespace's sysctls) and from one outside it (--netns, which
// reads them from a thread that enters it), in poll and in auto mode, and
// a plain watch's new event names the veth in route_localnet. Before, the
// one-socket snapshot had no interfaces: "loopback", allowed, nothing said.
func TestWatchPolicyRouteLocalnet(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root, and route_localnet is set as root")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	const port = 7306
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 7306\n    exposure: loopback\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.NS.Run(t, "sysctl", "-qw", "net.ipv4.conf."+testenv.VethMain+".route_localnet=1")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"watch", "-o", "json", "--interval", "200ms", "--duration", "4s"}
	policyRuns := map[string]<-chan watchRun{
		"poll, inside the namespace": startBinary(t, env.Command(ctx, bin, append(args, "--mode", "poll", "--policy", pol)...)),
		"poll, --netns":              startBinary(t, exec.CommandContext(ctx, bin, append(args, "--mode", "poll", "--netns", env.NetNSPath(), "--policy", pol)...)),
		"auto, --netns":              startBinary(t, exec.CommandContext(ctx, bin, append(args, "--mode", "auto", "--netns", env.NetNSPath(), "--policy", pol)...)),
	}
	plain := startBinary(t, exec.CommandContext(ctx, bin, append(args, "--mode", "poll", "--netns", env.NetNSPath())...))
	time.Sleep(1500 * time.Millisecond)
	l := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("127.0.0.1:7306")})
	time.Sleep(1500 * time.Millisecond)
	l.Stop()

	for name, ch := range policyRuns {
		r := <-ch
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		vs, sum := policyRecords(t, name, r.stdout)
		// Violations are records, not an exit code (docs/watch.md).
		if r.code != 0 {
			t.Errorf("%s: exit %d, want 0 (a proven violation)\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		if len(vs) != 1 || vs[0].Kind != report.PolicyExposure || vs[0].Port != port || vs[0].Exposure != string(report.ExposureAddress) ||
			vs[0].Rule != pol+":3" {
			t.Errorf("%s: want one exposure record for tcp/%d (exposure address, rule %s:3); got\n%s", name, port, pol, r.stdout)
		}
		if sum.Policy == nil || sum.Policy.Violations != 1 || sum.Policy.OwnerUnknown != 0 || sum.Policy.ExposureUnknown != 0 {
			t.Errorf("%s: summary policy %+v, want 1 violation", name, sum.Policy)
		}
	}
	r := <-plain
	if r.err != nil || r.code != 0 {
		t.Fatalf("plain watch: exit %d, %v\n%s", r.code, r.err, r.stderr)
	}
	var found bool
	for line := range strings.SplitSeq(r.stdout, "\n") {
		var ev watch.Event
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Kind != watch.New || ev.Local.Port() != port {
			continue
		}
		found = true
		if !slices.Equal(ev.RouteLocalnet, []string{testenv.VethMain}) || ev.ExposureUnknown != "" {
			t.Errorf("plain watch: new event %s: want route_localnet [%s] and no exposure_unknown", line, testenv.VethMain)
		}
	}
	if !found {
		t.Errorf("plain watch: no new event for port %d\n%s", port, r.stdout)
	}
}

// TestWatchPolicyTransparent runs the real binary's watch --policy, in poll
// and in auto mode (eBPF where it loads: its bind record has no socket
// options, so the socket waits for the poll that reads them), with a rule
// that allows tcp/7308 as loopback, while a listener on 127.0.0.1:7308 with
// IP_TRANSPARENT takes, through a TPROXY rule, a connection the peer made
// to 192.0.2.1:80. Each watch must report one exposure record (exposure
// address), no exposure-unknown. Before, the one-socket snapshot had no
// Transparent flag: loopback, allowed, nothing said.
func TestWatchPolicyTransparent(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root, and IP_TRANSPARENT needs CAP_NET_ADMIN")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed: run make test-deps")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	const port = 7308
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 7308\n    exposure: loopback\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"watch", "-o", "json", "--interval", "200ms", "--duration", "4s", "--netns", env.NetNSPath(), "--policy", pol}
	runs := map[string]<-chan watchRun{
		"poll": startBinary(t, exec.CommandContext(ctx, bin, append(args, "--mode", "poll")...)),
		"auto": startBinary(t, exec.CommandContext(ctx, bin, append(args, "--mode", "auto")...)),
	}
	time.Sleep(1500 * time.Millisecond)
	local := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	env.TProxyListener(t, local)
	for name, ch := range runs {
		r := <-ch
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		vs, sum := policyRecords(t, name, r.stdout)
		if r.code != 0 {
			t.Errorf("%s: exit %d, want 0 (a proven violation)\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		if len(vs) != 1 || vs[0].Kind != report.PolicyExposure || vs[0].Port != port || vs[0].Exposure != string(report.ExposureAddress) ||
			vs[0].Rule != pol+":3" {
			t.Errorf("%s: want one exposure record for tcp/%d (exposure address, rule %s:3); got\n%s", name, port, pol, r.stdout)
		}
		if sum.Policy == nil || sum.Policy.Violations != 1 || sum.Policy.ExposureUnknown != 0 {
			t.Errorf("%s: summary policy %+v, want 1 violation", name, sum.Policy)
		}
	}
}
