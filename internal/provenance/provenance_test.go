package provenance

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

type want struct {
	verdict, reason, service, evidence string // evidence: substring of the first evidence
}

func check(t *testing.T, r *Resolver, proto string, port uint16, pid int, name string, w want) {
	t.Helper()
	row := &report.Row{Proto: snapshot.Proto(proto), Port: port}
	got := r.Resolve(row, &report.Process{PID: pid, Name: name})
	if got == nil {
		t.Fatalf("%s/%d %s: no provenance", proto, port, name)
	}
	first := ""
	if len(got.Evidence) > 0 {
		first = got.Evidence[0].String()
	}
	if got.Verdict != w.verdict || got.Reason != w.reason || got.Service != w.service || !strings.Contains(first, w.evidence) {
		t.Errorf("%s/%d %s (%d): got %s/%s service %q evidence %q, want %s/%s service %q evidence containing %q",
			proto, port, name, pid, got.Verdict, got.Reason, got.Service, first, w.verdict, w.reason, w.service, w.evidence)
	}
}

func TestNetBSDSeed(t *testing.T) {
	r, err := New(os.DirFS("testdata/netbsd"), "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindRCD {
		t.Fatalf("kind %q, want rc.d", r.Kind())
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	tests := []struct {
		proto string
		port  uint16
		name  string
		want  want
	}{
		{"tcp", 22, "sshd", want{"enabled", "rc.conf", "sshd", "/etc/rc.conf:12 sshd=yes"}},
		{"tcp", 53, "named", want{"enabled", "rc.conf", "named", "/etc/rc.conf:12 named9=yes"}},
		{"udp", 123, "ntpd", want{"enabled", "rc.conf", "ntpd", "/etc/rc.conf:12 ntpd=yes"}},
		{"tcp", 25, "master", want{"default", "defaults", "postfix", "/etc/defaults/rc.conf:22 postfix=YES"}},
		{"udp", 514, "syslogd", want{"default", "defaults", "syslogd", "/etc/defaults/rc.conf:12 syslogd=YES"}},
		{"udp", 69, "inetd", want{"enabled", "inetd.conf", "tftp", "/etc/inetd.conf:4 tftp"}},
		{"tcp", 23, "inetd", want{"not-enabled", "inetd-commented", "telnet", "/etc/inetd.conf:3 #telnet"}},
		{"tcp", 79, "inetd", want{"default", "defaults", "inetd", "/etc/defaults/rc.conf:14 inetd=YES"}},
		{"udp", 111, "rpcbind", want{"not-enabled", "disabled", "rpcbind", "/etc/defaults/rc.conf:23 rpcbind=NO"}},
		{"tcp", 22273, "jserver", want{"not-enabled", "no-script", "", "no script runs jserver"}},
	}
	for _, tt := range tests {
		check(t, r, tt.proto, tt.port, 100, tt.name, tt.want)
	}
}

func TestFreeBSD(t *testing.T) {
	r, err := New(os.DirFS("testdata/freebsd"), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindRCD {
		t.Fatalf("kind %q", r.Kind())
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"enabled", "rc.conf", "sshd", `/etc/rc.conf:2 sshd_enable="YES"`})
	check(t, r, "udp", 123, 1, "ntpd", want{"enabled", "rc.conf", "ntpd", `/etc/rc.conf.d/ntpd:1 ntpd_enable="YES"`})
	check(t, r, "tcp", 25, 1, "sendmail", want{"default", "defaults", "sendmail", `/etc/defaults/rc.conf:5 sendmail_submit_enable="YES"`})
	check(t, r, "tcp", 21, 1, "inetd", want{"enabled", "inetd.conf", "ftp", "/etc/inetd.conf:2 ftp"})
}

func TestOpenBSD(t *testing.T) {
	r, err := New(os.DirFS("testdata/openbsd"), "openbsd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindOpenBSD {
		t.Fatalf("kind %q", r.Kind())
	}
	if d := Detect(os.DirFS("testdata/openbsd"), ""); d != KindOpenBSD {
		t.Errorf("detect without OS: %q", d)
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"default", "defaults", "sshd", "/etc/rc.conf:7 sshd_flags="})
	check(t, r, "tcp", 25, 1, "smtpd", want{"default", "defaults", "smtpd", "/etc/rc.conf:6 smtpd_flags="})
	check(t, r, "tcp", 80, 1, "httpd", want{"enabled", "rc.conf", "httpd", "/etc/rc.conf.local:1 httpd_flags="})
	check(t, r, "udp", 123, 1, "ntpd", want{"not-enabled", "disabled", "ntpd", "/etc/rc.conf.local:2 ntpd_flags=NO"})
	check(t, r, "tcp", 5432, 1, "postgres", want{"enabled", "rc.conf", "postgresql", `/etc/rc.conf.local:3 pkg_scripts="postgresql"`})
	check(t, r, "udp", 53, 1, "unbound", want{"not-enabled", "disabled", "unbound", "/etc/rc.conf:8 unbound_flags=NO"})
}

func TestSystemdFixture(t *testing.T) {
	r, err := New(os.DirFS("testdata/linux"), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindSystemd {
		t.Fatalf("kind %q", r.Kind())
	}
	for _, p := range r.Problems() {
		// postfix.service is masked: a symlink to /dev/null, skipped.
		t.Errorf("problem: %v", p)
	}
	tests := []struct {
		proto string
		port  uint16
		pid   int
		name  string
		want  want
	}{
		{"tcp", 22, 500, "sshd", want{"default", "vendor-preset", "ssh.service", "/usr/lib/systemd/system-preset/90-default.preset:2 enable ssh.service"}},
		{"udp", 53, 600, "dnsmasq", want{"enabled", "admin-symlink", "dnsmasq.service", "/etc/systemd/system/multi-user.target.wants/dnsmasq.service"}},
		{"tcp", 6379, 700, "redis-server", want{"not-enabled", "wanted-by", "redis.service", "/usr/lib/systemd/system/webapp.service:3 Wants=redis.service (webapp.service)"}},
		{"tcp", 8000, 800, "python3", want{"not-enabled", "session", "session-3.scope", "/proc/800/cgroup (session-3.scope)"}},
		{"tcp", 8001, 900, "nc", want{"not-enabled", "cron", "cron.service", "(cron.service)"}},
		{"tcp", 8002, 900, "cron", want{"default", "vendor-preset", "cron.service", "enable cron.service"}},
		{"tcp", 80, 1000, "nginx", want{"not-enabled", "container", "docker-4f2a9c1e0b7d.scope", "docker-4f2a9c1e0b7d.scope"}},
		{"tcp", 8080, 1100, "java", want{"not-enabled", "container", "abcd", "/proc/1100/cgroup"}},
		{"tcp", 631, 1200, "cupsd", want{"default", "socket-activation", "cups.service", "/usr/lib/systemd/system/cups.socket (cups.socket)"}},
		{"tcp", 9999, 1300, "sleep", want{"not-enabled", "transient", "run-r0123456789abcdef.scope", "run-r0123456789abcdef.scope"}},
		{"tcp", 631, 1, "systemd", want{"default", "socket-activation", "cups.socket", "cups.socket:6 ListenStream=631 (cups.socket -> cups.service)"}},
		{"tcp", 873, 1, "systemd", want{"enabled", "socket-activation", "rsync.socket", "ListenStream=0.0.0.0:873 (rsync.socket -> rsync@.service)"}},
		{"tcp", 4444, 1, "systemd", want{"unknown", "no-unit", "", "no .socket unit listens on tcp/4444"}},
		{"tcp", 4445, 4242, "gone", want{"unknown", "no-cgroup", "", "/proc/4242/cgroup unreadable"}},
	}
	for _, tt := range tests {
		check(t, r, tt.proto, tt.port, tt.pid, tt.name, tt.want)
	}
	// timesyncd is enabled by its package (a symlink under /usr/lib).
	if p := r.sd.unitVerdict("systemd-timesyncd.service"); p.Verdict != report.ProvenanceDefault || p.Reason != "vendor-static" {
		t.Errorf("timesyncd: %+v", p)
	}
}

// TestSystemdCollectedCgroup: the cgroup the collector read under the
// process's identity is used, not /proc/PID/cgroup of a PID that may have
// been reused since (here: PID 800 is now a session's python3, and PID
// 4242 is gone).
func TestSystemdCollectedCgroup(t *testing.T) {
	r, err := New(os.DirFS("testdata/linux"), "linux")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pid    int
		cgroup string
		want   want
	}{
		{800, "/system.slice/dnsmasq.service", want{"enabled", "admin-symlink", "dnsmasq.service", "/etc/systemd/system/multi-user.target.wants/dnsmasq.service"}},
		{4242, "/user.slice/user-1000.slice/session-3.scope", want{"not-enabled", "session", "session-3.scope", "(session-3.scope)"}},
	}
	for _, tt := range tests {
		row := &report.Row{Proto: snapshot.UDP, Port: 53}
		got := r.Resolve(row, &report.Process{PID: tt.pid, Name: "dnsmasq", Cgroup: tt.cgroup})
		first := ""
		if len(got.Evidence) > 0 {
			first = got.Evidence[len(got.Evidence)-1].String()
		}
		if got.Verdict != tt.want.verdict || got.Reason != tt.want.reason || got.Service != tt.want.service {
			t.Errorf("pid %d cgroup %s: got %s/%s service %q evidence %q, want %s/%s %q", tt.pid, tt.cgroup, got.Verdict, got.Reason, got.Service, first, tt.want.verdict, tt.want.reason, tt.want.service)
		}
	}
}

func TestCgroup(t *testing.T) {
	tests := []struct {
		in       string
		kind     string
		unit     string
		wantPath string
	}{
		{"0::/system.slice/ssh.service\n", "service", "ssh.service", "/system.slice/ssh.service"},
		{"12:pids:/x\n1:name=systemd:/system.slice/nginx.service\n", "service", "nginx.service", "/system.slice/nginx.service"},
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n", "session", "user@1000.service", ""},
		{"0::/system.slice/docker-abc.scope\n", "container", "docker-abc.scope", ""},
		{"0::/machine.slice/libpod-0123.scope/container\n", "container", "libpod-0123.scope", ""},
		{"0::/init.scope\n", "init", "init.scope", ""},
		{"0::/\n", "", "", "/"},
		{"garbage", "", "", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		p := snapshot.CgroupPath([]byte(tt.in))
		if tt.wantPath != "" && p != tt.wantPath {
			t.Errorf("snapshot.CgroupPath(%q) = %q, want %q", tt.in, p, tt.wantPath)
		}
		c := ClassifyCgroup(p)
		if c.Kind != tt.kind || c.Unit != tt.unit {
			t.Errorf("ClassifyCgroup(%q) = %+v, want %s %s", p, c, tt.kind, tt.unit)
		}
	}
}

func TestShellVars(t *testing.T) {
	in := `# comment
a=YES
b="quoted value"   # trailing comment
c='single $x' d=two; e=three
export f=yes
g="${a}"
h="multi
line"
if [ -r /x ]; then
	. /x
fi
fn() {
	x=not-seen
}
this is not an assignment
k=ok
bad-name=1
`
	as, errs := ParseShellVars([]byte(in), "/etc/rc.conf")
	got := map[string]Assignment{}
	for _, a := range as {
		got[a.Name] = a
	}
	wantVals := map[string]string{"a": "YES", "b": "quoted value", "c": "single $x", "d": "two", "e": "three", "f": "yes", "g": "${a}", "h": "multi\nline", "k": "ok"}
	for n, v := range wantVals {
		if got[n].Value != v {
			t.Errorf("%s = %q, want %q", n, got[n].Value, v)
		}
	}
	if _, ok := got["x"]; ok {
		t.Errorf("assignment inside a function body was read")
	}
	if got["c"].Expands || !got["g"].Expands {
		t.Errorf("expands: c %v (want false), g %v (want true)", got["c"].Expands, got["g"].Expands)
	}
	if got["b"].Line != 3 || got["b"].Text != `b="quoted value"` || got["k"].Line != 16 {
		t.Errorf("positions: b %d %q, k %d", got["b"].Line, got["b"].Text, got["k"].Line)
	}
	var msgs []string
	for _, e := range errs {
		var le *LineError
		if !errors.As(e, &le) {
			t.Errorf("error %v is not a LineError", e)
		}
		msgs = append(msgs, e.Error())
	}
	wantErrs := []string{`/etc/rc.conf:15: expected NAME=VALUE, got "this is not an assignment"`, `/etc/rc.conf:17: "bad-name" is not a variable name`}
	if strings.Join(msgs, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(wantErrs, "\n"))
	}
	_, errs = ParseShellVars([]byte("a=\"open\n"), "f")
	if len(errs) != 1 || errs[0].Error() != "f:1: unterminated quote" {
		t.Errorf("unterminated: %v", errs)
	}
}

func TestUnreadableValueIsUnknown(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/defaults/rc.conf": {Data: []byte("sshd=NO\n")},
		"etc/rc.conf":          {Data: []byte("sshd=$(echo YES)\nsshd=${want_sshd}\n")},
	}
	r, err := New(fsys, "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"unknown", "unreadable", "sshd", "/etc/rc.conf:2 sshd=${want_sshd}"})
	if len(r.Problems()) != 1 || !strings.HasPrefix(r.Problems()[0].Error(), "/etc/rc.conf:1: shell operator") {
		t.Errorf("problems: %v", r.Problems())
	}
}

func TestNoConfig(t *testing.T) {
	r, err := New(fstest.MapFS{"proc/1/comm": {Data: []byte("process_api\n")}}, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindNone || r.Resolve(&report.Row{}, &report.Process{PID: 1}) != nil {
		t.Errorf("a root without init configuration resolves: kind %q", r.Kind())
	}
}

func TestLiveSystemd(t *testing.T) {
	comm, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		t.Skipf("no /proc/1/comm: %v", err)
	}
	if c := strings.TrimSpace(string(comm)); c != "systemd" {
		t.Skipf("PID 1 is %q, not systemd: no live unit tree to read", c)
	}
	r, err := New(os.DirFS("/"), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindSystemd {
		t.Fatalf("kind %q on a systemd host", r.Kind())
	}
	got := r.Resolve(&report.Row{Proto: "tcp", Port: 1}, &report.Process{PID: os.Getpid(), Name: "provenance.test"})
	if got == nil || got.Verdict == "" || len(got.Evidence) == 0 {
		t.Fatalf("own process: %+v", got)
	}
	t.Logf("this test process: %+v", *got)
}

func FuzzParseShellVars(f *testing.F) {
	for _, s := range []string{"a=YES\n", "a=\"b\nc\"\n", "f() {\n}\n", "x='", "export a=1 b=2; c=3 # d\n", "a=\\\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		as, _ := ParseShellVars(data, "f")
		for _, a := range as {
			if !isName(a.Name) || a.Line < 1 {
				t.Fatalf("bad assignment %+v", a)
			}
		}
	})
}

func FuzzParseInetdConf(f *testing.F) {
	f.Add([]byte("ftp stream tcp nowait root /usr/libexec/ftpd ftpd -l\n#telnet stream tcp6 nowait root /x x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range ParseInetdConf(data) {
			if s.Proto != "tcp" && s.Proto != "udp" {
				t.Fatalf("proto %q", s.Proto)
			}
		}
	})
}

func FuzzParseUnit(f *testing.F) {
	f.Add([]byte("[Socket]\nListenStream=22\nAccept=yes\\\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range ParseUnit(data) {
			if l.Line < 1 {
				t.Fatalf("line %d", l.Line)
			}
		}
		_ = ClassifyCgroup(snapshot.CgroupPath(data))
	})
}
