package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

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
	var fd int
	err = env.NS.InNetNS(func() error {
		var err error
		if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_TRANSPARENT, 1); err != nil {
			return fmt.Errorf("IP_TRANSPARENT: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: local.Addr().As4(), Port: int(local.Port())}); err != nil {
			return err
		}
		return unix.Listen(fd, 4)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cmd := env.NS.Command(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table ip tp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "` + testenv.VethMain + `" tcp dport 80 tproxy to 127.0.0.1:7308 meta mark set 1 accept
	}
}
`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nft tproxy rule: %v: %s", err, out)
	}
	env.NS.Run(t, "ip", "rule", "add", "fwmark", "1", "lookup", "100")
	env.NS.Run(t, "ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
	target := netip.AddrPortFrom(testenv.MainAddr4, 80)
	reached, err := env.Peer.Probe([]testenv.Target{{Proto: "tcp", Addr: target}}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !reached[0] {
		t.Fatalf("the peer did not reach %s through the TPROXY rule: the test proves nothing", target)
	}
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
