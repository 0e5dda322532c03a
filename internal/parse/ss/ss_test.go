package ss

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/parse/parsetest"
	"github.com/openports/openports/internal/snapshot"
)

type goldenResult struct {
	Format   string             `json:"format"`
	Lines    int                `json:"lines"`
	Parsed   int                `json:"parsed"`
	Skipped  int                `json:"skipped"`
	Problems []parse.LineError  `json:"problems,omitempty"`
	Snapshot *snapshot.Snapshot `json:"snapshot"`
}

func corpusFiles(t testing.TB, dir string) []string {
	all, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no corpus files in %s: %v", dir, err)
	}
	var files []string
	for _, f := range all {
		if filepath.Base(f) != forgedName {
			files = append(files, f)
		}
	}
	return files
}

// forgedName is the one real output whose lines are not all understood
// (TestUnreadableProcessColumn): the others must parse without problems.
const forgedName = "linux-netns-ss-tulpnHe-forged-name.txt"

// TestUnreadableProcessColumn: a process that named itself a",pid=1,fd=3
// leaves ss's process column unreadable. Its socket is kept, with its
// owner unknown (it was dropped with the line), and the line is a problem;
// no owner of PID 1 is read from the name.
func TestUnreadableProcessColumn(t *testing.T) {
	path := filepath.Join("testdata", forgedName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := parsetest.Parse(t, New(), string(data), forgedName)
	if len(res.Problems) != 1 || res.Problems[0].Line != 6 {
		t.Fatalf("problems %v, want one, for line 6", res.Problems)
	}
	if len(res.Snapshot.Sockets) != res.Parsed+1 {
		t.Errorf("%d sockets for %d parsed lines and the one whose column is unreadable", len(res.Snapshot.Sockets), res.Parsed)
	}
	found := false
	for _, s := range res.Snapshot.Sockets {
		for _, o := range s.Owners {
			if o.PID == 1 {
				t.Errorf("socket %v: owner PID 1 read from a process name", s.Local)
			}
		}
		if s.Local.Port() != 8080 {
			continue
		}
		found = true
		if s.OwnerState != snapshot.OwnersUnknown || s.OwnerReasonCode != "unreadable-process-column" || len(s.Owners) > 0 {
			t.Errorf("socket %v: owners %v, state %q, code %q; want unknown, unreadable-process-column", s.Local, s.Owners, s.OwnerState, s.OwnerReasonCode)
		}
	}
	if !found {
		t.Errorf("the socket on port 8080, whose process column is unreadable, is missing")
	}
	golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", goldenResult{Format, res.Lines, res.Parsed, res.Skipped, res.Problems, res.Snapshot})
}

func TestCorpusGolden(t *testing.T) {
	for _, path := range corpusFiles(t, "testdata") {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := New().Parse(bytes.NewReader(data), name)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, res)
			for _, p := range res.Problems {
				t.Errorf("problem: %v", p)
			}
			golden.CheckJSON(t, strings.TrimSuffix(path, ".txt")+".golden.json", goldenResult{Format, res.Lines, res.Parsed, res.Skipped, res.Problems, res.Snapshot})
		})
	}
}

func checkInvariants(t *testing.T, res *parse.Result) {
	t.Helper()
	parsetest.CheckCounts(t, res)
	if len(res.Snapshot.Sockets) != res.Parsed {
		t.Errorf("%d sockets for %d parsed lines", len(res.Snapshot.Sockets), res.Parsed)
	}
	for _, s := range res.Snapshot.Sockets {
		if s.OwnerState == "" || (s.OwnerState != snapshot.OwnersComplete && s.OwnerReason == "") {
			t.Errorf("socket %v: owner state %q, reason %q", s.Local, s.OwnerState, s.OwnerReason)
		}
	}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, res.Snapshot); err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Read(&buf); err != nil {
		t.Errorf("snapshot does not read back: %v", err)
	}
}

// TestDetect checks that every ss corpus file is detected as ss above the
// netstat dialects, and every netstat corpus file scores below them.
func TestDetect(t *testing.T) {
	parsers := append([]parse.Parser{New()}, netstat.All()...)
	check := func(path, want string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sample := data[:min(len(data), 4096)]
		scores := map[string]int{}
		for _, p := range parsers {
			scores[p.Format()] = p.Detect(sample)
		}
		for f, s := range scores {
			if f != want && s >= scores[want] {
				t.Errorf("%s: %s scores %d, not below %s's %d", filepath.Base(path), f, s, want, scores[want])
			}
		}
	}
	for _, path := range corpusFiles(t, "testdata") {
		check(path, Format)
	}
	for _, path := range corpusFiles(t, filepath.Join("..", "netstat", "testdata")) {
		name := filepath.Base(path)
		want := netstat.FormatBSD
		switch {
		case strings.HasPrefix(name, "linux-"):
			want = netstat.FormatLinux
		case strings.HasPrefix(name, "macos-"):
			want = netstat.FormatDarwin
		}
		check(path, want)
	}
}

func TestUsers(t *testing.T) {
	tests := []struct {
		in   string
		want []snapshot.Owner
		err  bool
	}{
		{`users:(("sshd",pid=1,fd=3))`, []snapshot.Owner{{PID: 1, Name: "sshd", FDs: []int{3}}}, false},
		{`users:(("sendmail",3965,4))`, []snapshot.Owner{{PID: 3965, Name: "sendmail", FDs: []int{4}}}, false},
		{`users:(("nginx",pid=583,fd=8),("nginx",pid=582,fd=8),("nginx",pid=583,fd=9))`,
			[]snapshot.Owner{{PID: 583, Name: "nginx", FDs: []int{8, 9}}, {PID: 582, Name: "nginx", FDs: []int{8}}}, false},
		{`users:(("Web Content",pid=7,fd=1))`, []snapshot.Owner{{PID: 7, Name: "Web Content", FDs: []int{1}}}, false},
		{`users:(("a\",b",pid=7,fd=1))`, []snapshot.Owner{{PID: 7, Name: `a\",b`, FDs: []int{1}}}, false},
		{`users:(("x",pid=0,fd=1))`, nil, true},
		{`users:(("x",pid=1,fd=1)`, nil, true},
		{`users:(("x",pid=a,fd=1))`, nil, true},
		{`users:()`, nil, true},
		// One ss prints one form; a mix, or an empty name, is no ss
		// column as written (review): unreadable.
		{`users:(("x",1,3),("y",pid=2,fd=4))`, nil, true},
		{`users:(("y",pid=2,fd=4),("x",1,3))`, nil, true},
		{`users:(("x",1,fd=3))`, nil, true},
		{`users:(("",pid=2,fd=4))`, nil, true},
		{`users:(("",2,4))`, nil, true},
		{`users:(("x",1,3),("y",2,4))`, []snapshot.Owner{{PID: 1, Name: "x", FDs: []int{3}}, {PID: 2, Name: "y", FDs: []int{4}}}, false},
	}
	for _, tt := range tests {
		got, exp := parseUsers(tt.in)
		if (exp != "") != tt.err {
			t.Errorf("parseUsers(%s) error %q, want error %v", tt.in, exp, tt.err)
			continue
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(tt.want)
		if !bytes.Equal(g, w) {
			t.Errorf("parseUsers(%s) = %s, want %s", tt.in, g, w)
		}
	}
}

// TestMixedUsersLine: a line whose process column mixes ss's old and new
// entry forms keeps its socket with the owner unknown, and is a problem;
// before, PIDs 1 and 2 were read as its owners.
func TestMixedUsersLine(t *testing.T) {
	for _, users := range []string{`users:(("x",1,3),("y",pid=2,fd=4))`, `users:(("",pid=2,fd=4))`} {
		line := "tcp LISTEN 0 128 0.0.0.0:7001 0.0.0.0:* " + users + " ino:743424 sk:1093 cgroup:/ <->\n"
		res := parsetest.Parse(t, New(), line, "built")
		if len(res.Problems) != 1 || len(res.Snapshot.Sockets) != 1 {
			t.Fatalf("%s: problems %v, sockets %d; want one of each", users, res.Problems, len(res.Snapshot.Sockets))
		}
		sk := res.Snapshot.Sockets[0]
		if sk.Local.Port() != 7001 || sk.OwnerState != snapshot.OwnersUnknown || sk.OwnerReasonCode != "unreadable-process-column" || len(sk.Owners) != 0 {
			t.Errorf("%s: socket %v, owners %v, state %q, code %q; want 7001, unknown, unreadable-process-column", users, sk.Local, sk.Owners, sk.OwnerState, sk.OwnerReasonCode)
		}
	}
}

func TestLines(t *testing.T) {
	in := strings.Join([]string{
		"Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
		`udp   UNCONN 0      0      [fe80::1]%ens5:546  [::]:*    users:(("systemd-network",pid=591,fd=20))`,
		`udp   UNCONN 0      0      *%eth0:67           *:*       users:(("dnsmasq",pid=9,fd=3))`,
		`tcp   LISTEN 0      128    [::ffff:127.0.0.1]:8080 *:*   users:(("java",pid=5,fd=7)) uid:1000 ino:4242 sk:1f cgroup:/system.slice v6only:0 <->`,
		`tcp   LISTEN 0      128    *:22                *:*       users:(("sshd",pid=1,fd=3),("sshd",pid=2,fd=3))`,
		`tcp   LISTEN 0      128    [::]:22             [::]:*    ino:77 sk:ffff88013a3b5800 v6only:1`,
		`tcp   ESTAB  0      0      192.0.2.1:22        198.51.100.7:50000 users:(("sshd",pid=3,fd=4))`,
		"\t cubic wscale:7,7 rto:204",
		`u_str LISTEN 0      4096   /run/foo.sock 1234  * 0`,
		`dccp  LISTEN 0      5      0.0.0.0:5000        0.0.0.0:*`,
		`tcp   LISTEN 0      5      myhost:22           0.0.0.0:*`,
		"garbage",
		`udp   UNCONN 0      0      0.0.0.0:nosuchsvc   0.0.0.0:*`,
	}, "\n")
	res, err := New().Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, res)
	wantProblems := []parse.LineError{
		{File: "in", Line: 10, Text: `dccp  LISTEN 0      5      0.0.0.0:5000        0.0.0.0:*`, Expected: `a protocol openports models (tcp, udp, raw, sctp), got "dccp"`},
		{File: "in", Line: 12, Text: "garbage", Expected: expectLine},
	}
	if len(res.Problems) != len(wantProblems) {
		t.Fatalf("problems %v", res.Problems)
	}
	for i := range wantProblems {
		if res.Problems[i] != wantProblems[i] {
			t.Errorf("problem %d: got %+v want %+v", i, res.Problems[i], wantProblems[i])
		}
	}
	if res.Parsed != 8 || res.Skipped != 3 {
		t.Errorf("parsed %d skipped %d, want 8 and 3", res.Parsed, res.Skipped)
	}
	got, err := json.Marshal(res.Snapshot.Sockets)
	if err != nil {
		t.Fatal(err)
	}
	want := `[` +
		// ss without -n: the host name is kept as text with the port
		`{"proto":"tcp","local":"","state":"LISTEN","local_text":"myhost","owner_state":"unknown","owner_reason":"` + reasonNotShown + `","owner_reason_code":"tool-could-not-see","local_port":22},` +
		`{"proto":"tcp","local":"192.0.2.1:22","remote":"198.51.100.7:50000","state":"ESTAB","owners":[{"pid":3,"name":"sshd","fds":[4]}],"owner_state":"complete"},` +
		// current ss (Process header): "*" is the dual-stack IPv6 wildcard
		`{"proto":"tcp","local":"[::]:22","state":"LISTEN","v6only":false,"owners":[{"pid":1,"name":"sshd","fds":[3]},{"pid":2,"name":"sshd","fds":[3]}],"owner_state":"complete"},` +
		`{"proto":"tcp","local":"[::]:22","state":"LISTEN","inode":77,"kernel_addr":"ffff88013a3b5800","v6only":true,"owner_state":"unknown","owner_reason":"` + reasonNotShown + `","owner_reason_code":"tool-could-not-see"},` +
		`{"proto":"tcp","local":"[::ffff:127.0.0.1]:8080","state":"LISTEN","inode":4242,"uid":1000,"cookie":31,"v6only":false,"owners":[{"pid":5,"name":"java","fds":[7]}],"owner_state":"complete"},` +
		// an unmapped service name: port 0, the column kept as text
		`{"proto":"udp","local":"0.0.0.0:0","state":"UNCONN","owner_state":"unknown","owner_reason":"` + reasonNotShown + `","owner_reason_code":"tool-could-not-see","port_text":"nosuchsvc"},` +
		`{"proto":"udp","local":"[::]:67","state":"UNCONN","interface":"eth0","v6only":false,"owners":[{"pid":9,"name":"dnsmasq","fds":[3]}],"owner_state":"complete"},` +
		`{"proto":"udp","local":"[fe80::1%ens5]:546","state":"UNCONN","interface":"ens5","owners":[{"pid":591,"name":"systemd-network","fds":[20]}],"owner_state":"complete"}` +
		`]`
	if string(got) != want {
		t.Errorf("sockets:\n got  %s\n want %s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n",
		`tcp LISTEN 0 128 *:22 *:* users:(("sshd",pid=1,fd=3),("sshd",2,3)) ino:1 sk:2 v6only:0` + "\n",
		"LISTEN 0 4096 [::]:9999 [::]:* users:((\"docker-proxy\",pid=56817,fd=4))\n",
		"udp UNCONN 0 0 [fe80::1]%ens5:546 *%eth0:67\n\tcubic\n",
		"users:((\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := New()
		p.Detect(data)
		res, err := p.Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if res.Lines != res.Parsed+res.Skipped+len(res.Problems) {
			t.Fatalf("counts do not add up: %+v", res)
		}
	})
}

// TestWildcardV6Only checks what current ss's way of printing the IPv6
// wildcard says of IPV6_V6ONLY: "*" for a dual-stack socket, "[::]" for a
// v6-only one (seen from iproute2 6.1 against sockets whose flag the test
// set), and nothing for an output of old ss, whose forms differ.
func TestWildcardV6Only(t *testing.T) {
	const modern = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
	const old = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
	for _, c := range []struct {
		name, in string
		want     *bool
	}{
		{"current ss, [::]", modern + `tcp LISTEN 0 16 [::]:7002 [::]:* users:(("d",pid=1,fd=5))`, snapshot.Bool(true)},
		{"current ss, *", modern + `tcp LISTEN 0 16 *:7003 *:* users:(("d",pid=1,fd=5))`, snapshot.Bool(false)},
		{"current ss, [::] udp", modern + `udp UNCONN 0 0 [::]:7102 [::]:* users:(("d",pid=1,fd=5))`, snapshot.Bool(true)},
		{"current ss, [::] bound to a device", modern + `udp UNCONN 0 0 [::]%eth0:547 [::]:*`, snapshot.Bool(true)},
		{"v6only:0 wins over [::]", modern + `tcp LISTEN 0 16 [::]:22 [::]:* v6only:0`, snapshot.Bool(false)},
		{"specific address: not inferred", modern + `tcp LISTEN 0 16 [2001:db8::1]:7007 [::]:*`, nil},
		{"old ss: not inferred", old + `tcp LISTEN 0 128 [::]:22 [::]:*`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := New().Parse(strings.NewReader(c.in), "in")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) > 0 || len(res.Snapshot.Sockets) != 1 {
				t.Fatalf("problems %v, %d sockets; want none and 1", res.Problems, len(res.Snapshot.Sockets))
			}
			got := res.Snapshot.Sockets[0].V6Only
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("v6only %s, want %s", fmtV6Only(got), fmtV6Only(c.want))
			}
		})
	}
}

func fmtV6Only(b *bool) string {
	if b == nil {
		return "unset"
	}
	return fmt.Sprint(*b)
}

// TestUsersText checks where the process column ends, names with quotes
// and parentheses included (ss prints them unescaped).
func TestUsersText(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{`tcp LISTEN 0 4096 *:22 *:* users:(("sshd",pid=1,fd=3)) ino:7`, `users:(("sshd",pid=1,fd=3))`},
		{`tcp LISTEN 0 4096 *:22 *:* users:(("a))b",pid=1,fd=3)) ino:7`, `users:(("a))b",pid=1,fd=3))`},
		{`tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("we,ird"",pid=21601,fd=3)) ino:19565311 sk:2424f cgroup:/ <->`, `users:(("we,ird"",pid=21601,fd=3))`},
		{`tcp LISTEN 0 5 *:22 *:* users:(("x"",1,3),("y",2,4)) ino:7`, `users:(("x"",1,3),("y",2,4))`},
		{`tcp LISTEN 0 5 *:22 *:* users:(("x"",pid=1,fd=3)`, `users:(("x"",pid=1,fd=3)`},
	} {
		got, ok := usersText(tt.line)
		if !ok || got != tt.want {
			t.Errorf("usersText(%q) = %q, %v; want %q", tt.line, got, ok, tt.want)
		}
	}
}
