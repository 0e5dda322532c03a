package knowledge

import (
	"errors"
	"flag"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestExplain(t *testing.T) {
	b := mustLoad(t)
	tests := []struct {
		query string
		first string   // the first entry expected
		also  []string // other entries that must be in the answer
	}{
		{"22", "openssh", nil},
		{"22/tcp", "openssh", nil},
		{"ssh", "openssh", nil},
		{"sshd", "openssh", nil},
		{"/usr/sbin/sshd", "openssh", nil},
		{"openssh", "openssh", nil},
		{"OpenSSH server", "openssh", nil},
		{"53", "dns", []string{"bind", "unbound", "dnsmasq", "coredns"}},
		{"53/udp", "dns", []string{"bind"}},
		{"dns", "dns", []string{"bind", "unbound"}},
		{"514/udp", "syslog", []string{"syslogd", "rsyslog"}},
		{"514/tcp", "rlogin", []string{"rsyslog"}},
		{"6010", "x11", nil},
		{"Xorg", "x11", nil},
		{"jserver", "wnn-jserver", nil},
		{"22273", "wnn-jserver", nil},
		{"inetd", "inetd", nil},
		{"master", "postfix", nil},
		{"smtpd", "postfix", []string{"opensmtpd"}},
		{"25", "smtp", []string{"postfix", "exim", "opensmtpd"}},
		{"python3.12", "python", nil},
		{"node_exporter", "node-exporter", nil},
		{"foo_exporter", "prometheus-exporter", nil},
		{"SMB", "smb", []string{"samba-smbd", "macos-file-sharing"}},
	}
	for _, tt := range tests {
		got, err := b.Explain(tt.query)
		if err != nil {
			t.Errorf("Explain(%q): %v", tt.query, err)
			continue
		}
		if got[0].ID != tt.first {
			t.Errorf("Explain(%q)[0] = %s, want %s (all: %v)", tt.query, got[0].ID, tt.first, ids(got))
		}
		for _, id := range tt.also {
			found := false
			for _, e := range got {
				found = found || e.ID == id
			}
			if !found {
				t.Errorf("Explain(%q) = %v, lacks %s", tt.query, ids(got), id)
			}
		}
	}
	for _, q := range []string{"", "   ", "0", "65536", "99999/tcp", "22/icmp", "22/", "nosuchthing", "4711"} {
		if got, err := b.Explain(q); err == nil {
			t.Errorf("Explain(%q) = %v, want an error", q, ids(got))
		}
	}
	if _, err := b.Explain("nosuchthing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Explain(nosuchthing) error %v is not ErrNotFound", err)
	}
}

func FuzzExplain(f *testing.F) {
	b := mustLoad(f)
	for _, s := range []string{"22", "22/tcp", "ssh", "sshd", "0", "99999", "6000-6001/tcp", "[", "*", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := b.Explain(q)
		if err == nil && len(got) == 0 {
			t.Fatalf("Explain(%q): no entries and no error", q)
		}
	})
}

func FuzzParsePortSpec(f *testing.F) {
	for _, s := range []string{"22/tcp", "6000-6063/tcp", "0/udp", "1-/tcp", "/", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePortSpec(s)
		if err != nil {
			return
		}
		if p.First == 0 || p.Last < p.First {
			t.Fatalf("ParsePortSpec(%q) = %v: invalid range accepted", s, p)
		}
		back, err := ParsePortSpec(p.String())
		if err != nil || back != p {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// FuzzParse feeds arbitrary YAML to the loader: it must return a base or an
// error, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validEntry))
	f.Add([]byte("entries: [\n"))
	f.Add([]byte("messages:\n  - id: x\n    text: {en: \"%[1]s\", ja: \"%[1]s\"}\n"))
	f.Add([]byte("entries:\n  - id: a\n    kind: relay\n    fallback: a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(fstest.MapFS{"f.yaml": {Data: data}})
		if err == nil && b == nil {
			t.Fatal("nil base without error")
		}
	})
}
