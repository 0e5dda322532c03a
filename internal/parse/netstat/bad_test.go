package netstat

import (
	"strings"
	"testing"

	"github.com/openports/openports/internal/parse"
)

func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		p      *Parser
		input  string
		parsed int
		want   []parse.LineError // File is "in"
	}{
		{
			name: "linux garbage between valid lines",
			p:    NewLinux(),
			input: "Active Internet connections (only servers)\n" +
				"Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n" +
				"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      1/sshd\n" +
				"this is not netstat\n" +
				"tcp        0      0 0.0.0.0:25              0.0.0.0:*               LISTEN      2/master\n",
			parsed: 2,
			want: []parse.LineError{{Line: 4, Text: "this is not netstat",
				Expected: "a netstat line: Proto Recv-Q Send-Q Local-Address Foreign-Address [State] [User Inode] [PID/Program name]"}},
		},
		{
			name:   "linux tcp without state",
			p:      NewLinux(),
			input:  "tcp 0 0 0.0.0.0:22 0.0.0.0:*\ntcp 0 0 0.0.0.0:23 0.0.0.0:* BOGUS\n",
			parsed: 0,
			want: []parse.LineError{
				{Line: 1, Text: "tcp 0 0 0.0.0.0:22 0.0.0.0:*", Expected: "a TCP state"},
				{Line: 2, Text: "tcp 0 0 0.0.0.0:23 0.0.0.0:* BOGUS", Expected: `a TCP state (LISTEN, ESTABLISHED, ...), got "BOGUS"`},
			},
		},
		{
			name:   "linux bad queue and bad pid",
			p:      NewLinux(),
			input:  "tcp x 0 0.0.0.0:22 0.0.0.0:* LISTEN\ntcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN abc/sshd\n",
			parsed: 0,
			want: []parse.LineError{
				{Line: 1, Text: "tcp x 0 0.0.0.0:22 0.0.0.0:* LISTEN", Expected: "numeric Recv-Q and Send-Q columns"},
				{Line: 2, Text: "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN abc/sshd", Expected: `PID/Program name or -, got "abc/sshd"`},
			},
		},
		{
			name:   "bsd line without port",
			p:      NewBSD(),
			input:  "# netstat -an\ntcp 0 0 *.22 *.* LISTEN\ntcp 0 0 nodot *.* LISTEN\nudp 0 0 *.53 *.*\n",
			parsed: 2,
			want:   []parse.LineError{{Line: 3, Text: "tcp 0 0 nodot *.* LISTEN", Expected: `HOST.PORT in the local address "nodot"`}},
		},
		{
			name: "darwin missing pid column",
			p:    NewDarwin(),
			input: "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)     rhiwat shiwat    pid   epid  state    options\n" +
				"tcp46      0      0  *.3000                 *.*                    LISTEN      131072 131072\n",
			parsed: 0,
			want: []parse.LineError{{Line: 2, Text: "tcp46      0      0  *.3000                 *.*                    LISTEN      131072 131072",
				Expected: "a pid column"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.p.Parse(strings.NewReader(tt.input), "in")
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, res)
			if res.Parsed != tt.parsed {
				t.Errorf("parsed %d lines, want %d", res.Parsed, tt.parsed)
			}
			if len(res.Problems) != len(tt.want) {
				t.Fatalf("problems %v, want %v", res.Problems, tt.want)
			}
			for i, w := range tt.want {
				w.File = "in"
				if res.Problems[i] != w {
					t.Errorf("problem %d:\n got  %+v\n want %+v", i, res.Problems[i], w)
				}
			}
		})
	}
}

// TestUnreadableAddressesKeepText pins what happens to a host name, a cut
// host, an unmapped service name and a cut port: the socket is kept, the
// port where it could be read, the address invalid, the text as printed.
func TestUnreadableAddressesKeepText(t *testing.T) {
	tests := []struct {
		name       string
		p          *Parser
		line       string
		local      string // netip.AddrPort.String of Local
		localPort  uint16
		localText  string
		portText   string // the port as printed, when it could not be read
		remote     string
		remoteText string
		truncated  string
	}{
		{name: "linux host name", p: NewLinux(),
			line:  "tcp        0      0 myhost:ssh              0.0.0.0:*               LISTEN",
			local: "invalid AddrPort", localPort: 22, localText: "myhost", remote: "invalid AddrPort"},
		{name: "linux host name cut to the column", p: NewLinux(),
			line:  "tcp        0      0 localhost.localdoma:ssh 192.168.71.1:58727      ESTABLISHED",
			local: "invalid AddrPort", localPort: 22, localText: "localhost.localdoma", remote: "192.168.71.1:58727", truncated: "local-address"},
		{name: "linux unmapped service name", p: NewLinux(),
			line:  "tcp 0 0 0.0.0.0:nosuchsvc 0.0.0.0:* LISTEN",
			local: "0.0.0.0:0", portText: "nosuchsvc", remote: "invalid AddrPort"},
		{name: "bsd resolved host", p: NewBSD(),
			line:  "tcp 0 0 gw.example.org.ssh *.* LISTEN",
			local: "invalid AddrPort", localPort: 22, localText: "gw.example.org", remote: "invalid AddrPort"},
		{name: "macos host cut to 16 and remote host and port cut", p: NewDarwin(),
			line:  "tcp4      31      0  kbrazil-mac.attl.62664 93.87.236.35.bc..sunpr CLOSE_WAIT",
			local: "invalid AddrPort", localPort: 62664, localText: "kbrazil-mac.attl",
			remote: "invalid AddrPort", remoteText: "93.87.236.35.bc..sunpr", truncated: "local-address,remote-address,remote-port"},
		{name: "bsd unmapped service on the wildcard", p: NewBSD(),
			line:  "udp4       0      0  *.xserveraid           *.*",
			local: "0.0.0.0:0", portText: "xserveraid", remote: "invalid AddrPort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.p.Parse(strings.NewReader(tt.line+"\n"), "in")
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, res)
			if len(res.Problems) != 0 || len(res.Snapshot.Sockets) != 1 {
				t.Fatalf("problems %v, %d sockets", res.Problems, len(res.Snapshot.Sockets))
			}
			s := res.Snapshot.Sockets[0]
			if s.Local.String() != tt.local || s.Local.Port() != tt.localPort || s.LocalText != tt.localText || s.PortText != tt.portText {
				t.Errorf("local = %v port %d text %q port text %q, want %s port %d text %q port text %q", s.Local, s.Local.Port(), s.LocalText, s.PortText, tt.local, tt.localPort, tt.localText, tt.portText)
			}
			if s.Remote.String() != tt.remote || s.RemoteText != tt.remoteText {
				t.Errorf("remote = %v text %q, want %s text %q", s.Remote, s.RemoteText, tt.remote, tt.remoteText)
			}
			if got := strings.Join(s.Truncated, ","); got != tt.truncated {
				t.Errorf("truncated = %q, want %q", got, tt.truncated)
			}
		})
	}
}

// TestTruncation pins how cut columns are flagged, never completed.
func TestTruncation(t *testing.T) {
	in := "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n" +
		"tcp6       0      0 2001:db8:aaaa:bbbb::1:8080 :::*                 LISTEN      77/a-very-long-daemon\n" +
		"tcp6       0      0 2001:db8:aaa:bbbb::1:22 :::*                    LISTEN      78/sshd\n"
	res, err := NewLinux().Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || len(res.Snapshot.Sockets) != 2 {
		t.Fatalf("problems %v, sockets %d", res.Problems, len(res.Snapshot.Sockets))
	}
	byPID := map[int][]string{}
	for _, s := range res.Snapshot.Sockets {
		byPID[s.Owners[0].PID] = s.Truncated
	}
	// 26 characters: -W output, nothing cut. The name fills the column.
	if got := strings.Join(byPID[77], ","); got != "process-name" {
		t.Errorf("pid 77 truncated = %q", got)
	}
	// 23 characters: an IPv6 address that fills the column may be cut.
	if got := strings.Join(byPID[78], ","); got != "local-address" {
		t.Errorf("pid 78 truncated = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 1/sshd\n",
		"tcp4 0 0 *.22 *.* LISTEN\nudp6 0 0 fe80::1%lo0.123 *.*\n",
		"Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)     rhiwat shiwat    pid   epid  state    options\ntcp46 0 0 *.3000 *.* LISTEN 1 1 5 0 0x0 0x0\n",
		"fffff80003df43d0 tcp4       0      0 192.168.71.1.ssh   192.168.71.1.56321 ESTABLISHED\n",
		"Active Internet connections\n\x00\xff:::*\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range All() {
			p.Detect(data)
			res, err := p.Parse(strings.NewReader(string(data)), "fuzz")
			if err != nil {
				t.Fatalf("%s: %v", p.Format(), err)
			}
			if res.Lines != res.Parsed+res.Skipped+len(res.Problems) {
				t.Fatalf("%s: counts do not add up: %+v", p.Format(), res)
			}
		}
	})
}
