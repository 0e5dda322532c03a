package analysis

import (
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func ufwRuleset(t *testing.T) *firewall.Ruleset {
	t.Helper()
	var rs *firewall.Ruleset
	for _, f := range []struct{ file, family string }{
		{"ufw-debian12.iptables-save", firewall.FamilyIP},
		{"ufw-debian12.ip6tables-save", firewall.FamilyIP6},
	} {
		data, err := os.ReadFile("../firewall/iptables/testdata/" + f.file)
		if err != nil {
			t.Fatal(err)
		}
		part, err := iptables.Parse(data, iptables.BackendLegacy, f.family)
		if err != nil {
			t.Fatal(err)
		}
		if rs == nil {
			rs = part
			continue
		}
		rs.Chains = append(rs.Chains, part.Chains...)
		rs.Sets = append(rs.Sets, part.Sets...)
	}
	return rs
}

// TestFirewallRows: real ufw rules (allow 22/tcp, allow 161/udp from
// 192.0.2.0/24, deny 80/tcp) on a host with two interfaces give each row
// its verdict, and a blocked dangerous service ranks below open ones.
func TestFirewallRows(t *testing.T) {
	kb, err := knowledge.Load()
	if err != nil {
		t.Fatal(err)
	}
	wild := func(proto snapshot.Proto, port uint16) snapshot.Socket {
		return snapshot.Socket{Proto: proto, Local: netip.AddrPortFrom(netip.IPv6Unspecified(), port), V6Only: snapshot.Bool(false),
			State: snapshot.Listen, OwnerState: snapshot.OwnersNone}
	}
	one := wild(snapshot.TCP, 8080)
	one.Local = netip.MustParseAddrPort("198.51.100.1:8080")
	snap := &snapshot.Snapshot{
		OS: "linux",
		Interfaces: []snapshot.Interface{
			{Index: 1, Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
			{Index: 2, Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")}},
			{Index: 3, Name: "eth1", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("198.51.100.1/24")}},
		},
		Sockets:  []snapshot.Socket{wild(snapshot.TCP, 22), wild(snapshot.TCP, 6379), wild(snapshot.UDP, 161), wild(snapshot.TCP, 80), one},
		Firewall: ufwRuleset(t),
	}
	rep := Build(snap, Options{Knowledge: kb})
	got := map[uint16]*report.Firewall{}
	for i, row := range rep.Rows {
		got[row.Port] = rep.Rows[i].Firewall
	}
	for port, want := range map[uint16]firewall.Verdict{22: "open", 6379: "blocked", 161: "partly", 80: "blocked", 8080: "blocked"} {
		fw := got[port]
		if fw == nil || fw.Verdict != want {
			t.Errorf("port %d: %+v, want %s", port, fw, want)
		}
	}
	if fw := got[161]; fw != nil && (len(fw.OpenOn) != 2 || fw.OpenOn[0] != (report.OpenWhere{Interface: "eth0", IP: "v4", SomeSources: true}) ||
		fw.OpenOn[1] != (report.OpenWhere{Interface: "eth1", IP: "v4", SomeSources: true})) {
		t.Errorf("161 open on %v, want eth0 and eth1 v4 from some sources", fw.OpenOn)
	}
	if fw := got[22]; fw == nil || fw.By == nil || fw.By.Text != "-p tcp -m tcp --dport 22 -j ACCEPT" || len(fw.Probes) != 3 {
		t.Errorf("22: %+v, want open by ufw's rule on 3 probes (eth0 v4, eth0 v6, eth1 v4)", fw)
	}
	if fw := got[8080]; fw == nil || len(fw.Probes) != 1 || fw.Probes[0].Interface != "eth1" {
		t.Errorf("8080 on one address: %+v, want one probe on eth1", fw)
	}
	// Redis is dangerous and blocked: after every row the firewall lets
	// through.
	last := rep.Rows[len(rep.Rows)-1]
	first := rep.Rows[0]
	if first.Firewall.Verdict == "blocked" || !(last.Port == 6379 || last.Firewall.Verdict == "blocked") {
		t.Errorf("order %v", ports(rep))
	}
	for i, row := range rep.Rows {
		if row.Firewall.Verdict != "blocked" {
			continue
		}
		for _, after := range rep.Rows[i+1:] {
			if after.Firewall.Verdict != "blocked" {
				t.Errorf("blocked %d ranks above reachable %d: %v", row.Port, after.Port, ports(rep))
			}
		}
	}
}

func ports(r *report.Report) []uint16 {
	var out []uint16
	for _, row := range r.Rows {
		out = append(out, row.Port)
	}
	return out
}

// TestFirewallUnread: a backend that could not be read makes every
// verdict unknown, with the reason.
func TestFirewallUnread(t *testing.T) {
	snap := &snapshot.Snapshot{
		Interfaces: []snapshot.Interface{{Index: 2, Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}},
		Sockets:    []snapshot.Socket{{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("0.0.0.0:22"), State: snapshot.Listen, OwnerState: snapshot.OwnersNone}},
		Firewall:   &firewall.Ruleset{Unread: []firewall.Unread{{Backend: "nftables", Reason: "permission", Detail: "operation not permitted"}}},
	}
	rep := Build(snap, Options{})
	fw := rep.Rows[0].Firewall
	if fw == nil || fw.Verdict != "unknown" || len(fw.Reasons) != 1 {
		t.Errorf("%+v, want unknown with the reason", fw)
	}
}

// TestTransparentFirewallUnknown: a TPROXY rule hands a transparent
// socket connections made to other addresses and ports, which the input
// chain sees as sent; probing the socket's own address (127.0.0.1 through
// route_localnet, on a node that has both) judged packets it is not given,
// and called the row blocked under the real ufw rules. Its verdict is
// unknown, and both of its notes are kept.
func TestTransparentFirewallUnknown(t *testing.T) {
	for _, localnet := range []bool{false, true} {
		s := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("127.0.0.1:7308"), State: snapshot.Listen, Transparent: true,
			OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{{PID: 7, Name: "envoy"}}}
		snap := &snapshot.Snapshot{
			OS: "linux", Sockets: []snapshot.Socket{s}, Firewall: ufwRuleset(t),
			Interfaces: []snapshot.Interface{
				{Index: 1, Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
				{Index: 2, Name: "eth0", Up: true, RouteLocalnet: localnet, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}},
			},
		}
		r := Build(snap, Options{})
		if len(r.Rows) != 1 {
			t.Fatalf("route_localnet %v: %d rows, want 1", localnet, len(r.Rows))
		}
		row := r.Rows[0]
		if row.Firewall == nil || row.Firewall.Verdict != firewall.Unknown {
			t.Errorf("route_localnet %v: firewall %+v, want unknown", localnet, row.Firewall)
		}
		want := []string{"exposure.transparent"}
		if localnet {
			want = append(want, "exposure.route-localnet")
		}
		var got []string
		for _, n := range row.Notes {
			if n.Key == "exposure.transparent" || n.Key == "exposure.route-localnet" {
				got = append(got, n.Key)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("route_localnet %v: notes %v, want %v", localnet, got, want)
		}
	}
}
