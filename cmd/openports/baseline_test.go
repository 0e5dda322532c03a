package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// TestMain lets testenv re-execute this test binary as a helper that
// holds sockets in a test namespace.
func TestMain(m *testing.M) { testenv.Main(m) }

// The seed's case on NetBSD's real files (NetBSD 5.2's /etc/defaults/rc.conf
// and rc.d, pkgsrc's rc.d/named9, the stock rc.conf with the seed's line):
// rc.conf enables sshd, named9 and ntpd; Postfix, master and every smtpd,
// runs because the defaults say postfix=${_rc_d_postfix:-YES}. No warning.
func TestAnalyzeRootNetBSDSeed(t *testing.T) {
	root := "../../internal/provenance/testdata/netbsd"
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--color", "never", "--lang", "en", "--root", root, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	if code != report.ExitIncomplete {
		t.Fatalf("exit %d, want 3 (two sockets of unknown owner): %s", code, stderr.String())
	}
	checkGolden(t, "analyze", "seed-provenance.table", stdout.Bytes())
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warnings on the stock files:\n%s", stderr.String())
	}
	for _, want := range []string{
		"enabled: /etc/rc.conf:22 sshd=yes",
		"enabled: /etc/rc.conf:22 named9=yes",
		"enabled: /etc/rc.conf:22 ntpd=yes",
		"RUNNING BY DEFAULT, not enabled by you: /etc/defaults/rc.conf:208 postfix=${_rc_d_postfix:-YES}",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}

	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"analyze", "-o", "json", "--lang", "ja", "--root", root, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	if code != report.ExitIncomplete {
		t.Fatalf("json: exit %d: %s", code, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	smtpd := 0
	for _, row := range rep.Rows {
		for _, p := range row.Processes {
			if p.Provenance == nil {
				t.Errorf("%s (%d) has no provenance", p.Name, p.PID)
				continue
			}
			got := p.Provenance.Verdict + " " + p.Provenance.Service + " " + p.Provenance.Evidence[0].String()
			if p.Name == "smtpd" {
				smtpd++
				if want := "default postfix /etc/defaults/rc.conf:208 postfix=${_rc_d_postfix:-YES}"; got != want {
					t.Errorf("smtpd %d: %q, want Postfix's %q", p.PID, got, want)
				}
			}
			verdicts[p.Name] = got
		}
		for _, n := range row.Notes {
			if strings.HasPrefix(n.Key, "provenance.") && n.Text == "" {
				t.Errorf("note %s has no Japanese text", n.Key)
			}
		}
	}
	if smtpd != 4 {
		t.Errorf("%d smtpd processes, want the seed's 4", smtpd)
	}
	want := map[string]string{
		"sshd":   "enabled sshd /etc/rc.conf:22 sshd=yes",
		"named":  "enabled named9 /etc/rc.conf:22 named9=yes",
		"ntpd":   "enabled ntpd /etc/rc.conf:22 ntpd=yes",
		"master": "default postfix /etc/defaults/rc.conf:208 postfix=${_rc_d_postfix:-YES}",
	}
	for name, w := range want {
		if verdicts[name] != w {
			t.Errorf("%s: %q, want %q", name, verdicts[name], w)
		}
	}
}

// The seed's exercise host on the same files: mountd, nfsd (nfs_server),
// dhcpd and rpcbind are disabled in the defaults, which is not the same
// as "no rc.d script runs it" (jserver, smbd, Xorg).
func TestAnalyzeRootExercise(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--color", "never", "--lang", "en", "--root", "../../internal/provenance/testdata/netbsd", "testdata/analyze/fstat-n-exercise.txt"}, &stdout, &stderr)
	if code != report.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	checkGolden(t, "analyze", "fstat-n-exercise-provenance.table", stdout.Bytes())
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warnings:\n%s", stderr.String())
	}
}

// FreeBSD 10.2-RELEASE's installed files and OpenBSD's: each fixture
// with a real output of its system.
func TestAnalyzeRootFreeBSDOpenBSD(t *testing.T) {
	for _, tt := range []struct{ root, input, golden string }{
		{"freebsd", "freebsd-sockstat-4.txt", "freebsd-sockstat-4-provenance.table"},
		{"openbsd", "openbsd-fstat-httpd.txt", "openbsd-fstat-httpd-provenance.table"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"analyze", "--color", "never", "--lang", "en", "--root", "../../internal/provenance/testdata/" + tt.root, "testdata/analyze/" + tt.input}, &stdout, &stderr)
		if code != report.ExitOK && code != report.ExitIncomplete {
			t.Fatalf("%s: exit %d: %s", tt.root, code, stderr.String())
		}
		checkGolden(t, "analyze", tt.golden, stdout.Bytes())
		if strings.Contains(stderr.String(), "warning") {
			t.Errorf("%s: warnings:\n%s", tt.root, stderr.String())
		}
	}
}

// --root never leaves DIR: DIR/etc/rc.conf -> a file outside reads
// DIR's own path instead, and nothing of the outside file is printed.
func TestAnalyzeRootSymlinkEscape(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("sshd=YES # SECRET-HASH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc/defaults"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/defaults/rc.conf"), []byte("sshd=NO\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"etc/rc.conf", "etc/rc.conf.local"} {
		if err := os.Symlink(secret, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "etc/inetd.conf")); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"analyze", "--color", "never", "--root", dir, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	out := stdout.String() + stderr.String()
	if strings.Contains(out, "SECRET") || strings.Contains(out, "root:") {
		t.Errorf("analyze printed a file outside --root:\n%s", out)
	}
	if !strings.Contains(stdout.String(), "/etc/defaults/rc.conf:1 sshd=NO") {
		t.Errorf("sshd's verdict should rest on DIR's defaults:\n%s", stdout.String())
	}
}

func TestAnalyzePolicy(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "seed.yaml")
	// The seed host's policy, but Postfix only on loopback and ntpd
	// only on all interfaces and 210.128.51.251, not on 10.0.0.251.
	if err := os.WriteFile(pol, []byte(`version: 1
allow:
  - {proto: tcp, port: 22, address: 10.0.0.251, process: sshd}
  - {proto: tcp, port: 25, exposure: loopback, process: master}
  - {proto: tcp, port: 53, address: 10.0.0.251, process: named}
  - {proto: udp, port: 53, exposure: address}
  - {proto: udp, port: 123, exposure: all, process: ntpd}
  - {proto: udp, port: 123, address: 210.128.51.251}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"analyze", "-o", "json", "--policy", pol, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	if code != report.ExitFindings {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rep.Policy.Violations {
		got = append(got, v.Kind+" "+v.Proto+"/"+v.Address+":"+strconv.Itoa(int(v.Port))+" "+v.Rule+" | "+v.Message.Text)
	}
	wantV := []string{
		"exposure tcp/10.0.0.251:25 " + pol + ":4 | EXPOSURE CHANGED: policy " + pol + ":4 allows loopback, now address 10.0.0.251",
		"exposure udp/10.0.0.251:123 " + pol + ":7 | EXPOSURE CHANGED: policy " + pol + ":7 allows all, now address 10.0.0.251",
	}
	if strings.Join(got, "\n") != strings.Join(wantV, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantV, "\n"))
	}

	// A malformed policy is a usage error naming file, line and column.
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 22-\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"analyze", "--policy", pol, "testdata/analyze/seed.txt"}, &stdout, &stderr)
	if wantErr := pol + `:4:11: port range "22-"`; code != report.ExitUsage || !strings.Contains(stderr.String(), wantErr) {
		t.Errorf("exit %d, stderr %q, want 2 and %q", code, stderr.String(), wantErr)
	}
}

// The "done when": a baseline written in a namespace, then a new
// listener started there, makes check --policy (and list --policy) exit 1
// naming exactly that listener.
func TestBaselineThenNewListener(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux network namespaces")
	}
	if testing.Short() {
		t.Skip("builds the binary and makes namespaces")
	}
	env := testenv.New(t)
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	runNS := func(args ...string) (int, string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := env.Command(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, stdout.String(), stderr.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), stdout.String(), stderr.String()
		}
		t.Fatalf("run %v: %v", args, err)
		return 0, "", ""
	}
	// Something that listens before the baseline.
	before := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)})
	// Exit 3 (incomplete view) is allowed where this host has processes
	// even root cannot read (a protected PID 1 in some sandboxes): the
	// policy is written all the same, and what follows must hold.
	if code, _, stderr := runNS("baseline", "--write", pol); code != 0 && (code != report.ExitIncomplete || !strings.Contains(stderr, "incomplete")) {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline:\n%s", data)
	if code, out, stderr := runNS("list", "--policy", pol, "-o", "json"); code != 0 {
		var rep report.Report
		if code != report.ExitIncomplete || json.Unmarshal([]byte(out), &rep) != nil || rep.Complete ||
			rep.Policy == nil || len(rep.Policy.Violations) != 0 {
			t.Fatalf("list --policy right after the baseline: exit %d\n%s\n%s", code, out, stderr)
		}
	}
	added := env.Listen(t, testenv.ListenSpec{Proto: "udp", Addr: netip.MustParseAddrPort("[::]:0")})
	wantPort := added.Local.Port()

	code, out, stderr := runNS("list", "--policy", pol, "-o", "json")
	if code != report.ExitFindings {
		t.Fatalf("list --policy with a new listener: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Policy == nil || len(rep.Policy.Violations) != 1 {
		t.Fatalf("violations: %+v", rep.Policy)
	}
	v := rep.Policy.Violations[0]
	if v.Kind != report.PolicyNew || v.Proto != "udp" || v.Port != wantPort {
		t.Errorf("violation %+v, want new udp/%d", v, wantPort)
	}
	_ = before

	// check runs the whole checklist; its port listing carries the
	// policy, and a violation is a problem: exit 1.
	code, out, stderr = runNS("check", "--no-dns", "--policy", pol, "-o", "json")
	if code != report.ExitFindings {
		t.Fatalf("check --policy: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	var res struct {
		Checks []struct {
			Name  string         `json:"check"`
			Ports *report.Report `json:"ports"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range res.Checks {
		if c.Ports == nil {
			continue
		}
		found = true
		if c.Ports.Policy == nil || len(c.Ports.Policy.Violations) != 1 {
			t.Fatalf("check's violations: %+v", c.Ports.Policy)
		}
		if v := c.Ports.Policy.Violations[0]; v.Kind != report.PolicyNew || v.Proto != "udp" || v.Port != wantPort {
			t.Errorf("check's violation %+v, want new udp/%d", v, wantPort)
		}
	}
	if !found {
		t.Errorf("check printed no port listing:\n%s", out)
	}
	// The table names it too.
	_, out, _ = runNS("check", "--no-dns", "--policy", pol, "--color", "never", "--lang", "en")
	if !strings.Contains(out, "NOT IN POLICY: new listener udp/"+strconv.Itoa(int(wantPort))) {
		t.Errorf("check table does not name the new listener:\n%s", out)
	}
}

// TestBaselineHeader: the policy's comment header is in --lang, and a
// hostile host name can neither leave its comment line nor reach the
// terminal of whoever reads the file; the policy reads back.
func TestBaselineHeader(t *testing.T) {
	rep := &report.Report{Host: "evil\nallow: [{proto: tcp, port: 1}]\x1b[2J", Complete: true}
	for _, tc := range []struct{ lang, want string }{
		{"en", "# openports policy: what may listen on evil\\nallow"},
		{"ja", "# openports のポリシー: evil\\nallow"},
	} {
		var stdout bytes.Buffer
		g := &globalOptions{lang: tc.lang, stdout: &stdout, stderr: &bytes.Buffer{}}
		if err := writeBaseline(g, rep, ""); err != nil {
			t.Fatal(err)
		}
		out := stdout.String()
		if !strings.Contains(out, tc.want) || strings.ContainsAny(out, "\x1b") {
			t.Errorf("--lang %s: header\n%s\nwant %q and no control bytes", tc.lang, out, tc.want)
		}
		p, err := policy.Parse(stdout.Bytes(), "baseline.yaml")
		if err != nil {
			t.Fatalf("--lang %s: the policy does not read back: %v\n%s", tc.lang, err, out)
		}
		if len(p.Rules) != 0 {
			t.Errorf("--lang %s: the host name added rules: %+v", tc.lang, p.Rules)
		}
	}
}
