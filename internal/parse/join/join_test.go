package join_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/multi"
	"github.com/openports/openports/internal/snapshot"
)

// TestSeedGolden joins the seed's netstat listing to its fstat owners: one
// socket on 10.0.0.251:25 with Postfix master and four smtpd, each owner
// marked as matched by address.
func TestSeedGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "multi", "testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := multi.Parse(f, "seed.txt", multi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []join.Part
	for _, s := range in.Segments {
		parts = append(parts, join.Part{Format: s.Format, Label: fmt.Sprintf("seed.txt:%d-%d", s.First, s.Last), Snapshot: s.Result.Snapshot})
	}
	res := join.Join(parts)
	var smtp *snapshot.Socket
	for i, s := range res.Snapshot.Sockets {
		if s.Proto == snapshot.TCP && s.Local == netip.MustParseAddrPort("10.0.0.251:25") {
			if smtp != nil {
				t.Fatal("two sockets on 10.0.0.251:25")
			}
			smtp = &res.Snapshot.Sockets[i]
		}
	}
	if smtp == nil || len(smtp.Owners) != 5 || smtp.State != snapshot.Listen || smtp.OwnerState != snapshot.OwnersComplete {
		t.Fatalf("10.0.0.251:25 = %+v", smtp)
	}
	for _, o := range smtp.Owners {
		if o.Via != join.ViaAddress {
			t.Errorf("owner %d via %q", o.PID, o.Via)
		}
	}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, res.Snapshot); err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Matches {
		fmt.Fprintln(&buf, m.String())
	}
	fmt.Fprintf(&buf, "merged %d\n", res.Merged)
	golden.Check(t, filepath.Join("testdata", "seed.golden"), buf.Bytes())
}

func sock(proto snapshot.Proto, local string, owners ...int) snapshot.Socket {
	s := snapshot.Socket{Proto: proto, Local: netip.MustParseAddrPort(local), State: snapshot.Listen,
		OwnerState: snapshot.OwnersUnknown, OwnerReason: "the tool output has no process column"}
	if proto == snapshot.UDP {
		s.State = snapshot.Unconnected
	}
	if len(owners) > 0 {
		s.OwnerState, s.OwnerReason = snapshot.OwnersComplete, ""
		for _, pid := range owners {
			s.Owners = append(s.Owners, snapshot.Owner{PID: pid, Name: fmt.Sprint("p", pid), FDs: []int{3}})
		}
	}
	return s
}

func part(format string, gaps []snapshot.Gap, socks ...snapshot.Socket) join.Part {
	return join.Part{Format: format, Label: format, Snapshot: &snapshot.Snapshot{Schema: 1, Source: "parse/" + format, Sockets: socks, Gaps: gaps}}
}

// summary is a compact form of a joined snapshot for table tests.
func summary(s *snapshot.Snapshot) string {
	var b strings.Builder
	for _, so := range s.Sockets {
		fmt.Fprintf(&b, "%s %s %s %s", so.Proto, so.Local, so.State, so.OwnerState)
		for _, o := range so.Owners {
			fmt.Fprintf(&b, " %d%v", o.PID, o.FDs)
			if o.Via != "" {
				b.WriteString("/" + o.Via)
			}
		}
		b.WriteString("\n")
	}
	for _, g := range s.Gaps {
		fmt.Fprintf(&b, "gap %s %s %d\n", g.Area, g.Reason, g.Count)
	}
	return b.String()
}

func TestJoin(t *testing.T) {
	noCol := []snapshot.Gap{{Area: "owners", Reason: "no-process-column", Detail: "x", Count: 9}}
	tests := []struct {
		name   string
		parts  []join.Part
		want   string
		method string
		merged int
	}{
		{
			name:   "one socket, owners from the other output",
			parts:  []join.Part{part("netstat-bsd", noCol, sock("tcp", "192.0.2.1:25")), part("fstat", nil, sock("tcp", "192.0.2.1:25", 7, 8))},
			want:   "tcp 192.0.2.1:25 LISTEN complete 7[3]/address 8[3]/address\n",
			method: "fstat", merged: 1,
		},
		{
			name: "families and protocols are not mixed",
			parts: []join.Part{part("netstat-bsd", noCol, sock("udp", "0.0.0.0:123"), sock("tcp", "0.0.0.0:123")),
				part("fstat", nil, sock("udp", "[::]:123", 9))},
			want: "tcp 0.0.0.0:123 LISTEN unknown\nudp 0.0.0.0:123 UNCONN unknown\nudp [::]:123 UNCONN complete 9[3]\n" +
				"gap owners no-owner-in-output 2\n",
			method: "fstat",
		},
		{
			name: "more sockets listed than owner sockets: the rest stay unknown",
			parts: []join.Part{part("netstat-bsd", noCol, sock("udp", "0.0.0.0:500"), sock("udp", "0.0.0.0:500")),
				part("fstat", nil, sock("udp", "0.0.0.0:500", 4))},
			want:   "udp 0.0.0.0:500 UNCONN complete 4[3]/address\nudp 0.0.0.0:500 UNCONN unknown\ngap owners no-owner-in-output 1\n",
			method: "fstat", merged: 1,
		},
		{
			name: "the same listing twice is one socket",
			parts: []join.Part{part("netstat-bsd", noCol, sock("tcp", "0.0.0.0:22")),
				part("netstat-bsd", noCol, sock("tcp", "0.0.0.0:22"))},
			want:   "tcp 0.0.0.0:22 LISTEN unknown\ngap owners no-process-column 18\n",
			merged: 1,
		},
		{
			name: "two owner outputs of one socket merge their owners",
			parts: []join.Part{part("sockstat", nil, sock("tcp", "0.0.0.0:22", 1)),
				part("fstat", nil, sock("tcp", "0.0.0.0:22", 1, 2))},
			want:   "tcp 0.0.0.0:22 LISTEN complete 1[3] 2[3]\n",
			method: "sockstat+fstat", merged: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := summary(tt.parts[0].Snapshot)
			res := join.Join(tt.parts)
			if got := summary(res.Snapshot); got != tt.want {
				t.Errorf("joined:\n%s\nwant:\n%s", got, tt.want)
			}
			if string(res.Snapshot.OwnerMethod) != tt.method {
				t.Errorf("owner method %q, want %q", res.Snapshot.OwnerMethod, tt.method)
			}
			if res.Merged != tt.merged {
				t.Errorf("merged %d, want %d", res.Merged, tt.merged)
			}
			if after := summary(tt.parts[0].Snapshot); after != before {
				t.Errorf("Join modified its input:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestUnreadableAddressIsNotJoined: a host name or a cut address never
// matches an owner, even on the same port.
func TestUnreadableAddressIsNotJoined(t *testing.T) {
	named := sock("tcp", "0.0.0.0:22")
	named.Local = netip.AddrPortFrom(netip.Addr{}, 22)
	named.LocalText = "gw.example.org"
	res := join.Join([]join.Part{part("netstat-bsd", nil, named), part("fstat", nil, sock("tcp", "0.0.0.0:22", 5))})
	if len(res.Snapshot.Sockets) != 2 {
		t.Fatalf("sockets:\n%s", summary(res.Snapshot))
	}
	if len(res.Matches) != 1 || res.Matches[0].Matched != 0 || res.Matches[0].Unmatched != 1 {
		t.Errorf("matches %+v", res.Matches)
	}
}

func TestMixedOSIsAGap(t *testing.T) {
	a := part("netstat-bsd", nil, sock("tcp", "0.0.0.0:22"))
	a.Snapshot.OS, a.Snapshot.BindV6Only = "netbsd", snapshot.Bool(true)
	b := part("netstat-darwin", nil, sock("tcp", "0.0.0.0:23"))
	b.Snapshot.OS, b.Snapshot.BindV6Only = "darwin", snapshot.Bool(false)
	res := join.Join([]join.Part{a, b})
	if res.Snapshot.OS != "" || res.Snapshot.BindV6Only != nil || len(res.Snapshot.Gaps) != 1 || res.Snapshot.Gaps[0].Reason != "mixed-os" {
		t.Errorf("os %q v6only %v gaps %+v", res.Snapshot.OS, res.Snapshot.BindV6Only, res.Snapshot.Gaps)
	}
}

func TestKeepListening(t *testing.T) {
	listen := sock("tcp", "0.0.0.0:22")
	unconn := sock("udp", "0.0.0.0:53")
	estab := sock("tcp", "192.0.2.1:22")
	estab.State, estab.Remote = snapshot.Established, netip.MustParseAddrPort("198.51.100.7:50000")
	connUDP := sock("udp", "192.0.2.1:123")
	connUDP.State, connUDP.Remote = snapshot.Established, netip.MustParseAddrPort("198.51.100.8:123")
	noState := sock("tcp", "192.0.2.1:2222")
	noState.State = ""
	noStateConn := noState
	noStateConn.Remote = netip.MustParseAddrPort("198.51.100.9:4000")
	namedRemote := estab
	namedRemote.Remote, namedRemote.RemoteText = netip.AddrPortFrom(netip.Addr{}, 443), "lb-140-82-114-25"
	timeWait := sock("tcp", "192.0.2.1:80")
	timeWait.State = "TIME-WAIT"
	s := &snapshot.Snapshot{Sockets: []snapshot.Socket{listen, estab, unconn, connUDP, noState, noStateConn, namedRemote, timeWait}}
	if n := join.KeepListening(s); n != 5 {
		t.Errorf("dropped %d, want 5", n)
	}
	if got, want := summary(s), "tcp 0.0.0.0:22 LISTEN unknown\nudp 0.0.0.0:53 UNCONN unknown\ntcp 192.0.2.1:2222  unknown\n"; got != want {
		t.Errorf("kept:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzJoin joins the parts any input is cut into: the join never panics,
// keeps every socket that is not a duplicate or unbound, and leaves the
// parts untouched.
func FuzzJoin(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("..", "multi", "testdata", "seed-netstat-then-fstat.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	concat, err := os.ReadFile(filepath.Join("..", "multi", "testdata", "linux-netns-anp-then-lsof-F.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(concat)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The join's own cost is what is fuzzed here; inputs past a few
		// kilobytes only make each run slow (multi's fuzzer and the
		// benchmarks cover size).
		if len(data) > 8<<10 {
			t.Skip("input over 8 KiB")
		}
		in, err := multi.Parse(bytes.NewReader(data), "fuzz", multi.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var parts []join.Part
		total := 0
		for _, s := range in.Segments {
			if s.Result != nil && s.Result.Snapshot != nil {
				parts = append(parts, join.Part{Format: s.Format, Label: "p", Snapshot: s.Result.Snapshot})
				total += len(s.Result.Snapshot.Sockets)
			}
		}
		res := join.Join(parts)
		if got := len(res.Snapshot.Sockets) + res.Merged + res.Unbound; got < total {
			t.Fatalf("%d sockets in, %d out + %d merged + %d unbound", total, len(res.Snapshot.Sockets), res.Merged, res.Unbound)
		}
	})
}
