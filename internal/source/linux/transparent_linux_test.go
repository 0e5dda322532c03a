package linux

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
	"github.com/openports/openports/internal/testenv"
)

// TestTransparentUnreadGap: on a kernel before 5.10 sock_diag replies
// carry no INET_DIAG_SOCKOPT, so IP_TRANSPARENT is unread; with a TPROXY
// rule in the firewall (here iptables-legacy's, saved by the real tool in
// a test namespace) a loopback listener may take other machines'
// connections: a sockets/transparent-unread gap. With the attribute, or
// without a TPROXY rule, none.
func TestTransparentUnreadGap(t *testing.T) {
	needRoot(t, "iptables-legacy in a test namespace")
	for _, tool := range []string{"iptables-legacy", "iptables-legacy-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := env.NS.Command(ctx, "iptables-legacy", "-t", "mangle", "-A", "PREROUTING", "-p", "tcp", "--dport", "80",
		"-j", "TPROXY", "--on-port", "7306", "--on-ip", "127.0.0.1", "--tproxy-mark", "1").CombinedOutput(); err != nil {
		t.Skipf("iptables-legacy TPROXY rule: %v: %s", err, out)
	}
	saved := env.NS.Run(t, "iptables-legacy-save")
	tproxy, err := iptables.Parse([]byte(saved), iptables.BackendLegacy, firewall.FamilyIP)
	if err != nil {
		t.Fatalf("parse %q: %v", saved, err)
	}
	for _, tt := range []struct {
		name    string
		sockopt bool
		rs      *firewall.Ruleset
		socks   []snapshot.Socket
		want    bool
	}{
		{"no attribute, TPROXY rule", false, tproxy, []snapshot.Socket{tcp("127.0.0.1:7306", 1, 0)}, true},
		{"attribute, TPROXY rule", true, tproxy, []snapshot.Socket{tcp("127.0.0.1:7306", 1, 0)}, false},
		{"no attribute, no rule", false, nil, []snapshot.Socket{tcp("127.0.0.1:7306", 1, 0)}, false},
		{"no attribute, TPROXY rule, no loopback listener", false, tproxy, []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)}, false},
	} {
		f := newFixture()
		f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: tt.socks, Sockopt: tt.sockopt}}}}
		f.fw = fakeFirewall{rs: tt.rs}
		snap := f.run(t)
		if got := hasGap(snap, "sockets", ReasonTransparentUnread); got != tt.want {
			t.Errorf("%s: gap %v, want %v; gaps %v", tt.name, got, tt.want, gapReasons(snap))
		}
		for _, g := range snap.Gaps {
			if g.Reason == ReasonTransparentUnread && !strings.Contains(g.Args["rules"], "TPROXY") {
				t.Errorf("%s: gap does not name the rule: %+v", tt.name, g)
			}
		}
	}
}
