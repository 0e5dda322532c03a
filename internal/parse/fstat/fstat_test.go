package fstat_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/fstat"
	"github.com/openports/openports/internal/parse/lsof"
	"github.com/openports/openports/internal/parse/parsetest"
	"github.com/openports/openports/internal/parse/sockstat"
	"github.com/openports/openports/internal/snapshot"
)

func parseFile(t *testing.T, path string) *parse.Result {
	t.Helper()
	return parsetest.ParseFile(t, fstat.New(), path)
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) != 4 {
		t.Fatalf("testdata: %v %v", files, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res := parseFile(t, path)
			for _, p := range res.Problems {
				t.Errorf("problem: %v", p)
			}
			if res.Parsed == 0 || len(res.Snapshot.Sockets) == 0 {
				t.Errorf("no sockets parsed")
			}
			golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", parsetest.GoldenOf(res))
			// The JSON must read back to the same snapshot.
			back, err := snapshot.Read(bytes.NewReader(mustJSON(t, res.Snapshot)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustJSON(t, back), mustJSON(t, res.Snapshot)) {
				t.Errorf("snapshot does not round-trip through JSON")
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func find(t *testing.T, s *snapshot.Snapshot, proto snapshot.Proto, local string) []snapshot.Socket {
	t.Helper()
	want := netip.MustParseAddrPort(local)
	var out []snapshot.Socket
	for _, so := range s.Sockets {
		if so.Proto == proto && so.Local == want {
			out = append(out, so)
		}
	}
	return out
}

// The seed's acceptance test: four smtpd and master share one socket.
func TestSeedSharedSocket(t *testing.T) {
	res := parseFile(t, "testdata/netbsd-fstat-grep-colon.txt")
	s := res.Snapshot
	if s.OS != "netbsd" || s.BindV6Only == nil || !*s.BindV6Only || s.Source != "parse/fstat" {
		t.Errorf("OS %q BindV6Only %v Source %q", s.OS, s.BindV6Only, s.Source)
	}
	if len(s.Sockets) != 7 {
		t.Errorf("got %d sockets, want 7", len(s.Sockets))
	}
	smtp := find(t, s, snapshot.TCP, "10.0.0.251:25")
	if len(smtp) != 1 {
		t.Fatalf("got %d sockets on 10.0.0.251:25, want 1", len(smtp))
	}
	so := smtp[0]
	if so.KernelAddr != "c24e6380" || so.State != snapshot.Listen || so.OwnerState != snapshot.OwnersComplete {
		t.Errorf("socket %+v", so)
	}
	wantPIDs := []int{4663, 12734, 15612, 18811, 29129}
	if got := parsetest.PIDs(so.Owners); !slicesEqual(got, wantPIDs) {
		t.Errorf("owners %v, want %v", got, wantPIDs)
	}
	for _, o := range so.Owners {
		wantName, wantUser, wantFD := "smtpd", "postfix", 6
		if o.PID == 29129 {
			wantName, wantUser, wantFD = "master", "root", 12
		}
		if o.Name != wantName || o.User != wantUser || len(o.FDs) != 1 || o.FDs[0] != wantFD {
			t.Errorf("owner %+v", o)
		}
	}
	ntp6 := find(t, s, snapshot.UDP, "[::]:123")
	if len(ntp6) != 1 || ntp6[0].State != snapshot.Unconnected || ntp6[0].KernelAddr != "c24ed754" {
		t.Errorf("udp6 *:123: %+v", ntp6)
	}
}

func TestSeedExercise(t *testing.T) {
	res := parseFile(t, "testdata/netbsd-fstat-n-exercise.txt")
	s := res.Snapshot
	if len(s.Sockets) != 40 || res.Parsed != 40 || res.Skipped != 1 {
		t.Errorf("sockets %d parsed %d skipped %d, want 40 40 1", len(s.Sockets), res.Parsed, res.Skipped)
	}
	// rpcbind's *:0 is a real bound UDP socket: kept.
	zero := find(t, s, snapshot.UDP, "[::]:0")
	if len(zero) != 1 || len(zero[0].Owners) != 1 || zero[0].Owners[0].Name != "rpcbind" || zero[0].Owners[0].FDs[0] != 3 {
		t.Errorf("udp6 *:0: %+v", zero)
	}
	x11 := find(t, s, snapshot.TCP, "0.0.0.0:6000")
	if len(x11) != 1 || x11[0].Owners[0].PID != 6624 || x11[0].State != snapshot.Listen {
		t.Errorf("tcp *:6000: %+v", x11)
	}
}

func TestOpenBSD(t *testing.T) {
	res := parseFile(t, "testdata/openbsd-grep-80-httpd.txt")
	s := res.Snapshot
	if s.OS != "openbsd" || len(s.Sockets) != 2 {
		t.Fatalf("OS %q, %d sockets", s.OS, len(s.Sockets))
	}
	for _, so := range s.Sockets {
		if len(so.Owners) != 6 {
			t.Errorf("%v: %d owners, want 6", so.Local, len(so.Owners))
		}
		want := "ffff8000008e9660"
		if so.Local.Addr().Is6() {
			want = "ffff8000008e9440"
		}
		if so.KernelAddr != want {
			t.Errorf("%v: kernel address %q, want %q", so.Local, so.KernelAddr, want)
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBadInput(t *testing.T) {
	const row = "root sshd 23734 4* internet stream tcp c18f69c8 *:22\n"
	tests := []struct {
		name     string
		in       string
		line     int
		expected string
		sockets  int
	}{
		{"garbage", row + "hello world\n", 2, "fstat row: USER CMD PID FD TYPE ...", 1},
		{"netstat line", row + "tcp 0 0 10.0.0.251.25 *.* LISTEN\n", 2, "fstat row: USER CMD PID FD TYPE ...", 1},
		{"bad port", "root sshd 1 4* internet stream tcp c18f69c8 *:99999\n" + row, 1, "address as ADDR:PORT, *:PORT or [IPv6]:PORT", 1},
		{"v6 without brackets", row + "root sshd 1 4* internet6 stream tcp c18f69c9 ::1:22\n", 2, "address as ADDR:PORT, *:PORT or [IPv6]:PORT", 1},
		{"missing proto", row + "root sshd 1 4* internet stream\n", 2, "internet socket: USER CMD PID FD internet|internet6 stream|dgram PROTO [KADDR] LOCAL [<-> FOREIGN]", 1},
		{"extra tokens", row + row + "root sshd 1 4* internet stream tcp c18f69c9 *:22 x y z\n", 3, "internet socket: USER CMD PID FD internet|internet6 stream|dgram PROTO [KADDR] LOCAL [<-> FOREIGN]", 1},
		{"kernel address reused", row + "root sshd 9 5* internet stream tcp c18f69c8 *:23\n", 2, "the same protocol and addresses as the earlier row with this kernel address", 1},
		{"long line", row + strings.Repeat("x", 70000) + "\n" + row, 2, "a line shorter than 64 KiB", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parsetest.Parse(t, fstat.New(), tt.in, "in.txt")
			if len(res.Problems) != 1 {
				t.Fatalf("problems %v, want 1", res.Problems)
			}
			parsetest.BadLine(t, res, "in.txt", tt.line, tt.expected, tt.sockets)
		})
	}
}

func TestConnectedAndSkipped(t *testing.T) {
	in := "USER     CMD          PID   FD MOUNT       INUM MODE         SZ|DV R/W\n" +
		"root     init           1   wd /               2 drwxr-xr-x     512 r\n" +
		"root     sshd         812    3* unix stream c1234567 <-> c7654321\n" +
		"_ntp     ntpd       12345    4* internet dgram udp 0xffff800000123456 10.0.0.5:41230 <-> 192.0.2.1:123\n" +
		"root     sshd         812    5* internet6 stream tcp 0xffff800000654321 [2001:db8::1]:22 <-- [2001:db8::2]:50000\n" +
		"root     ping         999    3* internet raw icmp 0xffff800000111111\n" +
		"root     foo          998    3* internet stream tcp\n"
	res, err := fstat.New().Parse(strings.NewReader(in), "-")
	if err != nil {
		t.Fatal(err)
	}
	parsetest.CheckCounts(t, res)
	if len(res.Problems) != 0 || res.Parsed != 2 || res.Skipped != 5 {
		t.Fatalf("problems %v parsed %d skipped %d", res.Problems, res.Parsed, res.Skipped)
	}
	s := res.Snapshot
	if len(s.Gaps) != 1 || s.Gaps[0].Reason != "no-address" || s.Gaps[0].Count != 1 {
		t.Errorf("gaps %+v", s.Gaps)
	}
	udp := find(t, s, snapshot.UDP, "10.0.0.5:41230")
	if len(udp) != 1 || udp[0].State != snapshot.Established || udp[0].Remote != netip.MustParseAddrPort("192.0.2.1:123") {
		t.Errorf("udp %+v", udp)
	}
	tcp := find(t, s, snapshot.TCP, "[2001:db8::1]:22")
	if len(tcp) != 1 || tcp[0].State != snapshot.Established || tcp[0].Owners[0].FDs[0] != 5 {
		t.Errorf("tcp %+v", tcp)
	}
}

// The order of "<->" addresses depends on the fstat: current NetBSD (no
// kernel addresses anywhere) prints the foreign address first, OpenBSD
// (kernel addresses on TCP rows) the local one.
func TestAddressOrder(t *testing.T) {
	tests := []struct {
		name, in      string
		local, remote string
		problemLines  []int
	}{
		{"netbsd current", "root sshd 812 3* internet stream tcp 192.0.2.2:50000 <-> 192.0.2.1:22\n" +
			"root sshd 700 4* internet stream tcp *:22\n" +
			"root x 1 1* internet stream tcp 192.0.2.2:1 <-> 192.0.2.1:99999\n" +
			"garbage\n",
			"192.0.2.1:22", "192.0.2.2:50000", []int{3, 4}},
		{"openbsd", "_ntp ntpd 5 3* internet dgram udp 10.0.0.5:41230 <-> 192.0.2.1:123\n" +
			"root sshd 9 3* internet stream tcp 0xffff800000123456 *:22\n",
			"10.0.0.5:41230", "192.0.2.1:123", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := fstat.New().Parse(strings.NewReader(tt.in), "-")
			if err != nil {
				t.Fatal(err)
			}
			parsetest.CheckCounts(t, res)
			var lines []int
			for _, p := range res.Problems {
				lines = append(lines, p.Line)
			}
			if !slicesEqual(lines, tt.problemLines) {
				t.Errorf("problem lines %v, want %v", lines, tt.problemLines)
			}
			var found bool
			for _, so := range res.Snapshot.Sockets {
				if so.Remote.IsValid() {
					found = true
					if so.Local.String() != tt.local || so.Remote.String() != tt.remote || so.State != snapshot.Established {
						t.Errorf("got %v <- %v %s, want local %s remote %s", so.Local, so.Remote, so.State, tt.local, tt.remote)
					}
				}
			}
			if !found {
				t.Errorf("connected socket missing: %+v", res.Snapshot.Sockets)
			}
		})
	}
}

// Each input is detected as fstat, above every other parser of this family.
func TestDetect(t *testing.T) {
	parsetest.DetectFiles(t, fstat.New(), lsof.Table, lsof.Fields, sockstat.New())
}

func FuzzParse(f *testing.F) {
	parsetest.Fuzz(f, fstat.New(), []byte("root x 1 2* internet6 stream tcp 0xffff [fe80::1%lo0]:1 <-> *:0\n"))
}

// BenchmarkParseExercise parses the seed's exercise output (41 lines).
func BenchmarkParseExercise(b *testing.B) {
	in, err := os.ReadFile("testdata/netbsd-fstat-n-exercise.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fstat.New().Parse(bytes.NewReader(in), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
