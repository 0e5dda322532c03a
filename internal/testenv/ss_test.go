package testenv

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestParseSSGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "ss-tulpnHe.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSS(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("ParseSS: %v", err)
	}
	js, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	golden := filepath.Join("testdata", "ss-tulpnHe.golden.json")
	if *update {
		if err := os.WriteFile(golden, js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(js, want) {
		t.Errorf("ParseSS output differs from %s (run go test -update after checking):\n%s", golden, js)
	}
}

func TestParseSS(t *testing.T) {
	v6 := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	tests := []struct {
		name    string
		line    string
		local   netip.AddrPort
		dual    bool
		iface   string
		pids    []int
		inode   uint64
		wantErr string
	}{
		{name: "v4 wildcard", line: "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=5,fd=3))", local: v6("0.0.0.0:22"), pids: []int{5}},
		{name: "dual-stack star", line: "tcp LISTEN 0 128 *:7003 *:* users:((\"a\",pid=9,fd=3),(\"a\",pid=8,fd=3),(\"a\",pid=9,fd=4))", local: v6("[::]:7003"), dual: true, pids: []int{8, 9}},
		{name: "v6 bracketed", line: "udp UNCONN 0 0 [2001:db8::1]:53 [::]:*", local: v6("[2001:db8::1]:53")},
		{name: "device bound", line: "udp UNCONN 0 0 0.0.0.0%veth-op0:67 0.0.0.0:* ino:42 sk:1", local: v6("0.0.0.0:67"), iface: "veth-op0", inode: 42},
		{name: "star device bound", line: "udp UNCONN 0 0 *%lo:7006 *:*", local: v6("[::]:7006"), dual: true, iface: "lo"},
		{name: "zone in brackets", line: "udp UNCONN 0 0 [fe80::1%eth0]:546 [::]:*", local: v6("[fe80::1]:546"), iface: "eth0"},
		{name: "blank line skipped", line: "   "},
		{name: "too few fields", line: "tcp LISTEN 0 128 0.0.0.0:22", wantErr: "want at least 6 fields"},
		{name: "no port", line: "tcp LISTEN 0 128 0.0.0.0 0.0.0.0:*", wantErr: "want ADDRESS:PORT"},
		{name: "bad port", line: "tcp LISTEN 0 128 0.0.0.0:99999 0.0.0.0:*", wantErr: "port"},
		{name: "v6 without brackets", line: "tcp LISTEN 0 128 ::1:22 0.0.0.0:*", wantErr: "without brackets"},
		{name: "v4 in brackets", line: "tcp LISTEN 0 128 [1.2.3.4]:22 0.0.0.0:*", wantErr: "not IPv6"},
		{name: "empty users", line: "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:()", wantErr: "without a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSS(strings.NewReader(tt.line + "\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSS(%q) error = %v, want one containing %q", tt.line, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "line 1") {
					t.Errorf("error %q does not name the line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSS(%q): %v", tt.line, err)
			}
			if strings.TrimSpace(tt.line) == "" {
				if len(got) != 0 {
					t.Fatalf("blank input gave %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("ParseSS(%q) gave %d sockets, want 1", tt.line, len(got))
			}
			s := got[0]
			if s.Local != tt.local || s.Dual != tt.dual || s.Iface != tt.iface || s.Inode != tt.inode || !slices.Equal(s.PIDs(), tt.pids) {
				t.Errorf("ParseSS(%q) = local %v dual %v iface %q inode %d pids %v; want %v %v %q %d %v",
					tt.line, s.Local, s.Dual, s.Iface, s.Inode, s.PIDs(), tt.local, tt.dual, tt.iface, tt.inode, tt.pids)
			}
		})
	}
}

func FuzzParseSS(f *testing.F) {
	if in, err := os.ReadFile(filepath.Join("testdata", "ss-tulpnHe.txt")); err == nil {
		for _, line := range strings.Split(string(in), "\n") {
			f.Add(line)
		}
	}
	f.Add("tcp LISTEN 0 1 [::]:1 [::]:* users:((\"\\\"\",pid=1,fd=2))")
	f.Add("udp UNCONN 0 0 *%:0 *:* ino:99999999999999999999")
	f.Fuzz(func(t *testing.T, in string) {
		socks, err := ParseSS(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Local.IsValid() {
				t.Fatalf("ParseSS(%q) accepted an invalid local address: %+v", in, s)
			}
			for _, u := range s.Users {
				if u.PID < 0 || u.FD < 0 {
					t.Fatalf("ParseSS(%q) gave a negative pid or fd: %+v", in, u)
				}
			}
		}
	})
}
