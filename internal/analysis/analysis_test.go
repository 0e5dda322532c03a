package analysis

import (
	"net/netip"
	"os"
	"slices"
	"testing"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

var ifaces = []snapshot.Interface{
	{Index: 1, Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")}},
	{Index: 2, Name: "veth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")}},
}

func TestExposure(t *testing.T) {
	for _, tc := range []struct {
		local   string
		ifindex uint32
		dev     string
		class   snapshot.Exposure
		iface   string
	}{
		{"0.0.0.0:22", 0, "", report.ExposureAll, ""},
		{"[::]:22", 0, "", report.ExposureAll, ""},
		{"127.0.0.1:631", 0, "", report.ExposureLoopback, ""},
		{"127.0.0.53:53", 0, "", report.ExposureLoopback, ""},
		{"[::1]:631", 0, "", report.ExposureLoopback, ""},
		{"[::ffff:127.0.0.1]:5000", 0, "", report.ExposureLoopback, ""},
		{"[::ffff:0.0.0.0]:5000", 0, "", report.ExposureAll, ""},
		{"192.0.2.1:53", 0, "", report.ExposureAddress, "veth0"},
		{"[::ffff:192.0.2.1]:53", 0, "", report.ExposureAddress, "veth0"},
		{"[2001:db8::1]:53", 0, "", report.ExposureAddress, "veth0"},
		{"198.51.100.7:53", 0, "", report.ExposureAddress, ""},
		{"[fe80::1%veth0]:546", 0, "", report.ExposureLinkLocal, "veth0"},
		{"169.254.1.1:80", 0, "", report.ExposureLinkLocal, ""},
		{"0.0.0.0:67", 2, "", report.ExposureDevice, "veth0"},
		{"0.0.0.0:67", 0, "eth9", report.ExposureDevice, "eth9"},
		{"0.0.0.0:67", 1, "", report.ExposureLoopback, "lo"},
	} {
		s := snapshot.Socket{Local: netip.MustParseAddrPort(tc.local), IfIndex: tc.ifindex, Interface: tc.dev}
		class, iface := Exposure(&s, ifaces)
		if class != tc.class || iface != tc.iface {
			t.Errorf("Exposure(%s if=%d dev=%q) = %s %q, want %s %q", tc.local, tc.ifindex, tc.dev, class, iface, tc.class, tc.iface)
		}
	}
}

func TestReach(t *testing.T) {
	yes, no := snapshot.Bool(true), snapshot.Bool(false)
	for _, tc := range []struct {
		local          string
		sock, hostOnly *bool
		want           snapshot.Reach
	}{
		{"0.0.0.0:22", nil, nil, report.ReachV4},
		{"[::]:22", no, yes, report.ReachBoth},  // the socket says dual-stack
		{"[::]:22", yes, no, report.ReachV6},    // the socket says v6 only
		{"[::]:22", nil, yes, report.ReachV6},   // host default v6only
		{"[::]:22", nil, no, report.ReachBoth},  // host default dual-stack
		{"[::]:22", nil, nil, report.ReachBoth}, // unknown: assume the wider
		{"[::ffff:192.0.2.1]:1", no, nil, report.ReachV4},
		{"[2001:db8::1]:1", no, nil, report.ReachV6},
	} {
		s := snapshot.Socket{Local: netip.MustParseAddrPort(tc.local), V6Only: tc.sock}
		if got := Reach(&s, tc.hostOnly); got != tc.want {
			t.Errorf("Reach(%s, sock=%v, host=%v) = %s, want %s", tc.local, tc.sock, tc.hostOnly, got, tc.want)
		}
	}
}

func loadFixture(t testing.TB) *snapshot.Snapshot {
	t.Helper()
	f, err := os.Open("testdata/host.snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type rowSummary struct {
	Proto    snapshot.Proto
	Address  string
	Port     uint16
	Reach    snapshot.Reach
	Exposure snapshot.Exposure
	Iface    string
	PIDs     []int
	State    snapshot.OwnerState
}

func summarize(r *report.Report) []rowSummary {
	var out []rowSummary
	for _, row := range r.Rows {
		var pids []int
		for _, p := range row.Processes {
			pids = append(pids, p.PID)
		}
		out = append(out, rowSummary{row.Proto, row.Address, row.Port, row.Reach, row.Exposure, row.Interface, pids, row.OwnerState})
	}
	return out
}

func TestBuildDefaultHidesLoopback(t *testing.T) {
	r := Build(loadFixture(t), Options{})
	want := []rowSummary{
		{"tcp", "*", 22, "v4+v6", "all", "", []int{1238}, "partial"},
		{"tcp", "*", 25, "v4+v6", "all", "", []int{1538, 1604, 1606, 1607, 1608}, "partial"},
		{"tcp", "192.0.2.1", 53, "v4", "address", "veth0", []int{1239}, "partial"},
		{"tcp", "2001:db8::1", 53, "v6", "address", "veth0", []int{1239}, "partial"},
		{"tcp", "fe80::1", 53, "v6", "link-local", "veth0", []int{1239}, "partial"},
		{"udp", "192.0.2.1", 53, "v4", "address", "veth0", []int{1239}, "partial"},
		{"udp", "2001:db8::1", 53, "v6", "address", "veth0", []int{1239}, "partial"},
		{"udp", "fe80::1", 53, "v6", "link-local", "veth0", []int{1239}, "partial"},
		{"udp", "*", 67, "v4", "device", "veth0", []int{1239}, "partial"},
		{"udp", "fe80::1", 546, "v6", "link-local", "veth0", []int{1566}, "complete"},
		{"udp", "*", 4789, "v4", "all", "", nil, "unknown"},
		{"udp", "*", 6000, "v6", "all", "", []int{1566}, "complete"},
		{"tcp", "192.0.2.1", 7000, "v4", "address", "veth0", []int{1570}, "complete"},
		{"tcp", "192.0.2.1", 7000, "v4", "address", "veth0", []int{1571}, "complete"},
		{"tcp", "*", 8080, "v4", "all", "", nil, "unknown"},
		{"tcp", "*", 8443, "v4+v6", "all", "", []int{1566}, "complete"},
	}
	got := summarize(r)
	if !slices.EqualFunc(got, want, func(a, b rowSummary) bool {
		return a.Proto == b.Proto && a.Address == b.Address && a.Port == b.Port && a.Reach == b.Reach &&
			a.Exposure == b.Exposure && a.Iface == b.Iface && slices.Equal(a.PIDs, b.PIDs) && a.State == b.State
	}) {
		t.Errorf("rows:\n got %v\nwant %v", got, want)
	}
	// dnsmasq's tcp and udp 53 and PostgreSQL's 5432, each on 127.0.0.1
	// and ::1, and the v4-mapped 127.0.0.1:5000.
	if r.Hidden[report.ExposureLoopback] != 7 {
		t.Errorf("hidden = %v, want 7 loopback", r.Hidden)
	}
	if r.Complete || r.ExitCode != report.ExitIncomplete {
		t.Errorf("complete=%v exit=%d, want incomplete view and exit 3", r.Complete, r.ExitCode)
	}
	if n := len(r.Rows[1].Sockets); n != 2 {
		t.Errorf("port 25 row has %d sockets, want v4 and v6 merged (2)", n)
	}
}

func TestBuildAllMergesLoopbacks(t *testing.T) {
	r := Build(loadFixture(t), Options{All: true})
	var found bool
	for _, row := range r.Rows {
		if row.Port == 5432 {
			found = true
			if row.Address != "localhost" || row.Reach != report.ReachBoth || len(row.Sockets) != 2 {
				t.Errorf("5432 row = %s %s with %d sockets, want localhost v4+v6 with 2", row.Address, row.Reach, len(row.Sockets))
			}
		}
		if row.Port == 5000 && (row.Address != "::ffff:127.0.0.1" || row.Exposure != report.ExposureLoopback || row.Reach != report.ReachV4) {
			t.Errorf("v4-mapped loopback row = %+v", row)
		}
	}
	if !found {
		t.Error("--all did not show the loopback row")
	}
	if len(r.Hidden) != 0 {
		t.Errorf("--all hid %v", r.Hidden)
	}
}

// TestRouteLocalnet: with route_localnet on an interface, other machines
// reach IPv4 loopback listeners through it: they are shown (with the
// interface and a note), not hidden as loopback-only, and a view with
// nothing else is no "nothing reachable". IPv6 loopback is unaffected,
// and so is a listener bound to another device. Before, every one was
// hidden: no row, exit 0.
func TestRouteLocalnet(t *testing.T) {
	owned := func(addr, dev string) snapshot.Socket {
		return snapshot.Socket{Proto: "tcp", Local: netip.MustParseAddrPort(addr), Interface: dev, State: snapshot.Listen,
			OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{{PID: 7, Name: "kubelet"}}}
	}
	with := func(marked ...string) []snapshot.Interface {
		out := slices.Clone(ifaces)
		out = append(out, snapshot.Interface{Index: 3, Name: "veth1", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("198.51.100.1/24")}})
		for i := range out {
			out[i].RouteLocalnet = slices.Contains(marked, out[i].Name)
		}
		return out
	}
	tests := []struct {
		name   string
		sock   snapshot.Socket
		ifaces []snapshot.Interface
		iface  string // "-": hidden as loopback
		note   string
	}{
		{"off", owned("127.0.0.1:10248", ""), with(), "-", ""},
		{"on for veth0", owned("127.0.0.1:10248", ""), with("veth0"), "veth0", "veth0"},
		{"v4-mapped", owned("[::ffff:127.0.0.1]:10248", ""), with("veth0"), "veth0", "veth0"},
		{"on for two", owned("127.0.0.2:10248", ""), with("veth0", "veth1"), "", "veth0, veth1"},
		{"bound to the other device", owned("127.0.0.1:10248", "veth1"), with("veth0"), "-", ""},
		{"IPv6 loopback", owned("[::1]:10248", ""), with("veth0"), "-", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := &snapshot.Snapshot{Schema: 1, Sockets: []snapshot.Socket{tt.sock}, Interfaces: tt.ifaces}
			r := Build(snap, Options{})
			if tt.iface == "-" {
				if len(r.Rows) != 0 || r.Hidden[report.ExposureLoopback] != 1 {
					t.Errorf("rows %+v hidden %v, want the socket hidden as loopback", r.Rows, r.Hidden)
				}
				return
			}
			if len(r.Rows) != 1 {
				t.Fatalf("rows %+v, want one: the listener other machines reach", r.Rows)
			}
			row := r.Rows[0]
			if row.Exposure != report.ExposureAddress || row.Interface != tt.iface || row.Address != tt.sock.Local.Addr().String() {
				t.Errorf("row %s %s %q, want %s address %q", row.Address, row.Exposure, row.Interface, tt.sock.Local.Addr(), tt.iface)
			}
			if !slices.ContainsFunc(row.Notes, func(n report.Note) bool {
				return n.Key == "exposure.route-localnet" && slices.Equal(n.Args, []string{tt.note})
			}) {
				t.Errorf("notes %+v, want exposure.route-localnet %q", row.Notes, tt.note)
			}
		})
	}
}

// TestTransparentLoopback: a loopback listener with IP_TRANSPARENT, which a
// TPROXY rule can hand other machines' connections, is shown with a note,
// not hidden as loopback-only; one bound to lo too stays hidden (a
// device-bound socket takes nothing that arrives elsewhere). Before, it
// was hidden: no row, exit 0.
func TestTransparentLoopback(t *testing.T) {
	for _, tt := range []struct {
		local, dev string
		shown      bool
	}{
		{"127.0.0.1:15001", "", true},
		{"[::1]:15001", "", true},
		{"127.0.0.1:15001", "lo", false},
	} {
		s := snapshot.Socket{Proto: "tcp", Local: netip.MustParseAddrPort(tt.local), Interface: tt.dev, State: snapshot.Listen, Transparent: true,
			OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{{PID: 7, Name: "envoy"}}}
		r := Build(&snapshot.Snapshot{Schema: 1, Sockets: []snapshot.Socket{s}, Interfaces: ifaces}, Options{})
		if !tt.shown {
			if len(r.Rows) != 0 {
				t.Errorf("%s on %s: rows %+v, want it hidden", tt.local, tt.dev, r.Rows)
			}
			continue
		}
		if len(r.Rows) != 1 || r.Rows[0].Exposure != report.ExposureAddress ||
			!slices.ContainsFunc(r.Rows[0].Notes, func(n report.Note) bool { return n.Key == "exposure.transparent" }) {
			t.Errorf("%s: rows %+v, want one, exposure address, note exposure.transparent", tt.local, r.Rows)
		}
	}
}

func TestBuildCompleteView(t *testing.T) {
	s := &snapshot.Snapshot{Schema: 1, Sockets: []snapshot.Socket{{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:1"),
		OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{{PID: 1, Name: "x"}}}}}
	r := Build(s, Options{})
	if !r.Complete || r.ExitCode != 0 {
		t.Errorf("complete=%v exit=%d, want complete, 0", r.Complete, r.ExitCode)
	}
}

func TestHostNameAddressFromParsedOutput(t *testing.T) {
	s := &snapshot.Snapshot{Schema: 1, Sockets: []snapshot.Socket{{Proto: "tcp", Local: netip.AddrPortFrom(netip.Addr{}, 22),
		LocalText: "ns1", State: snapshot.Listen, OwnerState: snapshot.OwnersUnknown}}}
	r := Build(s, Options{})
	if len(r.Rows) != 1 || r.Rows[0].Address != "ns1" || r.Rows[0].Exposure != report.ExposureAddress || r.Rows[0].Port != 22 {
		t.Errorf("rows = %+v, want one row ns1:22 exposure address", r.Rows)
	}
}
