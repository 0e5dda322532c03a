package testenv

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SSHDPath is where Debian's openssh-server installs sshd. sshd re-executes
// itself and so must be started by an absolute path.
const SSHDPath = "/usr/sbin/sshd"

// Daemon is a real daemon running in a namespace.
type Daemon struct {
	// PID is the daemon's process id.
	PID int
	// Local is the address it listens on.
	Local netip.AddrPort
	// Proc is the running process (its stderr holds the daemon's log).
	Proc *Proc
}

// SSHD starts Debian's sshd in the namespace, listening on addr only, with a
// throwaway ed25519 host key, in the foreground (-D) and logging to stderr
// (-e). It returns once sshd says it is listening. The test is skipped when
// sshd or ssh-keygen is not installed.
func (n *NS) SSHD(t testing.TB, addr netip.AddrPort) *Daemon {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		t.Skipf("sshd not installed: run make test-deps (%v)", err)
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skipf("ssh-keygen not installed: run make test-deps (%v)", err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "ssh_host_ed25519_key")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, keygen, "-q", "-t", "ed25519", "-N", "", "-C", "openports-test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	cfg := filepath.Join(dir, "sshd_config")
	conf := strings.Join([]string{
		"# throwaway sshd for an openports test",
		"ListenAddress " + addr.Addr().String(),
		"HostKey " + key,
		"PidFile none",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AuthorizedKeysFile none",
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatalf("write sshd config: %v", err)
	}
	p := n.Start(t, SSHDPath, "-D", "-e", "-f", cfg, "-p", strconv.Itoa(int(addr.Port())), "-h", key)
	want := fmt.Sprintf("Server listening on %s port %d.", addr.Addr(), addr.Port())
	deadline := time.Now().Add(readyTimeout)
	for !strings.Contains(p.Stderr(), want) {
		select {
		case <-p.Done():
			t.Fatalf("sshd exited (%v) before listening; its log:\n%s", p.Wait(), p.Stderr())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd not listening after %v; its log:\n%s", readyTimeout, p.Stderr())
		}
	}
	return &Daemon{PID: p.PID, Local: addr, Proc: p}
}
