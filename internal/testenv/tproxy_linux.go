package testenv

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TProxyListener listens on local (an IPv4 loopback address) in the test
// namespace with IP_TRANSPARENT, and loads the nft TPROXY rule and the
// policy route that hand it the connections the peer makes to
// MainAddr4:80; it fails the test unless the peer's connection gets
// through, and skips it where nft or the rule is missing. The socket is
// closed when the test ends.
func (e *Env) TProxyListener(t testing.TB, local netip.AddrPort) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed: run make test-deps")
	}
	var fd int
	err := e.NS.InNetNS(func() error {
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
	t.Cleanup(func() { unix.Close(fd) })
	cmd := e.NS.Command(context.Background(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table ip tp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "` + VethMain + `" tcp dport 80 tproxy to ` + local.Addr().String() + `:` + strconv.Itoa(int(local.Port())) + ` meta mark set 1 accept
	}
}
`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nft tproxy rule: %v: %s", err, out)
	}
	e.NS.Run(t, "ip", "rule", "add", "fwmark", "1", "lookup", "100")
	e.NS.Run(t, "ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
	target := netip.AddrPortFrom(MainAddr4, 80)
	reached, err := e.Peer.Probe([]Target{{Proto: "tcp", Addr: target}}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !reached[0] {
		t.Fatalf("the peer did not reach %s through the TPROXY rule: the test proves nothing", target)
	}
}
