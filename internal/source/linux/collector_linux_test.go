package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/snapshot"
)

func TestNeedInterfaces(t *testing.T) {
	sock := func(addr string, ifindex uint32) snapshot.Socket {
		return snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort(addr), IfIndex: ifindex}
	}
	tests := []struct {
		name  string
		socks []snapshot.Socket
		want  bool
	}{
		{"no sockets", nil, false},
		{"wildcards and IPv6 loopback only", []snapshot.Socket{
			sock("0.0.0.0:22", 0), sock("[::]:22", 0), sock("[::1]:631", 0), sock("[::ffff:0.0.0.0]:80", 0),
		}, false},
		// route_localnet on an interface makes it reachable from there.
		{"IPv4 loopback", []snapshot.Socket{sock("0.0.0.0:22", 0), sock("127.0.0.1:631", 0)}, true},
		{"IPv4-mapped loopback", []snapshot.Socket{sock("[::ffff:127.0.0.1]:53", 0)}, true},
		{"one specific IPv4 address", []snapshot.Socket{sock("0.0.0.0:22", 0), sock("192.0.2.1:53", 0)}, true},
		{"one specific IPv6 address", []snapshot.Socket{sock("[2001:db8::1]:53", 0)}, true},
		{"IPv4-mapped specific address", []snapshot.Socket{sock("[::ffff:192.0.2.1]:53", 0)}, true},
		{"link-local", []snapshot.Socket{sock("[fe80::1]:546", 0)}, true},
		{"wildcard bound to a device", []snapshot.Socket{sock("0.0.0.0:67", 3)}, true},
		{"loopback bound to a device", []snapshot.Socket{sock("127.0.0.1:5353", 1)}, true},
		{"unparsed address", []snapshot.Socket{{Proto: snapshot.UDP}}, false},
	}
	for _, tt := range tests {
		if got := needInterfaces(tt.socks); got != tt.want {
			t.Errorf("%s: needInterfaces = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte("vm\x00\x00\x00"), "vm"},
		{[]byte("6.18.44\x00junk"), "6.18.44"},
		{[]byte("full"), "full"},
		{[]byte{0, 'x'}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := cString(tt.in); got != tt.want {
			t.Errorf("cString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseFileNr(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1034\t0\t2466174\n", 1034},
		{"21922 0 2466174", 21922},
		{"", 0},
		{"\n", 0},
		{"-5\t0\t1\n", 0},
		{"x\t0\t1\n", 0},
		{"99999999999999999999999\t0\t1", 0},
	}
	for _, tt := range tests {
		if got := parseFileNr([]byte(tt.in)); got != tt.want {
			t.Errorf("parseFileNr(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// PID 1's network namespace is named "host"; a /run/netns name wins, and
// an unreadable /proc/1/ns/net names nothing.
func TestHostNamed(t *testing.T) {
	id, err := nsInode("/proc/1/ns/net")
	if err != nil {
		t.Skipf("/proc/1/ns/net unreadable here: %v", err)
	}
	if got := hostNamed(nil, "/proc")[id]; got != "host" {
		t.Errorf("PID 1's namespace named %q, want host", got)
	}
	if got := hostNamed(map[uint64]string{id: "blue"}, "/proc")[id]; got != "blue" {
		t.Errorf("a /run/netns name replaced by %q", got)
	}
	if got := hostNamed(nil, t.TempDir()); len(got) != 0 {
		t.Errorf("names without a readable /proc/1: %v", got)
	}
}

// TestExitingStat: a zombie child (its real /proc/PID/stat) is exiting,
// this process is not. ByProcess does not count a process whose
// namespace link was refused while it exited as a namespace withheld
// (TestAllNamespacesUnderChurn saw "2 processes" so, now and then).
func TestExitingStat(t *testing.T) {
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip(err)
	}
	if exitingStat(self) {
		t.Errorf("this process is exiting: %q", self)
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait()
	path := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			if !exitingStat(b) {
				t.Errorf("zombie not exiting: %q", b)
			}
			return
		}
	}
	t.Fatal("the child did not become a zombie")
}
