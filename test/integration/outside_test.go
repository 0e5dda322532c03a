//go:build linux

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// outsideRuleset lets ssh in, postgres from the peer's network only, DNS,
// and redirects 8080 to ssh: a port open from outside with nothing
// listening on it, published by the redirect.
const outsideRuleset = `flush ruleset
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iif lo accept
    tcp dport 22 accept
    iifname "veth-op0" ip saddr 192.0.2.0/24 tcp dport 5432 accept
    udp dport 53 accept
  }
}
table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport 8080 redirect to :22
  }
}
`

// TestOutside: the firewall verdicts of the live view, and a real nmap scan
// from the peer namespace joined with them by `list --outside`.
func TestOutside(t *testing.T) {
	for _, tool := range []string{"nmap", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run scripts/test-deps.sh", tool)
		}
	}
	bin := openports(t)
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("nmap's SYN and UDP scans and the listeners made with setns need root")
	}
	env.NS.Serve(t, []uint16{22, 5432, 6379}, []uint16{53})
	load := env.NS.Command(context.Background(), "nft", "-f", "-")
	load.Stdin = strings.NewReader(outsideRuleset)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v: %s", err, out)
	}

	scan := filepath.Join(t.TempDir(), "scan.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nmap := env.Peer.Command(ctx, "nmap", "-n", "-Pn", "-sS", "-sU", "-p", "T:22,80,5432,6379,8080,U:53",
		"--max-retries", "1", "-oX", scan, testenv.MainAddr4.String())
	if out, err := nmap.CombinedOutput(); err != nil {
		t.Fatalf("nmap: %v: %s", err, out)
	}

	r := run(t, env.NS, bin, "list", "--outside", scan, "-o", "json")
	rep := decode(t, r)

	firewall := map[uint16]string{}
	for _, row := range rep.Rows {
		if row.Firewall == nil {
			t.Errorf("%s/%d: no firewall verdict", row.Proto, row.Port)
			continue
		}
		firewall[row.Port] = string(row.Firewall.Verdict)
	}
	for port, want := range map[uint16]string{22: "open", 5432: "partly", 6379: "blocked", 53: "open", 8080: "open"} {
		if firewall[port] != want {
			t.Errorf("port %d: firewall %q, want %q", port, firewall[port], want)
		}
	}
	if rep.Outside == nil {
		t.Fatalf("no outside view; stderr %s", r.stderr)
	}
	joins := map[string]string{}
	for _, p := range rep.Outside.Ports {
		joins[fmt.Sprintf("%s/%d", p.Proto, p.Port)] = p.Join
	}
	for port, want := range map[string]string{
		"tcp/22":   report.OutsideExpected,
		"tcp/5432": report.OutsideExpected, // the peer is in 192.0.2.0/24
		"tcp/6379": report.OutsideFiltered,
		"tcp/8080": report.OutsidePublished, // the redirect to :22
		"udp/53":   report.OutsideExpected,  // the listener echoes nmap's probe
	} {
		if joins[port] != want {
			t.Errorf("%s: joined as %q, want %q (all: %v)", port, joins[port], want, joins)
		}
	}
	if _, ok := joins["tcp/80"]; ok {
		t.Errorf("tcp/80 is filtered and nothing listens: it should not be listed (all: %v)", joins)
	}

	// The table says the same in words.
	tr := run(t, env.NS, bin, "list", "--outside", scan)
	for _, want := range []string{"FIREWALL", "blocked", "open (dnat)", "open, published by DNAT to", "listening here, but the scan did not get in"} {
		if !bytes.Contains([]byte(tr.stdout), []byte(want)) {
			t.Errorf("table lacks %q:\n%s", want, tr.stdout)
		}
	}
	if err := os.Remove(scan); err != nil {
		t.Error(err)
	}
}
