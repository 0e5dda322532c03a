package lsof_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
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

func run(t *testing.T, p parse.Parser, in, name string) *parse.Result {
	t.Helper()
	return parsetest.Parse(t, p, in, name)
}

// corpus lists every input in testdata with its format and what the
// parse must show. Every input parses without a problem: the full listing
// ran without -n, and its three rows that name the host "kbrazil-ubuntu"
// keep the name as LocalText with an unknown address.
var corpus = []struct {
	file     string
	parser   parse.Parser
	os       string
	sockets  int
	problems []int // line numbers
	gap      bool
}{
	{"linux-inspec-nP-i-FpctPn.txt", lsof.Fields, "", 17, nil, false},
	{"linux-ubuntu-18.04-full-sudo.txt", lsof.Table, "linux", 7, nil, false},
	{"linux-ubuntu-18.04-nonroot.txt", lsof.Table, "linux", 0, nil, true},
	{"macos-PiTCP-sTCP-LISTEN-names.txt", lsof.Table, "", 13, nil, false},
	{"macos-Pn-i4.txt", lsof.Table, "", 10, nil, false},
	{"linux-netns-lsof-F.txt", lsof.Fields, "linux", 8, nil, false},
	{"linux-netns-lsof-FpcLuftPn.txt", lsof.Fields, "", 7, nil, false},
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) != len(corpus) {
		t.Fatalf("testdata has %d inputs, the table %d", len(files), len(corpus))
	}
	for _, tt := range corpus {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, tt.parser, string(b), tt.file)
			s := res.Snapshot
			var lines []int
			for _, p := range res.Problems {
				lines = append(lines, p.Line)
				t.Errorf("problem %v", p)
			}
			if !slices.Equal(lines, tt.problems) {
				t.Errorf("problem lines %v, want %v", lines, tt.problems)
			}
			if s.OS != tt.os || len(s.Sockets) != tt.sockets || (len(s.Gaps) > 0) != tt.gap {
				t.Errorf("OS %q sockets %d gaps %v; want %q %d gap %v", s.OS, len(s.Sockets), s.Gaps, tt.os, tt.sockets, tt.gap)
			}
			if s.Source != "parse/"+tt.parser.Format() {
				t.Errorf("source %q", s.Source)
			}
			golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", parsetest.GoldenOf(res))
		})
	}
}

func TestFullListing(t *testing.T) {
	b, err := os.ReadFile("testdata/linux-ubuntu-18.04-full-sudo.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := run(t, lsof.Table, string(b), "full").Snapshot
	// containerd's listener appears once per thread (TID column): one
	// socket, one owner, one descriptor.
	c := parsetest.Find(s, snapshot.TCP, "127.0.0.1:42351")
	if c == nil || c.Inode != 30727 || len(c.Owners) != 1 || c.Owners[0].PID != 1112 || !slices.Equal(c.Owners[0].FDs, []int{7}) {
		t.Fatalf("containerd %+v", c)
	}
	if !slices.Equal(c.Truncated, []string{lsof.TruncName}) || c.Owners[0].Name != "container" {
		t.Errorf("a 9-character name must be flagged: %+v", c)
	}
	// Service names are mapped back: "localhost:domain" and "*:ssh".
	if d := parsetest.Find(s, snapshot.UDP, "127.0.0.1:53"); d == nil || d.State != snapshot.Unconnected || d.Owners[0].User != "systemd-resolve" {
		t.Errorf("resolved %+v", d)
	}
	if ssh := parsetest.Find(s, snapshot.TCP, "[::]:22"); ssh == nil || ssh.Inode != 30180 || ssh.Owners[0].FDs[0] != 4 {
		t.Errorf("sshd v6 %+v", ssh)
	}
}

func TestNonRoot(t *testing.T) {
	b, err := os.ReadFile("testdata/linux-ubuntu-18.04-nonroot.txt")
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, lsof.Table, string(b), "nonroot")
	g := res.Snapshot.Gaps
	if len(g) != 1 || g[0].Area != "processes" || g[0].Reason != "permission-denied" || g[0].Count != 163 {
		t.Errorf("gaps %+v", g)
	}
	// A socket found next to denied rows has a partial owner list.
	in := "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n" +
		"systemd 1 root cwd unknown /proc/1/cwd (readlink: Permission denied)\n" +
		"python3 4242 me 3u IPv4 99 0t0 TCP 127.0.0.1:8000 (LISTEN)\n"
	s := run(t, lsof.Table, in, "-").Snapshot
	if len(s.Sockets) != 1 || s.Sockets[0].OwnerState != snapshot.OwnersPartial || s.Sockets[0].OwnerReason == "" {
		t.Errorf("sockets %+v", s.Sockets)
	}
}

// Linux lsof prints sockets of other network namespaces without addresses;
// they become a Gap, counted once per inode.
func TestOtherNamespace(t *testing.T) {
	in := "COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n" +
		"python3 32359 root  cwd    DIR  254,0     4096   246947 /tmp\n" +
		"python3 32359 root    3u  sock    0,9      0t0   302246 protocol: TCP\n" +
		"python3 32360 root    3u  sock    0,9      0t0   302246 protocol: TCP\n" +
		"python3 32359 root    4u  sock    0,9      0t0   302247 protocol: UDPv6\n" +
		"dbus-daem  1048 messagebus 5u sock 0,9 0t0 29373 protocol: NETLINK\n" +
		"python3 32359 root    5u  IPv4 302250      0t0  TCP 127.0.0.1:8000 (LISTEN)\n"
	res := run(t, lsof.Table, in, "-")
	if len(res.Problems) != 0 || res.Skipped != 6 || len(res.Snapshot.Sockets) != 1 {
		t.Fatalf("problems %v skipped %d sockets %d", res.Problems, res.Skipped, len(res.Snapshot.Sockets))
	}
	g := res.Snapshot.Gaps
	if len(g) != 1 || g[0].Area != "sockets" || g[0].Reason != "other-namespace" || g[0].Count != 2 {
		t.Errorf("gaps %+v", g)
	}
}

func TestTableShapes(t *testing.T) {
	in := "COMMAND     PID   TID TASKCMD   USER   FD   TYPE DEVICE SIZE/OFF NODE NAME\n" +
		"sshd        812               root    3u  IPv4  1001      0t0  TCP *:22 (LISTEN)\n" +
		"sshd        812   813 sshd     root    3u  IPv4  1001      0t0  TCP *:22 (LISTEN)\n" +
		"sshd        900               root    3u  IPv4  1001      0t0  TCP *:22 (LISTEN)\n" +
		"chronyd     700             chrony    5u  IPv6  1002      0t0  UDP [::1]:323\n" +
		"ntpd        701               1000   20u  IPv6  1003      0t0  UDP [fe80::1%eth0]:123\n" +
		"curl        702               root    4u  IPv6  1004      0t0  TCP [2001:db8::1]:41000->[2001:db8::2]:443 (SYN_SENT)\n" +
		"dnsmasq     703            dnsmasq    4u  IPv4  1005      0t0  UDP 192.0.2.1:53->198.51.100.1:53\n" +
		"ping        704               root    3u  IPv4  1006      0t0  ICMP *:*\n" +
		"bash        705               root  cwd   DIR   8,1     4096    2 /\n"
	res := run(t, lsof.Table, in, "-")
	if len(res.Problems) != 0 {
		t.Fatalf("problems %v", res.Problems)
	}
	s := res.Snapshot
	if s.OS != "linux" || len(s.Sockets) != 5 {
		t.Fatalf("OS %q, %d sockets", s.OS, len(s.Sockets))
	}
	ssh := parsetest.Find(s, snapshot.TCP, "0.0.0.0:22")
	if ssh == nil || len(ssh.Owners) != 2 || ssh.Owners[0].PID != 812 || ssh.Owners[1].PID != 900 || ssh.Inode != 1001 {
		t.Errorf("sshd %+v", ssh)
	}
	if c := parsetest.Find(s, snapshot.UDP, "[::1]:323"); c == nil || c.State != snapshot.Unconnected {
		t.Errorf("chronyd %+v", c)
	}
	if n := parsetest.Find(s, snapshot.UDP, "[fe80::1%eth0]:123"); n == nil || n.Owners[0].UID == nil || *n.Owners[0].UID != 1000 || n.Owners[0].User != "" {
		t.Errorf("ntpd %+v", n)
	}
	if c := parsetest.Find(s, snapshot.TCP, "[2001:db8::1]:41000"); c == nil || c.State != "SYN-SENT" || c.Remote != netip.MustParseAddrPort("[2001:db8::2]:443") {
		t.Errorf("curl %+v", c)
	}
	if d := parsetest.Find(s, snapshot.UDP, "192.0.2.1:53"); d == nil || d.State != snapshot.Established {
		t.Errorf("dnsmasq %+v", d)
	}
}

func TestFieldShapes(t *testing.T) {
	in := "p812\x00csshd\x00u0\x00Lroot\x00R1\x00\n" +
		"f3\x00tIPv4\x00d1001\x00PTCP\x00n*:22\x00TST=LISTEN\x00TQR=0\x00TQS=0\x00\n" +
		"f4\x00tIPv6\x00PTCP\x00n[::]:22\x00TST=LISTEN\x00\n" +
		"fcwd\x00tDIR\x00n/\x00\n" +
		"p900\n" + "csshd\n" + "f3\n" + "tIPv4\n" + "d1001\n" + "PTCP\n" + "n*:22\n" + "TST=LISTEN\n" +
		"f5\n" + "tIPv4\n" + "PUDP\n" + "n10.0.0.1:5353->192.0.2.53:53\n"
	res := run(t, lsof.Fields, in, "-")
	if len(res.Problems) != 0 {
		t.Fatalf("problems %v", res.Problems)
	}
	s := res.Snapshot
	if len(s.Sockets) != 3 || res.Skipped != 1 {
		t.Fatalf("%d sockets, %d skipped: %+v", len(s.Sockets), res.Skipped, s.Sockets)
	}
	ssh := parsetest.Find(s, snapshot.TCP, "0.0.0.0:22")
	if ssh == nil || len(ssh.Owners) != 2 || ssh.Inode != 1001 || ssh.State != snapshot.Listen {
		t.Fatalf("sshd %+v", ssh)
	}
	o := ssh.Owners[0]
	if o.PID != 812 || o.Name != "sshd" || o.User != "root" || o.UID == nil || *o.UID != 0 || o.PPID != 1 || !slices.Equal(o.FDs, []int{3}) {
		t.Errorf("owner %+v", o)
	}
	if u := parsetest.Find(s, snapshot.UDP, "10.0.0.1:5353"); u == nil || u.State != snapshot.Established || u.Owners[0].PID != 900 {
		t.Errorf("udp %+v", u)
	}
}

func TestBadInput(t *testing.T) {
	const row = "sshd 812 root 3u IPv4 1001 0t0 TCP *:22 (LISTEN)\n"
	tests := []struct {
		name     string
		parser   parse.Parser
		in       string
		line     int
		expected string
	}{
		{"garbage", lsof.Table, row + "something else entirely\n", 2, "lsof row: COMMAND PID [TID] USER FD TYPE DEVICE SIZE/OFF NODE NAME"},
		{"netstat line", lsof.Table, row + "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 812/sshd\n", 2, "lsof row: COMMAND PID [TID] USER FD TYPE DEVICE SIZE/OFF NODE NAME"},
		{"empty port", lsof.Table, "x 1 root 3u IPv4 1002 0t0 TCP *: (LISTEN)\n" + row, 1, "numeric port or a known service name (run the tool with -P)"},
		{"bad address", lsof.Table, row + "x 1 root 3u IPv4 1002 0t0 TCP 1.2.3:22 (LISTEN)\n", 2, "address as ADDR:PORT, [IPv6]:PORT or *:PORT"},
		{"unknown state", lsof.Table, row + "x 1 root 3u IPv4 1002 0t0 TCP *:23 (DANCING)\n", 2, "TCP state such as (LISTEN) or (ESTABLISHED)"},
		{"no node", lsof.Table, row + "x 1 root 3u IPv4 1002 0t0\n", 2, "internet socket row: ... FD IPv4|IPv6 DEVICE [SIZE/OFF] TCP|UDP ADDR:PORT[->ADDR:PORT] [(STATE)]"},
		{"long line", lsof.Table, row + strings.Repeat("z", 70000) + "\n", 2, "a line shorter than 64 KiB"},
		{"F unknown field", lsof.Fields, "p1\ncsshd\nf3\ntIPv4\nPTCP\nn*:22\nXoops\n", 7, "lsof -F field: one of the letters p c u L R g f a l t d D s o i k P n T, then its value"},
		{"F bad pid", lsof.Fields, "p1\ncsshd\nf3\ntIPv4\nPTCP\nn*:22\npabc\n", 7, "numeric process ID after p"},
		{"F file before process", lsof.Fields, "f3\ntIPv4\np1\nf3\ntIPv4\nPTCP\nn*:22\n", 1, "numeric process ID after p"},
		{"F no protocol", lsof.Fields, "p1\nf3\ntIPv4\nPTCP\nn*:22\np2\nf4\ntIPv4\nn*:23\n", 8, "a P field with the protocol (run lsof -F with P)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.parser, tt.in, "in.txt")
			parsetest.BadLine(t, res, "in.txt", tt.line, tt.expected, 1)
		})
	}
}

// TestNamesKeepText: a host name (no -n) or an unmapped service name (no
// -P) keeps the socket, with the text as lsof printed it; nothing is
// guessed.
func TestNamesKeepText(t *testing.T) {
	tests := []struct {
		name                  string
		parser                parse.Parser
		in                    string
		local, remote         string
		localText, remoteText string
		localPort             uint16
		state                 snapshot.State
		portText              string
	}{
		{"host name", lsof.Table, "sshd 813 root 3u IPv4 1002 0t0 TCP myhost:22 (LISTEN)\n",
			"invalid AddrPort", "invalid AddrPort", "myhost", "", 22, snapshot.Listen, ""},
		{"host names on both ends", lsof.Table, "sshd 16944 root 3u IPv4 207375 0t0 TCP kbrazil-ubuntu:ssh->gw.example:65159\n",
			"invalid AddrPort", "invalid AddrPort", "kbrazil-ubuntu", "gw.example", 22, snapshot.Established, ""},
		{"unmapped service", lsof.Table, "x 1 root 3u IPv4 1002 0t0 TCP *:no-such-service (LISTEN)\n",
			"0.0.0.0:0", "invalid AddrPort", "", "", 0, snapshot.Listen, "no-such-service"},
		{"localhost keeps its name", lsof.Table, "x 1 root 3u IPv6 1002 0t0 TCP localhost:8000 (LISTEN)\n",
			"[::1]:8000", "invalid AddrPort", "localhost", "", 8000, snapshot.Listen, ""},
		{"F host name", lsof.Fields, "p2\nf4\ntIPv4\nPTCP\nnhost.example:22\n",
			"invalid AddrPort", "invalid AddrPort", "host.example", "", 22, snapshot.Listen, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.parser, tt.in, "in.txt")
			if len(res.Problems) != 0 || len(res.Snapshot.Sockets) != 1 {
				t.Fatalf("problems %v sockets %d", res.Problems, len(res.Snapshot.Sockets))
			}
			s := res.Snapshot.Sockets[0]
			if s.Local.String() != tt.local || s.Remote.String() != tt.remote || s.LocalText != tt.localText ||
				s.RemoteText != tt.remoteText || s.Local.Port() != tt.localPort || s.State != tt.state || s.PortText != tt.portText {
				t.Errorf("got local %v (port %d) %q port text %q remote %v %q state %s", s.Local, s.Local.Port(), s.LocalText, s.PortText, s.Remote, s.RemoteText, s.State)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	all := []parse.Parser{lsof.Table, lsof.Fields, fstat.New(), sockstat.New()}
	for _, tt := range corpus {
		parsetest.DetectAbove(t, filepath.Join("testdata", tt.file), tt.parser, all)
	}
	parsetest.NoProse(t, lsof.Table, lsof.Fields)
}

func fuzz(f *testing.F, p parse.Parser) {
	parsetest.Fuzz(f, p, []byte("p1\x00c\x00f3\x00tIPv6\x00PUDP\x00n[fe80::1%lo]:1->*:*\x00TST=X\n"))
}

func FuzzTable(f *testing.F)  { fuzz(f, lsof.Table) }
func FuzzFields(f *testing.F) { fuzz(f, lsof.Fields) }

// BenchmarkTableFull parses the 343 KB full listing (2854 rows, mostly
// files that are skipped).
func BenchmarkTableFull(b *testing.B) {
	in, err := os.ReadFile("testdata/linux-ubuntu-18.04-full-sudo.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lsof.Table.Parse(bytes.NewReader(in), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
