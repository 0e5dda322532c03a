package portname

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
)

func TestPort(t *testing.T) {
	tests := []struct {
		name  string
		proto snapshot.Proto
		want  uint16
		ok    bool
	}{
		{"ssh", snapshot.TCP, 22, true},
		{"ssh", snapshot.UDP, 22, true},
		{"smtp", snapshot.TCP, 25, true},
		{"smtp", snapshot.UDP, 0, false}, // /etc/services lists smtp for tcp only
		{"syslog", snapshot.UDP, 514, true},
		{"syslog", snapshot.TCP, 0, false},
		{"syslog", snapshot.UDPLite, 514, true},
		{"domain", snapshot.UDP, 53, true},
		{"bootpc", snapshot.UDP, 68, true},
		{"http", snapshot.TCP, 80, true},
		{"8080", snapshot.TCP, 8080, true},
		{"0", snapshot.UDP, 0, true},
		{"65536", snapshot.TCP, 0, false},
		{"-1", snapshot.TCP, 0, false},
		{"sunpr", snapshot.TCP, 0, false}, // a name netstat cut: never guessed
		{"", snapshot.TCP, 0, false},
	}
	for _, tt := range tests {
		got, ok := Port(tt.name, tt.proto)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Port(%q, %s) = %d, %v; want %d, %v", tt.name, tt.proto, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProtocol(t *testing.T) {
	tests := []struct {
		name string
		want uint16
		ok   bool
	}{
		{"ipv6-icmp", 58, true},
		{"icmp", 1, true},
		{"58", 58, true},
		{"256", 0, false},
		{"nosuch", 0, false},
	}
	for _, tt := range tests {
		got, ok := Protocol(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Protocol(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestAgreesWithHostServices checks the embedded table against the host's
// /etc/services: every name both list must map to the same port for the
// same protocol.
func TestAgreesWithHostServices(t *testing.T) {
	f, err := os.Open("/etc/services")
	if err != nil {
		t.Skipf("no /etc/services on this host: %v", err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		num, proto, ok := strings.Cut(fields[1], "/")
		if !ok || (proto != "tcp" && proto != "udp") {
			continue
		}
		port, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			continue
		}
		for _, name := range append([]string{fields[0]}, fields[2:]...) {
			e, known := services()[name]
			if !known {
				continue
			}
			got := e.tcp
			if proto == "udp" {
				got = e.udp
			}
			if got != 0 && got != uint16(port) {
				t.Errorf("%s/%s: table says %d, /etc/services says %d", name, proto, got, port)
			}
			checked++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read /etc/services: %v", err)
	}
	if checked == 0 {
		t.Skip("/etc/services shares no names with the table")
	}
	t.Logf("%d entries agree with /etc/services", checked)
}
