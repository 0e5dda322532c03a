package provenance

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openports/openports/internal/snapshot"
)

type want struct {
	verdict, reason, service, evidence string // evidence: substring of the first evidence
}

func check(t *testing.T, r *Resolver, proto string, port uint16, pid int, name string, w want) {
	t.Helper()
	checkProcess(t, r, proto, port, snapshot.Owner{PID: pid, Name: name}, w)
}

// checkProcess resolves p holding proto/port and compares the verdict,
// reason, service and the first evidence.
func checkProcess(t *testing.T, r *Resolver, proto string, port uint16, p snapshot.Owner, w want) {
	t.Helper()
	got := r.Resolve(snapshot.Proto(proto), port, p)
	if got == nil {
		t.Fatalf("%s/%d %s: no provenance", proto, port, p.Name)
	}
	first := ""
	if len(got.Evidence) > 0 {
		first = got.Evidence[0].String()
	}
	if got.Verdict != w.verdict || got.Reason != w.reason || got.Service != w.service || !strings.Contains(first, w.evidence) {
		t.Errorf("%s/%d %s (%d, cgroup %q): got %s/%s service %q evidence %q, want %s/%s service %q evidence containing %q",
			proto, port, p.Name, p.PID, p.Cgroup, got.Verdict, got.Reason, got.Service, first, w.verdict, w.reason, w.service, w.evidence)
	}
}

// The seed's host on NetBSD 5.2's own files: rc.conf enables sshd,
// named9 (pkgsrc BIND 9) and ntpd; Postfix runs because the defaults say
// postfix=${_rc_d_postfix:-YES}.
func TestNetBSDSeed(t *testing.T) {
	r, err := New(os.DirFS("testdata/netbsd"), "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindRCD {
		t.Fatalf("kind %q, want rc.d", r.Kind())
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems on the stock files: %v", p)
	}
	tests := []struct {
		proto string
		port  uint16
		name  string
		want  want
	}{
		{"tcp", 22, "sshd", want{"enabled", "rc.conf", "sshd", "/etc/rc.conf:22 sshd=yes"}},
		{"tcp", 53, "named", want{"enabled", "rc.conf", "named9", "/etc/rc.conf:22 named9=yes"}},
		{"udp", 123, "ntpd", want{"enabled", "rc.conf", "ntpd", "/etc/rc.conf:22 ntpd=yes"}},
		{"tcp", 25, "master", want{"default", "defaults", "postfix", "/etc/defaults/rc.conf:208 postfix=${_rc_d_postfix:-YES}"}},
		{"udp", 514, "syslogd", want{"default", "defaults", "syslogd", "/etc/defaults/rc.conf:196 syslogd=YES"}},
		{"udp", 111, "rpcbind", want{"not-enabled", "defaults-disabled", "rpcbind", "/etc/defaults/rc.conf:192 rpcbind=NO"}},
		{"udp", 1020, "mountd", want{"not-enabled", "defaults-disabled", "mountd", "/etc/defaults/rc.conf:263 mountd=NO"}},
		{"tcp", 2049, "nfsd", want{"not-enabled", "defaults-disabled", "nfsd", "/etc/defaults/rc.conf:265 nfs_server=NO"}},
		{"udp", 67, "dhcpd", want{"not-enabled", "defaults-disabled", "dhcpd", "/etc/defaults/rc.conf:242 dhcpd=NO"}},
		// inetd runs by default; telnet's line is commented out in the
		// stock inetd.conf.
		{"tcp", 9999, "inetd", want{"default", "defaults", "inetd", "/etc/defaults/rc.conf:184 inetd=YES"}},
		{"tcp", 23, "inetd", want{"not-enabled", "inetd-commented", "telnet", "/etc/inetd.conf:11 #telnet stream tcp nowait root"}},
		{"tcp", 22273, "jserver", want{"not-enabled", "no-script", "", "/etc/rc.d"}},
		// smtpd alone: no script; in a row with master it takes master's
		// verdict (internal/analysis).
		{"tcp", 25, "smtpd", want{"not-enabled", "no-script", "", "/etc/rc.d"}},
	}
	for _, tt := range tests {
		check(t, r, tt.proto, tt.port, 100, tt.name, tt.want)
	}
}

// NetBSD 9.1's defaults have rc_silent=$( ... ) over two lines and the
// same postfix default; the rc.conf is a real NetBSD 9 host's.
func TestNetBSD9(t *testing.T) {
	r, err := New(os.DirFS("testdata/netbsd-9"), "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems on the stock files: %v", p)
	}
	check(t, r, "tcp", 25, 1, "master", want{"default", "defaults", "postfix", "/etc/defaults/rc.conf:242 postfix=${_rc_d_postfix:-YES}"})
	check(t, r, "tcp", 22, 1, "sshd", want{"enabled", "rc.conf", "sshd", "/etc/rc.conf:24 sshd=YES"})
	check(t, r, "tcp", 5432, 1, "postgres", want{"enabled", "rc.conf", "pgsql", "/etc/rc.conf:33 pgsql=YES"})
	if v := r.bsd.env.get("rc_silent"); v == nil || v.Unknown != unknownCommand || v.Line != 36 {
		t.Errorf("rc_silent: %+v, want unknown (command substitution) from line 36", v)
	}
}

// FreeBSD 10.2-RELEASE as installed: bsdinstall's rc.conf over the
// release's /etc/defaults/rc.conf.
func TestFreeBSD(t *testing.T) {
	r, err := New(os.DirFS("testdata/freebsd"), "freebsd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindRCD {
		t.Fatalf("kind %q", r.Kind())
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems on the stock files: %v", p)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"enabled", "rc.conf", "sshd", `/etc/rc.conf:4 sshd_enable="YES"`})
	check(t, r, "udp", 123, 1, "ntpd", want{"enabled", "rc.conf", "ntpd", `/etc/rc.conf:5 ntpd_enable="YES"`})
	check(t, r, "tcp", 25, 1, "sendmail", want{"default", "defaults", "sendmail", `/etc/defaults/rc.conf:576 sendmail_submit_enable="YES"`})
	check(t, r, "udp", 514, 1, "syslogd", want{"default", "defaults", "syslogd", `/etc/defaults/rc.conf:256 syslogd_enable="YES"`})
	check(t, r, "tcp", 111, 1, "rpcbind", want{"not-enabled", "defaults-disabled", "rpcbind", `/etc/defaults/rc.conf:342 rpcbind_enable="NO"`})
	check(t, r, "tcp", 80, 1, "httpd", want{"not-enabled", "no-script", "", "/etc/rc.d"})
}

// rc.conf.d/<script> overrides rc.conf for that script only;
// rc.conf.local (as sysrc -f writes it) comes after rc.conf.
func TestFreeBSDConfD(t *testing.T) {
	fsys := copyTree(t, "testdata/freebsd")
	fsys["etc/rc.conf.d/ntpd"] = &fstest.MapFile{Data: []byte("ntpd_enable=\"NO\"\n")}
	fsys["etc/rc.conf.local"] = &fstest.MapFile{Data: []byte("sendmail_submit_enable=\"NO\"\n")}
	fsys["usr/local/etc/rc.conf.d/syslogd/10-off"] = &fstest.MapFile{Data: []byte("syslogd_enable=NO\n")}
	r, err := New(fsys, "freebsd")
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, "udp", 123, 1, "ntpd", want{"not-enabled", "disabled", "ntpd", `/etc/rc.conf.d/ntpd:1 ntpd_enable="NO"`})
	check(t, r, "tcp", 22, 1, "sshd", want{"enabled", "rc.conf", "sshd", `/etc/rc.conf:4 sshd_enable="YES"`})
	check(t, r, "udp", 514, 1, "syslogd", want{"not-enabled", "disabled", "syslogd", "/usr/local/etc/rc.conf.d/syslogd/10-off:1 syslogd_enable=NO"})
	check(t, r, "tcp", 25, 1, "sendmail", want{"default", "defaults", "sendmail", `/etc/defaults/rc.conf:581 sendmail_msp_queue_enable="YES"`})
}

// copyTree loads a fixture tree into a MapFS to change it in a test.
func copyTree(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(dir + "/" + p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// OpenBSD 5.2's shell rc.conf, which sources a real rc.conf.local.
func TestOpenBSD(t *testing.T) {
	r, err := New(os.DirFS("testdata/openbsd"), "openbsd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindOpenBSD {
		t.Fatalf("kind %q", r.Kind())
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems on the stock files: %v", p)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"default", "defaults", "sshd", `/etc/rc.conf:27 sshd_flags=""`})
	check(t, r, "udp", 123, 1, "ntpd", want{"enabled", "rc.conf", "ntpd", `/etc/rc.conf.local:1 ntpd_flags="-s"`})
	check(t, r, "tcp", 80, 1, "httpd", want{"enabled", "rc.conf", "httpd", `/etc/rc.conf.local:2 httpd_flags="-u -DSSL"`})
	check(t, r, "tcp", 25, 1, "smtpd", want{"not-enabled", "defaults-disabled", "smtpd", "/etc/rc.conf:56 smtpd_flags=NO"})
	// inetd_flags is unset, then set from $( ... ): unknown, never guessed.
	check(t, r, "tcp", 113, 1, "inetd", want{"unknown", "shell-code", "inetd", "/etc/rc.conf:155 : ${inetd_flags=$("})
	check(t, r, "tcp", 8080, 1, "httpd2", want{"not-enabled", "unset", "httpd2", "httpd2_flags"})
}

// Since OpenBSD 5.7 rc.subr reads rc.conf and rc.conf.local line by line
// (_rc_parse_conf): the defaults of OpenBSD 6.7 (rc.conf 1.220) with a
// real rcctl-written rc.conf.local of OpenBSD 7, and the postgresql
// package's real rc.d script.
func TestOpenBSDParsedConf(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/openbsd-7/etc/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	local := read("rc.conf.local")
	fsys := fstest.MapFS{
		"etc/rc.conf":       {Data: read("rc.conf")},
		"etc/rc.conf.local": {Data: local},
	}
	r, err := New(fsys, "openbsd")
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"not-enabled", "disabled", "sshd", "/etc/rc.conf.local:10 sshd_flags=NO"})
	check(t, r, "tcp", 25, 1, "smtpd", want{"not-enabled", "disabled", "smtpd", "/etc/rc.conf.local:8 smtpd_flags=NO"})
	check(t, r, "tcp", 1, 1, "sndiod", want{"enabled", "rc.conf", "sndiod", "/etc/rc.conf.local:9 sndiod_flags=-f rsnd/0 -f rsnd/1"})
	if v := r.openbsd.env.get("sndiod_flags"); v == nil || v.Value != "-f rsnd/0 -f rsnd/1" {
		t.Errorf("sndiod_flags %+v", v)
	}
	// Left to the defaults, which do not run httpd or unbound.
	check(t, r, "tcp", 80, 1, "httpd", want{"not-enabled", "defaults-disabled", "httpd", "/etc/rc.conf:30 httpd_flags=NO"})
	check(t, r, "udp", 53, 1, "unbound", want{"not-enabled", "defaults-disabled", "unbound", "/etc/rc.conf:72 unbound_flags=NO"})
	// pkg_scripts names package rc.d scripts, whose daemon= is the
	// process. The line is what `rcctl enable postgresql` adds.
	fsys["etc/rc.conf.local"] = &fstest.MapFile{Data: append(local, []byte("pkg_scripts=postgresql\n")...)}
	fsys["etc/rc.d/postgresql"] = &fstest.MapFile{Data: read("rc.d/postgresql")}
	if r, err = New(fsys, "openbsd"); err != nil {
		t.Fatal(err)
	}
	check(t, r, "tcp", 5432, 1, "pg_ctl", want{"enabled", "rc.conf", "postgresql", "/etc/rc.conf.local:13 pkg_scripts=postgresql"})
}

// The other origins a cgroup tells, on Debian 12's real units; the
// cgroup paths are what the snapshot records for such processes.
func TestSystemdCgroups(t *testing.T) {
	r := openDebian(t, "testdata/debian-12")
	tests := []struct {
		cgroup, name string
		pid          int
		want         want
	}{
		{"/user.slice/user-1000.slice/session-3.scope", "python3", 800, want{"not-enabled", "session", "session-3.scope", "/user.slice/user-1000.slice/session-3.scope (session-3.scope)"}},
		{"/system.slice/cron.service", "nc", 900, want{"not-enabled", "cron", "cron.service", "(cron.service)"}},
		{"/system.slice/docker-4f2a9c1e0b7d.scope", "nginx", 1000, want{"not-enabled", "container", "docker-4f2a9c1e0b7d.scope", "docker-4f2a9c1e0b7d.scope"}},
		{"/system.slice/run-r0123456789abcdef.scope", "sleep", 1300, want{"not-enabled", "transient", "run-r0123456789abcdef.scope", "run-r0123456789abcdef.scope"}},
		// systemd-pstore.service: Wants=modprobe@efi_pstore.service.
		{"/system.slice/system-modprobe.slice/modprobe@efi_pstore.service", "modprobe", 1400, want{"not-enabled", "wanted-by", "modprobe@efi_pstore.service", "/usr/lib/systemd/system/systemd-pstore.service:"}},
		// No cgroup in the snapshot and no /proc in the root: unknown.
		{"", "gone", 4242, want{"unknown", "no-cgroup", "", "/proc/4242/cgroup"}},
	}
	for _, tt := range tests {
		checkProcess(t, r, "tcp", 8000, snapshot.Owner{PID: tt.pid, Name: tt.name, Cgroup: tt.cgroup}, tt.want)
	}
	if got := r.Resolve("tcp", 4444, snapshot.Owner{PID: 1, Name: "systemd"}); got.Reason != "no-unit" {
		t.Errorf("PID 1 on a port no socket unit lists: %+v", got)
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
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n", "user-service", "foo.service", ""},
		{"0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", "session", "user@1000.service", ""},
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

// TestEvalShell: what the evaluator computes for each construct rc.conf
// files use, and what it leaves unknown.
func TestEvalShell(t *testing.T) {
	in := `# comment
a=YES
b="quoted value"   # trailing comment
c='single $a' d=two; e=three
export f=yes
g="${a}" h=$a
i=${unset:-dflt} j=${a:-dflt} k=${empty-dflt}
empty=
l=${empty:-dflt} m=${empty-dflt}
: ${n:=assigned} ${a:=not-this}
o=$(echo YES) p=` + "`hostname`" + `
q="multi
line"
if [ -r /present ]; then
	r=in-true-branch
else
	r=in-false-branch
fi
if [ -r /absent ]; then s=no; fi
if [ "$(uname)" = NetBSD ]; then
	u=maybe
fi
[ -f /present ] && v=after-and
if [ -r /present ]; then aa=first; elif [ -r /present ]; then aa=second; else aa=third; fi
if [ -r /absent ]; then bb=first; elif [ -r /present ]; then bb=second; else bb=third; fi
if [ -r /absent ]; then cc=first; elif [ -r /absent ]; then cc=second; else cc=third; fi
fn() {
	w=not-run
}
x=${o} y=${b%value}
unset d
VAR=tmp command arg
z=1 # done
`
	e := newShellEnv(fstest.MapFS{"present": {Data: []byte("x")}})
	e.eval(in, "/etc/rc.conf", false)
	tests := []struct{ name, value, unknown string }{
		{"a", "YES", ""}, {"b", "quoted value", ""}, {"c", "single $a", ""}, {"e", "three", ""},
		{"f", "yes", ""}, {"g", "YES", ""}, {"h", "YES", ""},
		{"i", "dflt", ""}, {"j", "YES", ""}, {"k", "dflt", ""},
		{"l", "dflt", ""}, {"m", "", ""}, {"n", "assigned", ""},
		{"o", "", unknownCommand}, {"p", "", unknownCommand}, {"q", "multi\nline", ""},
		{"r", "in-true-branch", ""}, {"u", "maybe", unknownConditional}, {"v", "after-and", ""},
		{"x", "", unknownCommand}, {"y", "", unknownExpansion}, {"z", "1", ""},
		{"aa", "first", ""}, {"bb", "second", ""}, {"cc", "third", ""},
	}
	for _, tt := range tests {
		v := e.get(tt.name)
		if v == nil {
			t.Errorf("%s: unset", tt.name)
			continue
		}
		if v.Value != tt.value || v.Unknown != tt.unknown {
			t.Errorf("%s = %q (unknown %q), want %q (unknown %q)", tt.name, v.Value, v.Unknown, tt.value, tt.unknown)
		}
	}
	for _, n := range []string{"d", "s", "w", "VAR", "empty2"} {
		if v := e.get(n); v != nil {
			t.Errorf("%s is set: %+v", n, v)
		}
	}
	if b := e.get("b"); b.Line != 3 || b.Text != `b="quoted value"` {
		t.Errorf("b at %d %q", b.Line, b.Text)
	}
	if z := e.get("z"); z.Line != 33 {
		t.Errorf("z at line %d, want 33", z.Line)
	}
	if len(e.problems) != 0 {
		t.Errorf("problems: %v", e.problems)
	}
	e = newShellEnv(fstest.MapFS{})
	e.eval("a=\"open\n", "/f", false)
	if len(e.problems) != 1 || e.problems[0].Error() != "/f:1: the file ends inside a quote or substitution" {
		t.Errorf("unterminated: %v", e.problems)
	}
}

// A service variable set by shell code is unknown, with its line; the
// shell code itself is no warning.
func TestUnknownValue(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/defaults/rc.conf": {Data: []byte("sshd=NO\n")},
		"etc/rc.conf":          {Data: []byte(". /etc/defaults/rc.conf\nsshd=$(echo YES)\nntpd=${want_ntpd}\nif [ \"$x\" ]; then named=YES; fi\n")},
	}
	r, err := New(fsys, "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"unknown", "shell-code", "sshd", "/etc/rc.conf:2 sshd=$(echo YES)"})
	// An empty value is no YES: checkyesno warns and returns false.
	check(t, r, "udp", 123, 1, "ntpd", want{"not-enabled", "unreadable", "ntpd", "/etc/rc.conf:3 ntpd=${want_ntpd}"})
	check(t, r, "udp", 53, 1, "named", want{"unknown", "conditional", "named", "/etc/rc.conf:4 named=YES"})
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestRootFSClose: the directories a RootFS keeps open are closed with it.
func TestRootFSClose(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a/b", "c", "d/e/f"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "x"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd: %v", err)
		}
		return len(ents)
	}
	before := fds()
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a/b", "c", "d/e/f", "a/b"} {
		data, err := fs.ReadFile(root, d+"/x")
		if err != nil || string(data) != d {
			t.Errorf("%s/x: %q, %v", d, data, err)
		}
	}
	if open := fds() - before; open < 2 {
		t.Errorf("%d descriptors open while reading: the directories are not kept", open)
	}
	if err := root.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fds(); after != before {
		t.Errorf("%d descriptors open after Close, %d before", after, before)
	}
}

// --root never leaves the root: an absolute symlink means the observed
// host's path, read inside the root; ".." stops at the root.
func TestRootFSSymlinkEscape(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	if err := os.WriteFile(secret, []byte("root:SECRET:1::::::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc/defaults"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/defaults/rc.conf"), []byte("sshd=NO\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "etc/inside"), []byte("sshd=YES\n"), 0o644))
	must(os.Symlink(secret, filepath.Join(dir, "etc/rc.conf")))                            // absolute, outside
	must(os.Symlink("../../../../../../"+secret, filepath.Join(dir, "etc/rc.conf.local"))) // relative, climbing out
	must(os.Symlink("/etc/inside", filepath.Join(dir, "etc/alias")))                       // absolute, inside
	// Directories too: RootFS keeps the directories it resolved open,
	// and a symlinked directory must not become a way out.
	must(os.Symlink(outside, filepath.Join(dir, "etc/outdir")))                     // absolute, outside
	must(os.Symlink("../../../../../../"+outside, filepath.Join(dir, "etc/updir"))) // relative, climbing out
	must(os.Symlink("/etc/defaults", filepath.Join(dir, "etc/indir")))              // absolute, inside
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"etc/rc.conf", "etc/rc.conf.local"} {
		data, err := fs.ReadFile(root, name)
		if err == nil || strings.Contains(string(data), "SECRET") {
			t.Errorf("%s read %q (err %v): the symlink left the root", name, data, err)
		}
	}
	data, err := fs.ReadFile(root, "etc/alias")
	if err != nil || string(data) != "sshd=YES\n" {
		t.Errorf("etc/alias -> /etc/inside: %q, %v", data, err)
	}
	for round := range 2 { // the second through the directories kept open
		for _, name := range []string{"etc/outdir/shadow", "etc/updir/shadow"} {
			data, err := fs.ReadFile(root, name)
			if err == nil || strings.Contains(string(data), "SECRET") {
				t.Errorf("round %d: %s read %q (err %v): the symlink left the root", round, name, data, err)
			}
		}
		data, err := fs.ReadFile(root, "etc/indir/rc.conf")
		if err != nil || string(data) != "sshd=NO\n" {
			t.Errorf("round %d: etc/indir -> /etc/defaults: %q, %v", round, data, err)
		}
	}
	r, err := New(root, "netbsd")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems() {
		if strings.Contains(p.Error(), "SECRET") {
			t.Errorf("problem shows the outside file: %v", p)
		}
	}
	check(t, r, "tcp", 22, 1, "sshd", want{"not-enabled", "defaults-disabled", "sshd", "/etc/defaults/rc.conf:1 sshd=NO"})
}

func TestNoConfig(t *testing.T) {
	r, err := New(fstest.MapFS{"proc/1/comm": {Data: []byte("process_api\n")}}, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindNone || r.Resolve("", 0, snapshot.Owner{PID: 1}) != nil {
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
	got := r.Resolve("tcp", 1, snapshot.Owner{PID: os.Getpid(), Name: "provenance.test"})
	if got == nil || got.Verdict == "" || len(got.Evidence) == 0 {
		t.Fatalf("own process: %+v", got)
	}
	t.Logf("this test process: %+v", *got)
}

// FuzzEvalShell runs the rc.conf evaluator on any input: it never panics,
// every variable has a valid name and a line inside the file.
func FuzzEvalShell(f *testing.F) {
	for _, p := range []string{"testdata/netbsd/etc/defaults/rc.conf", "testdata/freebsd/etc/defaults/rc.conf", "testdata/openbsd/etc/rc.conf", "testdata/netbsd-9/etc/defaults/rc.conf"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"a=YES\n", "a=\"b\nc\"\n", "f() {\n}\n", "x='", "export a=1 b=2; c=3 # d\n", "a=\\\n",
		"a=${b:-${c=$(x)}}\n", ": ${a:=`b`}\n", "if [ -r /x ]; then . /x; fi\n", "cat <<EOF\na=1\nEOF\n", "$((1+2))\n", "${\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newShellEnv(fstest.MapFS{"x": {Data: data}})
		e.eval(string(data), "/f", false)
		lines := strings.Count(string(data), "\n") + 1
		for n, v := range e.vars {
			if !isName(n) || v.Name != n || v.Line < 1 || v.Line > lines {
				t.Fatalf("bad variable %q: %+v (file of %d lines)", n, v, lines)
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
