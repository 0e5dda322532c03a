package provenance

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// openDebian opens a root holding Debian 12's real unit files, as the
// packages and systemctl left them (see testdata/MANIFEST.md).
func openDebian(t *testing.T, dir string) *Resolver {
	t.Helper()
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	r, err := New(root, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != KindSystemd {
		t.Fatalf("kind %q", r.Kind())
	}
	for _, p := range r.Problems() {
		t.Errorf("problem: %v", p)
	}
	return r
}

func TestSystemdDebian(t *testing.T) {
	r := openDebian(t, "testdata/debian-12")
	tests := []struct {
		proto, cgroup, name string
		port                uint16
		pid                 int
		want                want
	}{
		// /etc/systemd/system/multi-user.target.wants/ssh.service ->
		// /lib/systemd/system/ssh.service: an absolute link, read inside
		// the root (lib -> usr/lib there too).
		{"tcp", "/system.slice/ssh.service", "sshd", 22, 500, want{"enabled", "admin-symlink", "ssh.service", "/etc/systemd/system/multi-user.target.wants/ssh.service (ssh.service)"}},
		{"tcp", "/system.slice/prometheus-node-exporter.service", "prometheus-node-exporter", 9100, 501, want{"enabled", "admin-symlink", "prometheus-node-exporter.service", "/etc/systemd/system/multi-user.target.wants/prometheus-node-exporter.service"}},
		// Enabled by the link systemd's preset asks for.
		{"udp", "/system.slice/systemd-timesyncd.service", "systemd-timesyn", 123, 502, want{"default", "vendor-preset", "systemd-timesyncd.service", "/usr/lib/systemd/system-preset/90-systemd.preset:"}},
		// A template's instance: getty@tty1 by getty@.service's preset.
		{"tcp", "/system.slice/system-getty.slice/getty@tty1.service", "agetty", 7, 503, want{"default", "vendor-preset", "getty@tty1.service", "enable getty@.service"}},
		// Masked with systemctl mask, yet running.
		{"tcp", "/system.slice/nftables.service", "nft", 8, 504, want{"not-enabled", "masked", "nftables.service", "/etc/systemd/system/nftables.service"}},
		// systemd (PID 1) holds ssh.socket's ListenStream=22.
		{"tcp", "", "systemd", 22, 1, want{"enabled", "socket-activation", "ssh.socket", "/usr/lib/systemd/system/ssh.socket:7 ListenStream=22 (ssh.socket -> ssh.service)"}},
		// A unit of user 1000's service manager: gpg-agent.service, started
		// by gpg-agent.socket, which the admin enabled for every user
		// (systemctl --global enable).
		{"tcp", "/user.slice/user-1000.slice/user@1000.service/app.slice/gpg-agent.service", "gpg-agent", 9, 505, want{"enabled", "socket-activation", "gpg-agent.service", "/usr/lib/systemd/user/gpg-agent.socket (gpg-agent.socket)"}},
		// dbus.socket is enabled by its package (a link under /usr/lib).
		{"tcp", "/user.slice/user-1000.slice/user@1000.service/session.slice/dbus.service", "dbus-daemon", 10, 506, want{"default", "socket-activation", "dbus.service", "/usr/lib/systemd/user/dbus.socket (dbus.socket)"}},
	}
	for _, tt := range tests {
		checkProcess(t, r, tt.proto, tt.port, snapshot.Owner{PID: tt.pid, Name: tt.name, Cgroup: tt.cgroup}, tt.want)
	}
	if p := r.Resolve("tcp", 9, snapshot.Owner{PID: 505, Name: "gpg-agent", Cgroup: "/user.slice/user-1000.slice/user@1000.service/app.slice/gpg-agent.service"}); p.Init != "systemd-user" {
		t.Errorf("a user manager's unit: init %q", p.Init)
	}
	// An alias (Alias=sshd.service, linked by systemctl enable) is the
	// unit it names.
	if p := r.sd.unitVerdict("sshd.service"); p.Service != "ssh.service" || p.Verdict != snapshot.ProvenanceEnabled {
		t.Errorf("sshd.service alias: %+v", p)
	}
	// Debian's drop-in user@.service.d/10-login-barrier.conf is part of
	// user@.service.
	var fromDropIn bool
	for _, l := range r.sd.unit("user@.service").values("Unit", "After") {
		fromDropIn = fromDropIn || l.File == "/usr/lib/systemd/system/user@.service.d/10-login-barrier.conf"
	}
	if !fromDropIn {
		t.Errorf("user@.service lacks its drop-in's After=")
	}
}

// Also=: systemd-networkd.service's [Install] Also=systemd-networkd.socket
// enables the socket with the service. Without the socket's own link the
// socket is still enabled, through the service.
func TestSystemdAlso(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "testdata/debian-12/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	r := openDebian(t, dir)
	if p := r.sd.unitVerdict("systemd-networkd.socket"); p.Verdict != snapshot.ProvenanceEnabled || p.Reason != "admin-symlink" {
		t.Errorf("networkd socket with its link: %+v", p)
	}
	if err := os.Remove(filepath.Join(dir, "etc/systemd/system/sockets.target.wants/systemd-networkd.socket")); err != nil {
		t.Fatal(err)
	}
	r = openDebian(t, dir)
	p := r.sd.unitVerdict("systemd-networkd.socket")
	// The service is enabled by the link systemd's preset asks for.
	if p.Verdict != snapshot.ProvenanceDefault || p.Reason != "also" || len(p.Evidence) < 2 ||
		p.Evidence[0].String() != "/usr/lib/systemd/system/systemd-networkd.service:58 Also=systemd-networkd.socket (systemd-networkd.service)" {
		t.Errorf("networkd socket through Also=: %+v", p)
	}
}

// A unit the user enabled in their own manager (~/.config/systemd/user,
// the home from /etc/passwd) is enabled by that user, not by the admin or
// a package. The link is what "systemctl --user enable" makes.
func TestSystemdUserHome(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "testdata/debian-12/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	wants := filepath.Join(dir, "home/alice/.config/systemd/user/sockets.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/user/gpg-agent-ssh.socket", filepath.Join(wants, "gpg-agent-ssh.socket")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := openDebian(t, dir)
	cg := "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	checkProcess(t, r, "tcp", 9, snapshot.Owner{PID: 600, Name: "gpg-agent-ssh", Cgroup: cg + "gpg-agent-ssh.socket"},
		want{"enabled", "user-symlink", "gpg-agent-ssh.socket", "/home/alice/.config/systemd/user/sockets.target.wants/gpg-agent-ssh.socket"})
	// Another user's manager does not see alice's links.
	checkProcess(t, r, "tcp", 9, snapshot.Owner{PID: 601, Name: "gpg-agent-ssh", Cgroup: "/user.slice/user-0.slice/user@0.service/app.slice/gpg-agent-ssh.socket"},
		want{"not-enabled", "not-enabled", "gpg-agent-ssh.socket", "/usr/lib/systemd/user/gpg-agent-ssh.socket"})
}

// countingFS records the files opened through it.
type countingFS struct {
	*RootFS
	opened []string
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.opened = append(c.opened, name)
	return c.RootFS.Open(name)
}

// Unit files are read when a verdict needs their lines, not all of them
// at every run: a service enabled by a link is answered from the links.
func TestSystemdReadsUnitsWhenNeeded(t *testing.T) {
	root, err := OpenRoot("testdata/debian-12")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	fsys := &countingFS{RootFS: root}
	r, err := New(fsys, "linux")
	if err != nil {
		t.Fatal(err)
	}
	units := func() (n int) {
		for _, name := range fsys.opened {
			if isUnitName(path.Base(name)) || strings.HasSuffix(name, ".conf") {
				n++
			}
		}
		return n
	}
	if n := units(); n != 0 {
		t.Errorf("New read %d unit files: %v", n, fsys.opened)
	}
	checkProcess(t, r, "tcp", 22, snapshot.Owner{PID: 600, Name: "sshd", Cgroup: "/system.slice/ssh.service"},
		want{"enabled", "admin-symlink", "ssh.service", "/etc/systemd/system/multi-user.target.wants/ssh.service"})
	if n := units(); n != 0 {
		t.Errorf("the verdict of a linked service read %d unit files: %v", n, fsys.opened)
	}
	// systemd-pstore.service: Wants=modprobe@efi_pstore.service; finding
	// who wants a unit reads them all.
	checkProcess(t, r, "tcp", 8000, snapshot.Owner{PID: 1400, Name: "modprobe", Cgroup: "/system.slice/system-modprobe.slice/modprobe@efi_pstore.service"},
		want{"not-enabled", "wanted-by", "modprobe@efi_pstore.service", "/usr/lib/systemd/system/systemd-pstore.service:"})
	if units() == 0 {
		t.Error("a wanted-by verdict read no unit file")
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
}

// A unit file that cannot be read is a problem, said when the unit is
// first needed, and the next directory's file of that name is the unit,
// as when every file was read at start.
func TestSystemdUnreadableUnit(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "testdata/debian-12/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	big := filepath.Join(dir, "etc/systemd/system/systemd-pstore.service")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), maxFile/2+1), 0o644); err != nil {
		t.Fatal(err)
	}
	r := openDebian(t, dir)
	checkProcess(t, r, "tcp", 8000, snapshot.Owner{PID: 1400, Name: "modprobe", Cgroup: "/system.slice/system-modprobe.slice/modprobe@efi_pstore.service"},
		want{"not-enabled", "wanted-by", "modprobe@efi_pstore.service", "/usr/lib/systemd/system/systemd-pstore.service:"})
	p := r.Problems()
	if len(p) != 1 || !strings.Contains(p[0].Error(), "/etc/systemd/system/systemd-pstore.service: larger than") {
		t.Errorf("problems %v, want the oversized unit file", p)
	}
}
