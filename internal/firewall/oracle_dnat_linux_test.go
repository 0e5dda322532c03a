package firewall_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/testenv"
)

// The published-port topology: the test namespace is the Docker host, its
// veth to the peer namespace plays Docker's bridge "bridge1" with the
// "container" 192.0.2.2 listening on port 80 behind it, and a client
// namespace on a second veth (198.51.100.0/24) connects to the host's
// published port 8080.
var (
	dnatHost   = testenv.ClientHostAddr4.Addr()
	dnatClient = testenv.ClientAddr4.Addr()
	dnatTarget = netip.MustParseAddrPort("192.0.2.2:80")
)

// TestKernelOracleDNAT: for Docker-shaped rulesets (iptables through
// iptables-nft and iptables-legacy, and Docker's native nftables backend),
// with and without a DOCKER-USER drop, openports' verdict for the
// published port — DNAT in prerouting, then the forward chains — agrees
// with a real connection from the client through the published port.
func TestKernelOracleDNAT(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test loads rules and opens sockets inside its namespaces with setns")
	}
	for _, tool := range []string{"nft", "ip", "iptables-nft-restore", "iptables-legacy-restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run scripts/test-deps.sh", tool)
		}
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs root (the namespaces were made in a user namespace)")
	}
	client := env.BridgeHost(t)
	env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: dnatTarget})
	_, bridgeIdx := linkInfo(t, env.NS, "bridge1")
	_, clientIdx := linkInfo(t, env.NS, "op-cli0")
	o := &oracle{env: env}

	packet := firewall.Packet{Family: firewall.FamilyIP, Iif: "op-cli0", IifIndex: clientIdx,
		IifPrefixes: []netip.Prefix{netip.PrefixFrom(dnatHost, 24)}, Daddr: dnatHost, Proto: firewall.ProtoTCP, Dport: 8080,
		Saddr: dnatClient, Local: []netip.Addr{dnatHost, testenv.MainAddr4},
		Routes: []firewall.Route{
			{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Iface: "bridge1", Index: bridgeIdx},
			{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Iface: "op-cli0", Index: clientIdx},
		}}

	iptablesRules, err := os.ReadFile("testdata/docker-forward.rules")
	if err != nil {
		t.Fatal(err)
	}
	nftRules, err := os.ReadFile("../source/linux/natrules/testdata/docker-nftables.nft")
	if err != nil {
		t.Fatal(err)
	}
	withUser := func(user string) string {
		return strings.Replace(string(iptablesRules), "@USER@\n", user, 1)
	}
	// A user's own table in front of Docker's forward chains: what the
	// DOCKER-USER chain is for on the iptables backend.
	nftUser := func(rule string) string {
		return string(nftRules) + "table ip user {\n\tchain forward {\n\t\ttype filter hook forward priority -1; policy accept;\n\t\t" + rule + "\n\t}\n}\n"
	}
	cases := []struct {
		name, loader, rules string
		want                firewall.Verdict
	}{
		// Docker's rules as written: the published port is open to
		// every client, whatever INPUT says.
		{"iptables-nft", "iptables-nft-restore", withUser(""), firewall.Open},
		// The DOCKER-USER drop Docker's documentation suggests for an
		// external interface.
		{"iptables-nft DOCKER-USER drop -i", "iptables-nft-restore", withUser("-A DOCKER-USER -i op-cli0 -j DROP\n"), firewall.Blocked},
		// FORWARD sees the rewritten port: a drop of the container port
		// blocks, one of the published port does not.
		{"iptables-nft DOCKER-USER drop container port", "iptables-nft-restore", withUser("-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP\n"), firewall.Blocked},
		{"iptables-nft DOCKER-USER drop published port", "iptables-nft-restore", withUser("-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP\n"), firewall.Open},
		{"nftables", "nft", nftUser(""), firewall.Open},
		{"nftables user drop", "nft", nftUser("iifname \"op-cli0\" tcp dport 80 drop"), firewall.Blocked},
		{"iptables-legacy", "iptables-legacy-restore", withUser(""), firewall.Open},
		{"iptables-legacy DOCKER-USER drop -i", "iptables-legacy-restore", withUser("-A DOCKER-USER -i op-cli0 -j DROP\n"), firewall.Blocked},
		{"iptables-legacy DOCKER-USER drop published port", "iptables-legacy-restore", withUser("-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP\n"), firewall.Open},
	}
	for _, tc := range cases {
		// Each case starts from an empty filter: nftables flushed (and
		// with it iptables-nft's tables); a legacy restore replaces
		// the tables it names.
		if err := o.load(t, ""); err != nil {
			t.Fatal(err)
		}
		args := []string{}
		if tc.loader == "nft" {
			args = []string{"-f", "-"}
		}
		cmd := env.NS.Command(context.Background(), tc.loader, args...)
		cmd.Stdin = strings.NewReader(tc.rules)
		if out, err := cmd.CombinedOutput(); err != nil {
			if tc.loader == "iptables-legacy-restore" {
				t.Logf("%s: %v: %s (no iptables-legacy in this kernel?)", tc.name, err, out)
				continue
			}
			t.Fatalf("%s: %s: %v\n%s", tc.name, tc.loader, err, out)
		}
		res := o.read(t, tc.name).Evaluate(packet)
		probe := func(timeout time.Duration) bool {
			reached, err := client.Probe([]testenv.Target{{Proto: "tcp", Addr: netip.AddrPortFrom(dnatHost, 8080), SourcePort: o.sourcePort()}}, timeout)
			if err != nil {
				t.Fatalf("%s: probe: %v", tc.name, err)
			}
			return reached[0]
		}
		reached := []bool{probe(probeTimeout)}
		if res.Verdict == firewall.Open && !reached[0] {
			reached[0] = probe(retryTimeout) // a loaded machine is slow, not a mismatch
		}
		explain := fmt.Sprintf("%s (dnat %q, by %v, reasons %v)", res.Verdict, res.DNAT, res.By, res.Reasons)
		switch {
		case res.Verdict != tc.want:
			t.Errorf("%s: openports says %s, want %s (the kernel reached it: %v)", tc.name, explain, tc.want, reached[0])
		case res.DNAT != dnatTarget.String():
			t.Errorf("%s: %s, want the probe sent to %s", tc.name, explain, dnatTarget)
		case res.Verdict == firewall.Open && !reached[0]:
			t.Errorf("%s: openports says %s, the kernel did not let it through", tc.name, explain)
		case res.Verdict == firewall.Blocked && reached[0]:
			t.Errorf("%s: openports says %s, the kernel let it through", tc.name, explain)
		}
		// Clear the legacy tables for the next case.
		if tc.loader == "iptables-legacy-restore" {
			empty := "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
			cmd := env.NS.Command(context.Background(), "iptables-legacy-restore")
			cmd.Stdin = bytes.NewReader([]byte(empty))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("clear iptables-legacy: %v: %s", err, out)
			}
		}
	}
}
