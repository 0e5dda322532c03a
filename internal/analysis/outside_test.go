package analysis

import (
	"net/netip"
	"os"
	"strconv"
	"testing"

	"github.com/openports/openports/internal/parse/nmap"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// TestOutsideJoin joins the real scan of the test namespace (parse/nmap's
// fixture) with a snapshot of that host, and with one of another host.
func TestOutsideJoin(t *testing.T) {
	data, err := os.ReadFile("../parse/nmap/testdata/demo-tcp-udp.xml")
	if err != nil {
		t.Fatal(err)
	}
	scan, problems := nmap.Read(data, "demo-tcp-udp.xml")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	sock := func(proto snapshot.Proto, port uint16) snapshot.Socket {
		return snapshot.Socket{Proto: proto, Local: netip.AddrPortFrom(netip.IPv6Unspecified(), port), State: snapshot.Listen,
			V6Only: snapshot.Bool(false), OwnerState: snapshot.OwnersNone}
	}
	this := &snapshot.Snapshot{
		Interfaces: []snapshot.Interface{{Index: 2, Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}},
		Sockets:    []snapshot.Socket{sock(snapshot.TCP, 22), sock(snapshot.TCP, 6379), sock(snapshot.UDP, 53), sock(snapshot.TCP, 9000)},
	}
	rep := Build(this, Options{})
	out := Outside(rep, this, scan)
	got := map[string]string{}
	for _, p := range out.Ports {
		got[p.Proto+"/"+p.Address+"/"+strconv.Itoa(int(p.Port))] = p.Join
	}
	want := map[string]string{
		"tcp/192.0.2.1/22":   report.OutsideExpected,
		"tcp/192.0.2.1/6379": report.OutsideFiltered,
		"tcp/192.0.2.1/5432": report.OutsideNoSocket, // open in the scan, not listening in this snapshot
		"udp/192.0.2.1/53":   report.OutsideUnanswered,
	}
	if len(got) != len(want) {
		t.Errorf("joined %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if out.NotScanned != 1 { // tcp/9000
		t.Errorf("not scanned %d, want 1", out.NotScanned)
	}

	other := &snapshot.Snapshot{Interfaces: []snapshot.Interface{{Index: 2, Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("198.51.100.1/24")}}},
		Sockets: []snapshot.Socket{sock(snapshot.TCP, 22)}}
	out = Outside(Build(other, Options{}), other, scan)
	for _, p := range out.Ports {
		if p.Join != report.OutsideNotThisHost {
			t.Errorf("%s %s/%d joined as %q on a host without that address", p.Address, p.Proto, p.Port, p.Join)
		}
	}
	if len(out.Ports) != 2 { // the two open ports
		t.Errorf("ports %+v", out.Ports)
	}
}
