package natrules

import (
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
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
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	applyText(t, ns, string(data), tool...)
}

// applyText loads rules given as text into ns, as apply does a fixture.
func applyText(t *testing.T, ns *testenv.NS, rules string, tool ...string) {
	t.Helper()
	if _, err := exec.LookPath(tool[0]); err != nil {
		t.Skipf("%s not installed (Debian packages nftables, iptables: scripts/test-deps.sh)", tool[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ns.Command(ctx, tool[0], tool[1:]...)
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ns.Mode() == testenv.ModeUserNS {
			t.Skipf("%s refused in a user namespace: %v: %s", tool[0], err, out)
		}
		t.Fatalf("%s < %q: %v\n%s", strings.Join(tool, " "), rules, err, out)
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

// A destination compared under a mask that is not a prefix (255.0.255.0,
// which iptables accepts and nft writes as "ip daddr & 255.0.255.0") is no
// prefix of any length: the kernel's own rule, read back, must give a
// mapping whose destination is unknown, never 198.0.0.0/16 (which holds
// addresses the rule does not match and misses ones it does).
func TestNonContiguousMask(t *testing.T) {
	const (
		nftRule = "table ip nat {\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n" +
			"  ip daddr & 255.0.255.0 == 198.0.100.0 tcp dport 8080 dnat to 192.0.2.2:80\n }\n}\n"
		saveRule = "*nat\n:PREROUTING ACCEPT [0:0]\n" +
			"-A PREROUTING -d 198.0.100.0/255.0.255.0 -p tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80\nCOMMIT\n"
	)
	for _, tc := range []struct {
		name  string
		rules string
		tool  []string
		read  func(*testing.T, *testenv.NS) *Ruleset
	}{
		{"nftables", nftRule, []string{"nft", "-f", "-"}, readNFT},
		{"iptables-nft", saveRule, []string{"iptables-nft-restore"}, readNFT},
		{"iptables-legacy", saveRule, []string{"iptables-legacy-restore"}, readLegacy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testenv.New(t)
			applyText(t, env.NS, tc.rules, tc.tool...)
			ms := tc.read(t, env.NS).Mappings()
			if len(ms) != 1 {
				t.Fatalf("%d mappings, want 1: %+v", len(ms), ms)
			}
			m := ms[0]
			if m.Ports != (PortRange{8080, 8080}) || m.To != netip.MustParseAddr("192.0.2.2") {
				t.Errorf("mapping %+v, want port 8080 to 192.0.2.2", m)
			}
			if m.Dst.IsValid() {
				t.Errorf("destination read as the prefix %s: the mask 255.0.255.0 is not a prefix", m.Dst)
			}
			want := "destination 198.0.100.0/255.0.255.0"
			if !slices.Contains(m.Unknown, want) {
				t.Errorf("unknown conditions %q, want %q (the mapping may apply to fewer packets)", m.Unknown, want)
			}
		})
	}
}

// TestMaskedConditions reads conditions whose value goes through a bitwise
// step before the comparison, as the kernel holds them. nft(8) folds an
// XOR and masks that follow one another into the comparison, but another
// program may load them as they are: those rules are loaded here through
// google/nftables. A masked port is many ports, not the one compared.
func TestMaskedConditions(t *testing.T) {
	const text = "table ip nat {\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n" +
		"  tcp dport & 0xff00 == 0x1f00 dnat to 192.0.2.3:80\n }\n}\n"
	env := testenv.New(t)
	applyText(t, env.NS, text, "nft", "-f", "-")
	fd, err := unix.Open(env.NS.NetNSPath(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	conn, err := nftables.New(nftables.WithNetNSFd(fd))
	if err != nil {
		t.Fatal(err)
	}
	table := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: "nat"}
	chain := &nftables.Chain{Table: table, Name: "prerouting"}
	// ip daddr & 255.255.255.0 ^ 0.0.1.0 == 198.51.100.0 tcp dport PORT
	// dnat to TO:80, with the bitwise steps given.
	dnat := func(port uint16, to netip.Addr, steps ...*expr.Bitwise) {
		exprs := []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}}
		for _, s := range steps {
			exprs = append(exprs, s)
		}
		exprs = append(exprs,
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{198, 51, 100, 0}},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, port)},
			&expr.Immediate{Register: 1, Data: to.AsSlice()},
			&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, 80)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		)
		conn.AddRule(&nftables.Rule{Table: table, Chain: chain, Exprs: exprs})
	}
	dnat(8081, netip.MustParseAddr("192.0.2.2"),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 255, 0}, Xor: []byte{0, 0, 1, 0}})
	dnat(8082, netip.MustParseAddr("192.0.2.4"),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 0, 255, 255}, Xor: []byte{0, 0, 0, 0}})
	if err := conn.Flush(); err != nil {
		if env.NS.Mode() == testenv.ModeUserNS {
			t.Skipf("nftables refused the rules in a user namespace: %v", err)
		}
		t.Fatalf("add the rules: %v", err)
	}
	byTarget := map[netip.Addr]Mapping{}
	for _, m := range readNFT(t, env.NS).Mappings() {
		byTarget[m.To] = m
	}
	for _, tc := range []struct {
		to      string
		ports   PortRange
		dst     string // "" for none read
		unknown string // "" for none
	}{
		// (daddr & 255.255.255.0) ^ 0.0.1.0 == 198.51.100.0 holds for
		// 198.51.101.0/24, not for the 198.51.100.0/24 it reads as.
		{"192.0.2.2", PortRange{8081, 8081}, "", "bitwise destination"},
		{"192.0.2.3", PortRange{}, "", "masked destination port"},
		// 255.255.0.0 then 255.0.255.255 is 255.0.0.0, a prefix.
		{"192.0.2.4", PortRange{8082, 8082}, "198.0.0.0/8", ""},
	} {
		m, ok := byTarget[netip.MustParseAddr(tc.to)]
		if !ok {
			t.Errorf("no mapping to %s; all: %+v", tc.to, byTarget)
			continue
		}
		if m.Ports != tc.ports {
			t.Errorf("to %s: ports %v, want %v", tc.to, m.Ports, tc.ports)
		}
		if got := prefixText(m.Dst); got != tc.dst {
			t.Errorf("to %s: destination %q, want %q", tc.to, got, tc.dst)
		}
		if tc.unknown == "" && len(m.Unknown) > 0 || tc.unknown != "" && !slices.Contains(m.Unknown, tc.unknown) {
			t.Errorf("to %s: unknown conditions %q, want %q", tc.to, m.Unknown, tc.unknown)
		}
	}
}

func prefixText(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

// TestUndecodedChain: a nat chain google/nftables cannot decode (a ct
// expression with a direction) hides every DNAT in it; the chain must be
// listed as undecoded so that the collector writes a published gap, not
// read as a chain that publishes nothing.
func TestUndecodedChain(t *testing.T) {
	env := testenv.New(t)
	applyText(t, env.NS, `table ip n {
	chain pre {
		type nat hook prerouting priority -100;
		tcp dport 8081 dnat to 192.0.2.3:80
		ct original ip saddr 10.0.0.0/8 tcp dport 8080 dnat to 192.0.2.2:80
	}
}
`, "nft", "-f", "-")
	rs := readNFT(t, env.NS)
	m := rs.Mappings()
	if len(m) == 2 {
		t.Skip("this google/nftables decodes the chain: nothing is hidden")
	}
	if len(rs.Undecoded) != 1 || rs.Undecoded[0].Chain != "pre" || rs.Undecoded[0].Table != "n" || rs.Undecoded[0].Err == "" {
		t.Fatalf("%d mappings and undecoded chains %v; want chain ip n pre listed as undecoded", len(m), rs.Undecoded)
	}
}
