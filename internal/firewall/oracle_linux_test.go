package firewall_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	seed     = flag.Uint64("oracle.seed", 20261202, "seed of the generated rulesets")
	rulesets = flag.Int("oracle.n", 320, "how many rulesets to generate")
)

// probeTimeout is how long a probe waits for a handshake or an echo; a
// probe the evaluator calls open that fails is tried again with
// retryTimeout before it counts as a mismatch, so that a loaded machine
// cannot fail the test.
const (
	probeTimeout = 80 * time.Millisecond
	retryTimeout = 2 * time.Second
)

// oracle is the test namespace pair with listeners, reused for every
// ruleset.
type oracle struct {
	env     *testenv.Env
	ifindex uint32
	// port is the next source port of a probe: each probe has its own,
	// so that none meets a conntrack entry of an earlier ruleset.
	port uint16
}

// sourcePort hands out probe source ports from 20000 up, wrapping below
// the ephemeral range.
func (o *oracle) sourcePort() uint16 {
	if o.port < 20000 || o.port >= 32000 {
		o.port = 20000
	}
	o.port++
	return o.port
}

func newOracle(t *testing.T) *oracle {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test reads nftables and opens sockets inside its namespaces with setns")
	}
	for _, tool := range []string{"nft", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run scripts/test-deps.sh", tool)
		}
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs root (the namespaces were made in a user namespace)")
	}
	env.NS.Serve(t, tcpPorts, udpPorts)
	// Static neighbours: a ruleset that drops ICMPv6 must not stop the
	// probes through neighbour discovery, which the evaluator does not
	// judge.
	mainMAC, idx := linkInfo(t, env.NS, testenv.VethMain)
	peerMAC, _ := linkInfo(t, env.Peer, testenv.VethPeer)
	for _, a := range []netip.Addr{testenv.PeerAddr4, testenv.PeerAddr6} {
		env.NS.Run(t, "ip", "neigh", "replace", a.String(), "lladdr", peerMAC, "dev", testenv.VethMain, "nud", "permanent")
	}
	for _, a := range []netip.Addr{testenv.MainAddr4, testenv.MainAddr6} {
		env.Peer.Run(t, "ip", "neigh", "replace", a.String(), "lladdr", mainMAC, "dev", testenv.VethPeer, "nud", "permanent")
	}
	return &oracle{env: env, ifindex: idx}
}

var linkLine = regexp.MustCompile(`^(\d+): .* link/ether ([0-9a-f:]{17}) `)

func linkInfo(t *testing.T, ns *testenv.NS, dev string) (string, uint32) {
	out := ns.Run(t, "ip", "-o", "link", "show", "dev", dev)
	m := linkLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ip link show %s: no index and MAC in %q", dev, out)
	}
	idx, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		t.Fatalf("ip link show %s: index %q: %v", dev, m[1], err)
	}
	return m[2], uint32(idx)
}

// load replaces the namespace's ruleset with text.
func (o *oracle) load(t *testing.T, text string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := o.env.NS.Command(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader("flush ruleset\n" + text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nft -f: %v: %s", err, stderr.String())
	}
	return nil
}

// tally counts the cases (ruleset × address × port × protocol).
type tally struct {
	cases, open, blocked, unknown, partly, retried int
	reasons                                        map[string]int
}

func (c *tally) String() string {
	pct := 0.0
	if c.cases > 0 {
		pct = 100 * float64(c.unknown+c.partly) / float64(c.cases)
	}
	return fmt.Sprintf("%d cases: %d open (all reached), %d blocked (none reached), %d unknown, %d partly (%.2f %% without an answer); %d open probes needed a retry; unknown reasons %v",
		c.cases, c.open, c.blocked, c.unknown, c.partly, pct, c.retried, c.reasons)
}

// check loads one ruleset, evaluates every listener with the ruleset read
// back over netlink, probes every listener from the peer and compares.
func (o *oracle) check(t *testing.T, name, text string, c *tally) {
	t.Helper()
	if err := o.load(t, text); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, text)
	}
	o.compare(t, name, text, o.read(t, name), c)
}

// read reads the namespace's ruleset as the collector does: nftables over
// netlink, then iptables-legacy through iptables-save run inside it.
func (o *oracle) read(t *testing.T, name string) *firewall.Ruleset {
	t.Helper()
	rs, err := nft.ReadPath(o.env.NS.NetNSPath())
	if err != nil {
		t.Fatalf("%s: read ruleset: %v", name, err)
	}
	legacy, err := iptables.ReadLegacy(context.Background(), nsRunner{o.env.NS}, fmt.Sprintf("/proc/%d/net", o.env.NS.HolderPID()))
	if err != nil {
		t.Fatalf("%s: read iptables-legacy: %v", name, err)
	}
	if legacy != nil {
		rs.Merge(legacy)
	}
	return rs
}

// nsRunner runs tools inside a test namespace.
type nsRunner struct{ ns *testenv.NS }

func (r nsRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := r.ns.Command(ctx, name, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", name, args, err)
	}
	return out, nil
}

// compare evaluates every listener with rs, probes each from the peer and
// counts the answers; a wrong one fails the test.
func (o *oracle) compare(t *testing.T, name, text string, rs *firewall.Ruleset, c *tally) {
	t.Helper()
	var targets []testenv.Target
	var results []firewall.Result
	for _, fam := range []struct {
		family      string
		daddr, peer netip.Addr
		prefix      netip.Prefix
	}{
		{firewall.FamilyIP, testenv.MainAddr4, testenv.PeerAddr4, netip.PrefixFrom(testenv.MainAddr4, 24)},
		{firewall.FamilyIP6, testenv.MainAddr6, testenv.PeerAddr6, netip.PrefixFrom(testenv.MainAddr6, 64)},
	} {
		for _, l := range []struct {
			proto string
			num   uint8
			ports []uint16
		}{{"tcp", firewall.ProtoTCP, tcpPorts}, {"udp", firewall.ProtoUDP, udpPorts}} {
			for _, port := range l.ports {
				p := firewall.Packet{Family: fam.family, Iif: testenv.VethMain, IifIndex: o.ifindex,
					IifPrefixes: []netip.Prefix{fam.prefix}, Daddr: fam.daddr, Proto: l.num, Dport: port, Saddr: fam.peer}
				res := rs.Evaluate(p)
				p.Saddr = netip.Addr{}
				anywhere := rs.Evaluate(p)
				if definite(anywhere.Verdict) && definite(res.Verdict) && anywhere.Verdict != res.Verdict {
					t.Errorf("%s: %s %s:%d: from anywhere %s, from the peer %s\n%s", name, l.proto, fam.daddr, port, anywhere.Verdict, res.Verdict, text)
				}
				targets = append(targets, testenv.Target{Proto: l.proto, Addr: netip.AddrPortFrom(fam.daddr, port), SourcePort: o.sourcePort()})
				results = append(results, res)
			}
		}
	}
	reached, err := o.env.Peer.Probe(targets, probeTimeout)
	if err != nil {
		t.Fatalf("%s: probe: %v", name, err)
	}
	var retry []int
	for i, res := range results {
		if res.Verdict == firewall.Open && !reached[i] {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		var again []testenv.Target
		for _, i := range retry {
			tg := targets[i]
			tg.SourcePort = o.sourcePort()
			again = append(again, tg)
		}
		r2, err := o.env.Peer.Probe(again, retryTimeout)
		if err != nil {
			t.Fatalf("%s: probe: %v", name, err)
		}
		for j, i := range retry {
			reached[i] = r2[j]
			c.retried++
		}
	}
	for i, res := range results {
		c.cases++
		switch res.Verdict {
		case firewall.Open:
			c.open++
			if !reached[i] {
				t.Errorf("%s: %s: openports says open (%v), the kernel did not let it through\n%s", name, targets[i], res.By, text)
			}
		case firewall.Blocked:
			c.blocked++
			if reached[i] {
				t.Errorf("%s: %s: openports says blocked by %v, the kernel let it through\n%s", name, targets[i], res.By, text)
			}
		case firewall.Partly:
			c.partly++
		default:
			c.unknown++
			for _, r := range res.Reasons {
				c.reasons[r.Detail]++
			}
		}
	}
}

// emptyLegacy4 restores the iptables-legacy tables a case may fill to
// their empty state, so that no rule outlives its case.
const emptyLegacy4 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`

// checkWithLegacy is check with iptables rules (iptables-save text)
// restored beside the nftables ruleset: legacy4 and legacy6 into
// iptables-legacy, which are emptied after, and nft6 through
// ip6tables-nft-restore into nftables tables, which the next ruleset's
// flush removes.
func (o *oracle) checkWithLegacy(t *testing.T, name, text, legacy4, legacy6, nft6 string, c *tally) {
	t.Helper()
	if legacy4 == "" && legacy6 == "" && nft6 == "" {
		o.check(t, name, text, c)
		return
	}
	if err := o.load(t, text); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, text)
	}
	restore := func(tool, data string) {
		if data == "" {
			return
		}
		cmd := o.env.NS.Command(context.Background(), tool)
		cmd.Stdin = strings.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %s: %v: %s\n%s", name, tool, err, out, data)
		}
	}
	restore("iptables-legacy-restore", legacy4)
	restore("ip6tables-legacy-restore", legacy6)
	restore("ip6tables-nft-restore", nft6)
	defer func() {
		if legacy4 != "" {
			restore("iptables-legacy-restore", emptyLegacy4)
		}
		if legacy6 != "" {
			restore("ip6tables-legacy-restore", emptyLegacy4)
		}
	}()
	o.compare(t, name, strings.Join([]string{text, legacy4, legacy6, nft6}, "\n"), o.read(t, name), c)
}

func definite(v firewall.Verdict) bool { return v == firewall.Open || v == firewall.Blocked }

// TestKernelOracle: for generated rulesets and for real ones, every
// listener openports calls blocked is unreachable from the peer namespace
// and every one it calls open is reachable; unknown answers are counted.
func TestKernelOracle(t *testing.T) {
	o := newOracle(t)
	start := time.Now()

	gen := &tally{reasons: map[string]int{}}
	g := &generator{r: rand.New(rand.NewPCG(*seed, 0))}
	for i := range *rulesets {
		text := g.ruleset()
		var legacy4, legacy6 string
		if g.r.IntN(5) == 0 {
			// iptables-legacy rules beside nftables': both filter
			// every packet.
			legacy4, legacy6 = g.legacy("ip"), g.legacy("ip6")
		}
		o.checkWithLegacy(t, fmt.Sprintf("generated ruleset %d (seed %d)", i, *seed), text, legacy4, legacy6, "", gen)
		if t.Failed() {
			t.FailNow()
		}
	}
	report := func(format string, args ...any) {
		// Printed, not only logged: the numbers are the test's result.
		fmt.Printf("TestKernelOracle: "+format+"\n", args...)
	}
	report("generated rulesets: %d, seed %d: %v", *rulesets, *seed, gen)
	if pct := 100 * float64(gen.unknown+gen.partly) / float64(gen.cases); pct >= 5 {
		t.Errorf("%.2f %% of generated cases without an answer, want under 5 %%", pct)
	}

	real := &tally{reasons: map[string]int{}}
	files, err := filepath.Glob("testdata/rulesets/*.nft")
	if err != nil || len(files) == 0 {
		t.Fatalf("no hand-written rulesets in testdata/rulesets: %v", err)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before := real.unknown + real.partly
		o.check(t, f, string(text), real)
		if n := real.unknown + real.partly - before; n > 0 {
			t.Errorf("%s: %d cases without an answer, want none", f, n)
		}
	}
	report("hand-written rulesets: %d: %v", len(files), real)

	fixed := &tally{reasons: map[string]int{}}
	for _, rc := range regressions {
		before := fixed.unknown + fixed.partly
		o.checkWithLegacy(t, "regression "+rc.name, rc.nft, rc.legacy4, rc.legacy6, rc.nft6, fixed)
		if n := fixed.unknown + fixed.partly - before; n > rc.unknown {
			t.Errorf("regression %s: %d cases without an answer, want at most %d", rc.name, n, rc.unknown)
		}
	}
	report("regression rulesets: %d: %v", len(regressions), fixed)

	// iptables-legacy: real ufw rules, restored into the namespace and
	// read back through iptables-legacy-save.
	legacy := &tally{reasons: map[string]int{}}
	if err := o.load(t, ""); err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct{ restore, file string }{
		{"iptables-legacy-restore", "iptables/testdata/ufw-debian12.iptables-save"},
		{"ip6tables-legacy-restore", "iptables/testdata/ufw-debian12.ip6tables-save"},
	} {
		data, err := os.ReadFile(set.file)
		if err != nil {
			t.Fatal(err)
		}
		cmd := o.env.NS.Command(context.Background(), set.restore)
		cmd.Stdin = bytes.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("%s: %v: %s (no iptables-legacy in this kernel?)", set.restore, err, out)
		}
	}
	o.compare(t, "ufw (iptables-legacy)", "ufw-debian12", o.read(t, "ufw"), legacy)
	if legacy.unknown+legacy.partly > 0 {
		t.Errorf("ufw: %d cases without an answer, want none", legacy.unknown+legacy.partly)
	}
	report("iptables-legacy (ufw): %v", legacy)
	report("took %v", time.Since(start).Round(time.Millisecond))
}
