package natrules

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// apply loads a fixture into ns with tool (nft -f -, iptables-nft-restore,
// iptables-legacy-restore) reading it on stdin, or skips when the tool is
// missing or this kernel refuses it.
func apply(t *testing.T, ns *testenv.NS, fixture string, tool ...string) {
	t.Helper()
	if _, err := exec.LookPath(tool[0]); err != nil {
		t.Skipf("%s not installed (Debian packages nftables, iptables: scripts/test-deps.sh)", tool[0])
	}
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ns.Command(ctx, tool[0], tool[1:]...)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ns.Mode() == testenv.ModeUserNS {
			t.Skipf("%s refused in a user namespace: %v: %s", tool[0], err, out)
		}
		t.Fatalf("%s < %s: %v\n%s", strings.Join(tool, " "), fixture, err, out)
	}
}

// readNFT reads the nftables NAT rules of ns over netlink.
func readNFT(t *testing.T, ns *testenv.NS) *Ruleset {
	t.Helper()
	fd, err := unix.Open(ns.NetNSPath(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fw, err := nft.Read(fd)
	if err != nil {
		t.Fatalf("nft.Read: %v", err)
	}
	rss := Rulesets(fw)
	if len(rss) != 1 {
		t.Fatalf("%d NAT rulesets, want 1", len(rss))
	}
	return rss[0]
}

// readLegacy reads the iptables-legacy tables of ns as the collector does
// (one iptables-legacy-save of every table).
func readLegacy(t *testing.T, ns *testenv.NS) *Ruleset {
	t.Helper()
	return parseSave(t, []byte(ns.Run(t, "iptables-legacy-save")), "ip")
}

// TestEngineRules loads the rules each engine writes into a private
// namespace, reads them back from the kernel, and compares the published
// ports found with golden files.
func TestEngineRules(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		tool    []string
		read    func(*testing.T, *testenv.NS) *Ruleset
	}{
		{"docker-iptables-nft", "docker-iptables.rules", []string{"iptables-nft-restore"}, readNFT},
		{"docker-iptables-legacy", "docker-iptables.rules", []string{"iptables-legacy-restore"}, readLegacy},
		{"docker-nftables", "docker-nftables.nft", []string{"nft", "-f", "-"}, readNFT},
		{"podman-netavark", "podman-netavark.nft", []string{"nft", "-f", "-"}, readNFT},
		{"kube-proxy-iptables-nft", "kube-proxy.rules", []string{"iptables-nft-restore"}, readNFT},
		{"kube-proxy-iptables-legacy", "kube-proxy.rules", []string{"iptables-legacy-restore"}, readLegacy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := testenv.New(t)
			apply(t, env.NS, tc.fixture, tc.tool...)
			rs := tc.read(t, env.NS)
			golden.CheckJSON(t, filepath.Join("testdata", tc.name+".golden.json"), rs.Mappings())
		})
	}
}

// TestDockerRuleIsReal proves the Docker fixtures are rules that work: a
// client in a third namespace reaches the "container" listener through
// the published port of the host namespace, where nothing listens.
func TestDockerRuleIsReal(t *testing.T) {
	for _, tc := range []struct {
		name, fixture string
		tool          []string
	}{
		{"iptables-nft", "docker-iptables.rules", []string{"iptables-nft-restore"}},
		{"iptables-legacy", "docker-iptables.rules", []string{"iptables-legacy-restore"}},
		{"nftables", "docker-nftables.nft", []string{"nft", "-f", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testenv.New(t)
			// The fixtures name Docker's bridge "bridge1"; the test
			// namespace's end of the veth pair plays it.
			client := env.BridgeHost(t)
			env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("192.0.2.2:80")})

			connect := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return client.Command(ctx, "bash", "-c", "exec 3<>/dev/tcp/198.51.100.1/8080").Run()
			}
			if err := connect(); err == nil {
				t.Fatal("198.51.100.1:8080 answers before any rule is loaded: the test proves nothing")
			}
			apply(t, env.NS, tc.fixture, tc.tool...)
			if err := connect(); err != nil {
				t.Fatalf("connect through the published port 198.51.100.1:8080: %v", err)
			}
		})
	}
}
