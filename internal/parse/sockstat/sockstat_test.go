package sockstat_test

import (
	"fmt"
	"net/netip"
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

func parseString(t *testing.T, in, name string) *parse.Result {
	t.Helper()
	return parsetest.Parse(t, sockstat.New(), in, name)
}

func parseFile(t *testing.T, path string) *parse.Result {
	t.Helper()
	return parsetest.ParseFile(t, sockstat.New(), path)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file             string
		os               string
		sockets, skipped int
	}{
		{"freebsd-4.txt", "freebsd", 5, 1},
		{"freebsd-salt-fat-pid.txt", "freebsd", 1, 1},
		{"freebsd-u-unix-only.txt", "", 0, 8},
		{"netbsd-4ln.txt", "netbsd", 3, 1},
		// sockstat -6 prints only tcp6/udp6: FreeBSD all the same
		// (ADDR:PORT), whose default is v6-only.
		{"freebsd-smoketests-6.txt", "freebsd", 2, 1},
		{"freebsd-smoketests-l.txt", "freebsd", 4, 10},
		{"freebsd-13-46l-nixcraft.txt", "freebsd", 15, 1},
	}
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) != len(tests) {
		t.Fatalf("testdata has %d inputs, the table %d", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			res := parseFile(t, path)
			for _, p := range res.Problems {
				t.Errorf("problem: %v", p)
			}
			s := res.Snapshot
			if s.OS != tt.os || len(s.Sockets) != tt.sockets || res.Skipped != tt.skipped {
				t.Errorf("OS %q sockets %d skipped %d, want %q %d %d", s.OS, len(s.Sockets), res.Skipped, tt.os, tt.sockets, tt.skipped)
			}
			golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", parsetest.GoldenOf(res))
		})
	}
}

func TestFreeBSDSharedListener(t *testing.T) {
	s := parseFile(t, "testdata/freebsd-4.txt").Snapshot
	httpd := parsetest.Find(s, snapshot.TCP, "0.0.0.0:80")
	if httpd == nil {
		t.Fatal("no tcp *:80")
	}
	if want := []int{894, 913, 914, 915, 916, 917}; !slices.Equal(parsetest.PIDs(httpd.Owners), want) {
		t.Errorf("httpd owners %v, want %v", parsetest.PIDs(httpd.Owners), want)
	}
	if httpd.State != snapshot.Listen || httpd.OwnerState != snapshot.OwnersComplete || httpd.V6Only != nil {
		t.Errorf("httpd %+v", httpd)
	}
	ssh := parsetest.Find(s, snapshot.TCP, "192.168.5.2:22")
	if ssh == nil || ssh.State != snapshot.Established || ssh.Remote != netip.MustParseAddrPort("192.168.5.4:55525") {
		t.Errorf("ssh %+v", ssh)
	}
	if sl := parsetest.Find(s, snapshot.UDP, "0.0.0.0:514"); sl == nil || sl.State != snapshot.Unconnected || sl.Owners[0].FDs[0] != 7 {
		t.Errorf("syslogd %+v", sl)
	}
}

func TestFatPID(t *testing.T) {
	s := parseFile(t, "testdata/freebsd-salt-fat-pid.txt").Snapshot
	so := parsetest.Find(s, snapshot.TCP, "127.0.0.1:61115")
	if so == nil {
		t.Fatal("socket lost")
	}
	if so.OwnerState != snapshot.OwnersUnknown || len(so.Owners) != 0 || so.User != "salt-master" {
		t.Errorf("socket %+v", so)
	}
	if !slices.Equal(so.Truncated, []string{sockstat.TruncCommandPID}) {
		t.Errorf("truncated %v", so.Truncated)
	}
	for _, want := range []string{`"python2.781106"`, "python2.7 (PID 81106)", "python2.78 (PID 1106)"} {
		if !strings.Contains(so.OwnerReason, want) {
			t.Errorf("reason %q lacks %q", so.OwnerReason, want)
		}
	}
	// A merge that can be split one way only is split, and flagged.
	in := "USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS    FOREIGN ADDRESS\n" +
		"averylonguser nginx5 3 tcp4 *:8080 *:*\n" +
		"root     somedaemon 77 4 tcp46 *:9090 *:*\n"
	s = parseString(t, in, "-").Snapshot
	so = parsetest.Find(s, snapshot.TCP, "0.0.0.0:8080")
	if so == nil || len(so.Owners) != 1 || so.Owners[0].PID != 5 || so.Owners[0].Name != "nginx" || so.OwnerState != snapshot.OwnersComplete {
		t.Fatalf("split %+v", so)
	}
	if !slices.Equal(so.Truncated, []string{sockstat.TruncCommandPID}) {
		t.Errorf("truncated %v", so.Truncated)
	}
	dual := parsetest.Find(s, snapshot.TCP, "[::]:9090")
	if dual == nil || dual.V6Only == nil || *dual.V6Only || !slices.Equal(dual.Truncated, []string{sockstat.TruncName}) {
		t.Errorf("tcp46 %+v", dual)
	}
}

func TestNoOwnerAndState(t *testing.T) {
	in := "?        ?          ?     ?  tcp4   *:2049                *:*\n" +
		"root     sshd       812   3  tcp6   [2001:db8::1]:22      [2001:db8::2]:5000  ESTABLISHED\n" +
		"root     ntpd       90    20 udp6   fe80::1%em0:123       *:*\n" +
		"root     named      70    21 udp    10.0.0.1.53           *.*\n" +
		"root     dhclient   99    5  udp4   *:*                   *:*\n"
	res := parseString(t, in, "-")
	if len(res.Problems) != 0 {
		t.Fatalf("problems %v", res.Problems)
	}
	s := res.Snapshot
	if s.OS != "" {
		t.Errorf("mixed FreeBSD and NetBSD rows give OS %q", s.OS)
	}
	if so := parsetest.Find(s, snapshot.TCP, "0.0.0.0:2049"); so == nil || so.OwnerState != snapshot.OwnersUnknown || so.OwnerReason == "" || len(so.Owners) != 0 || so.User != "" {
		t.Errorf("nfsd %+v", so)
	}
	if so := parsetest.Find(s, snapshot.TCP, "[2001:db8::1]:22"); so == nil || so.State != snapshot.Established {
		t.Errorf("ssh %+v", so)
	}
	if so := parsetest.Find(s, snapshot.UDP, "[fe80::1%em0]:123"); so == nil || so.State != snapshot.Unconnected {
		t.Errorf("ntpd %+v", so)
	}
	if so := parsetest.Find(s, snapshot.UDP, "10.0.0.1:53"); so == nil || so.Owners[0].Name != "named" {
		t.Errorf("named %+v", so)
	}
	// An unbound socket: the wildcard without a port, kept.
	if so := parsetest.Find(s, snapshot.UDP, "0.0.0.0:0"); so == nil || so.State != snapshot.Unconnected || so.Remote.IsValid() || so.Owners[0].PID != 99 {
		t.Errorf("dhclient %+v", so)
	}
}

func TestBadInput(t *testing.T) {
	const row = "root     sshd       828   5  tcp4   *:22                  *:*\n"
	tests := []struct {
		name, in, expected string
		line               int
	}{
		{"garbage", row + "this is not sockstat\n", "sockstat row: USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS", 2},
		{"netstat line", row + "tcp 0 0 *.22 *.* LISTEN\n", "sockstat row: USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS", 2},
		{"unknown proto", "root sshd 828 5 ddp4 *:22 *:*\n" + row, "sockstat row: USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS", 1},
		{"bad address", row + "root sshd 828 6 tcp4 1.2.3:22 *:*\n", "address as ADDR:PORT, [IPv6]:PORT, *:PORT or ADDR.PORT", 2},
		{"bad port", row + "root sshd 828 6 tcp4 *:65536 *:*\n", "address as ADDR:PORT, [IPv6]:PORT, *:PORT or ADDR.PORT", 2},
		{"missing foreign", row + "root sshd 828 6 tcp4 *:23\n", "sockstat row: USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS", 2},
		{"bad pid", row + "root sshd x12 6 tcp4 *:23 *:*\n", "numeric PID and FD", 2},
		{"long line", row + strings.Repeat("y", 70000) + "\n", "a line shorter than 64 KiB", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, tt.in, "in.txt")
			if len(res.Problems) != 1 {
				t.Fatalf("problems %v, want 1", res.Problems)
			}
			parsetest.BadLine(t, res, "in.txt", tt.line, tt.expected, 1)
		})
	}
}

func TestDetect(t *testing.T) {
	parsetest.DetectFiles(t, sockstat.New(), fstat.New(), lsof.Table, lsof.Fields)
}

func FuzzParse(f *testing.F) {
	parsetest.Fuzz(f, sockstat.New(), []byte("longusername python2.781106 3 tcp46 [fe80::1%em0]:1 *.* CLOSED\n"))
}

// TestNames: NetBSD's sockstat without -n prints host and service names.
// A known service name becomes its port; a host name keeps the port with an
// unknown address and the name as text; an unknown service name keeps the
// address with port 0 and the column as text. Nothing is guessed.
func TestNames(t *testing.T) {
	in := "USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS\n" +
		"root     sshd       340    4 tcp    *.ssh                 *.*\n" +
		"root     sshd       341    5 tcp    gw.example.org.ssh    client.example.net.51234\n" +
		"root     master     500   12 tcp    localhost.smtp        *.*\n" +
		"root     odd        600    3 udp    *.nosuchsvc           *.*\n"
	res, err := sockstat.New().Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || len(res.Snapshot.Sockets) != 4 {
		t.Fatalf("problems %v sockets %d", res.Problems, len(res.Snapshot.Sockets))
	}
	var got []string
	for _, s := range res.Snapshot.Sockets {
		got = append(got, fmt.Sprintf("%s %v/%d %q %v/%d %q %s", s.Proto, s.Local, s.Local.Port(), s.LocalText, s.Remote, s.Remote.Port(), s.RemoteText, s.State))
	}
	want := []string{
		`tcp invalid AddrPort/22 "gw.example.org" invalid AddrPort/51234 "client.example.net" ESTAB`,
		`tcp 0.0.0.0:22/22 "" invalid AddrPort/0 "" LISTEN`,
		`tcp 127.0.0.1:25/25 "" invalid AddrPort/0 "" LISTEN`,
		`udp 0.0.0.0:0/0 "*.nosuchsvc" invalid AddrPort/0 "" UNCONN`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sockets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
