package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
