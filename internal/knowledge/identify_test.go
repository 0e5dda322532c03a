package knowledge

import (
	"bufio"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// TestIdentifySeedExercise identifies every socket of the seed's fstat
// exercise host (testdata/netbsd-fstat-n-exercise.txt, the course page's
// sample verbatim): every process and port must be named correctly.
func TestIdentifySeedExercise(t *testing.T) {
	b := mustLoad(t)
	// want maps "command proto port" to the entry id, the method and the
	// relay (for inetd's services).
	type expect struct {
		id  string
		by  Method
		via string
	}
	want := map[string]expect{
		"ntpd udp 123":      {"ntpd", ByProcess, ""},
		"syslogd udp 514":   {"syslogd", ByProcess, ""},
		"named tcp 53":      {"bind", ByProcess, ""},
		"named udp 53":      {"bind", ByProcess, ""},
		"dhcpd udp 67":      {"isc-dhcpd", ByProcess, ""},
		"thttpd tcp 80":     {"thttpd", ByProcess, ""},
		"master tcp 25":     {"postfix", ByProcess, ""},
		"jserver tcp 22273": {"wnn-jserver", ByProcess, ""},
		"sshd tcp 22":       {"openssh", ByProcess, ""},
		"smbd tcp 445":      {"samba-smbd", ByProcess, ""},
		"smbd tcp 139":      {"samba-smbd", ByProcess, ""},
		"nmbd udp 137":      {"samba-nmbd", ByProcess, ""},
		"nmbd udp 138":      {"samba-nmbd", ByProcess, ""},
		"Xorg tcp 6000":     {"x11", ByProcess, ""},
		"inetd tcp 23":      {"telnet", ByPort, "inetd"},
		"inetd udp 69":      {"tftp", ByPort, "inetd"},
		"nfsd tcp 2049":     {"nfsd", ByProcess, ""},
		"mountd udp 1020":   {"mountd", ByProcess, ""},
		"mountd tcp 1022":   {"mountd", ByProcess, ""},
		"mountd udp 1019":   {"mountd", ByProcess, ""},
		"mountd tcp 1021":   {"mountd", ByProcess, ""},
		"rpcbind udp 0":     {"rpcbind", ByProcess, ""},
		"rpcbind udp 111":   {"rpcbind", ByProcess, ""},
		"rpcbind tcp 111":   {"rpcbind", ByProcess, ""},
		"rpcbind udp 1022":  {"rpcbind", ByProcess, ""},
		"rpcbind udp 1021":  {"rpcbind", ByProcess, ""},
	}
	f, err := os.Open("testdata/netbsd-fstat-n-exercise.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		// USER CMD PID FD DOMAIN TYPE PROTO KADDR ADDR:PORT
		fields := strings.Fields(line)
		if len(fields) != 9 {
			t.Fatalf("unexpected line %q", line)
		}
		lines++
		cmd, proto := fields[1], snapshot.Proto(fields[6])
		addr := fields[8]
		port, err := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
		if err != nil {
			t.Fatalf("port of %q: %v", line, err)
		}
		key := cmd + " " + string(proto) + " " + strconv.Itoa(port)
		w, ok := want[key]
		if !ok {
			t.Errorf("no expectation for %q (line %q)", key, line)
			continue
		}
		seen[key] = true
		for _, goos := range []string{"netbsd", ""} {
			m, ok := b.Identify(cmd, proto, uint16(port), goos)
			if !ok || m.Entry == nil {
				t.Errorf("%s (os %q): not identified", key, goos)
				continue
			}
			via := ""
			if m.Via != nil {
				via = m.Via.ID
			}
			if m.Entry.ID != w.id || m.By != w.by || via != w.via {
				t.Errorf("%s (os %q): got %s by %s via %q, want %s by %s via %q", key, goos, m.Entry.ID, m.By, via, w.id, w.by, w.via)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != 40 {
		t.Errorf("read %d socket lines, want the exercise's 40", lines)
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("expectation %q not in the sample", k)
		}
	}
}

// TestIdentify covers the identification order and the awkward names real
// tools print (the corpus's ss, lsof and sockstat outputs).
func TestIdentify(t *testing.T) {
	b := mustLoad(t)
	tests := []struct {
		name      string
		proc      string
		proto     snapshot.Proto
		port      uint16
		os        string
		wantOK    bool
		wantID    string
		wantBy    Method
		wantVia   string
		truncated bool
		alt       string // an expected alternative
	}{
		{"ssh on another port", "sshd", snapshot.TCP, 2222, "linux", true, "openssh", ByProcess, "", false, ""},
		{"owner unknown, port known", "", snapshot.TCP, 22, "linux", true, "openssh", ByPort, "", false, ""},
		{"seed netstat: smtp without owner", "", snapshot.TCP, 25, "netbsd", true, "smtp", ByPort, "", false, ""},
		{"seed netstat: ntp without owner", "", snapshot.UDP, 123, "netbsd", true, "ntp", ByPort, "", false, ""},
		{"seed netstat: dns without owner", "", snapshot.UDP, 53, "netbsd", true, "dns", ByPort, "", false, ""},
		{"kernel nfsd without owner", "", snapshot.TCP, 2049, "linux", true, "nfsd", ByPort, "", false, ""},
		{"kernel wireguard", "", snapshot.UDP, 51820, "linux", true, "wireguard", ByPort, "", false, ""},
		{"unknown owner, unknown port", "", snapshot.TCP, 4711, "linux", false, "", "", "", false, ""},
		{"unknown process", "Main", snapshot.TCP, 8084, "linux", false, "", "", "", false, ""},
		{"unknown process on a known port", "whatever", snapshot.TCP, 6379, "linux", true, "redis", ByPort, "", false, ""},
		{"port known for tcp only", "", snapshot.UDP, 22, "linux", false, "", "", "", false, ""},
		{"truncated apache path (ss)", "/usr/sbin/apach", snapshot.TCP, 80, "linux", true, "apache-httpd", ByProcess, "", true, ""},
		{"truncated comm: node exporter", "prometheus-node", snapshot.TCP, 9100, "linux", true, "node-exporter", ByProcess, "", true, ""},
		{"truncated comm: postgres exporter", "prometheus-post", snapshot.TCP, 9187, "linux", true, "postgres-exporter", ByProcess, "", true, ""},
		{"truncated comm: resolved", "systemd-resolve", snapshot.UDP, 53, "linux", true, "systemd-resolved", ByProcess, "", true, ""},
		{"truncated comm: networkd dhcp", "systemd-network", snapshot.UDP, 68, "linux", true, "dhcp-client", ByProcess, "", true, ""},
		{"truncated lsof: docker desktop", "com.docke", snapshot.TCP, 6379, "darwin", true, "redis", ByPort, "container-port", true, ""},
		{"truncated exporter name heuristic", "fritzbox_export", snapshot.TCP, 9133, "linux", true, "prometheus-exporter", ByHeuristic, "", false, ""},
		{"exporter name heuristic", "syno_exporter-0", snapshot.TCP, 9111, "linux", true, "prometheus-exporter", ByHeuristic, "", false, ""},
		{"process title", "nginx: worker p", snapshot.TCP, 80, "linux", true, "nginx", ByProcess, "", false, ""},
		{"case-insensitive", "Python", snapshot.TCP, 8888, "darwin", true, "jupyter", ByPort, "python", false, ""},
		{"cups-browsed", "cups-browsed", snapshot.UDP, 631, "linux", true, "cups", ByProcess, "", false, ""},
		{"dockerd holding a published port", "dockerd", snapshot.TCP, 27017, "linux", true, "mongodb", ByPort, "docker", false, ""},
		{"dockerd's own swarm port", "dockerd", snapshot.TCP, 2377, "linux", true, "docker", ByProcess, "", false, ""},
		{"dockerd, unknown published port", "dockerd", snapshot.TCP, 2023, "linux", true, "container-port", ByProcess, "docker", false, ""},
		{"docker-proxy, unknown port", "docker-proxy", snapshot.TCP, 9999, "linux", true, "container-port", ByProcess, "", false, ""},
		{"docker-proxy, known port", "docker-proxy", snapshot.TCP, 5432, "linux", true, "postgresql", ByPort, "container-port", false, ""},
		{"systemd socket activation", "systemd", snapshot.TCP, 22, "linux", true, "openssh", ByPort, "systemd-socket", false, ""},
		{"systemd socket, unknown port", "systemd", snapshot.TCP, 6566, "linux", true, "systemd-socket", ByProcess, "", false, ""},
		{"java on kafka's port", "java", snapshot.TCP, 9092, "linux", true, "kafka", ByPort, "java", false, ""},
		{"java on an unknown port", "java", snapshot.TCP, 4444, "linux", false, "", ByProcess, "java", false, ""},
		{"versioned python", "python3.11", snapshot.TCP, 4444, "linux", false, "", ByHeuristic, "python", false, ""},
		{"versioned php-fpm", "php-fpm8.2", snapshot.TCP, 9000, "linux", true, "php-fpm", ByHeuristic, "", false, ""},
		{"inetd, unknown service", "inetd", snapshot.TCP, 7, "netbsd", true, "inetd", ByProcess, "", false, ""},
		{"xinetd on linux", "xinetd", snapshot.UDP, 69, "linux", true, "tftp", ByPort, "inetd", false, ""},
		{"openbsd smtpd is OpenSMTPD", "smtpd", snapshot.TCP, 25, "openbsd", true, "opensmtpd", ByProcess, "", false, "postfix"},
		{"netbsd smtpd child of postfix", "smtpd", snapshot.TCP, 25, "netbsd", true, "postfix", ByProcess, "", false, "opensmtpd"},
		{"postfix master on a content filter port", "master", snapshot.TCP, 10025, "linux", false, "", "", "", false, ""},
		{"a 'master' that is not postfix", "master", snapshot.TCP, 8080, "linux", true, "http-alt", ByPort, "", false, ""},
		{"openbsd ntpd is OpenNTPD", "ntpd", snapshot.UDP, 123, "openbsd", true, "openntpd", ByProcess, "", false, "ntpd"},
		{"netbsd ntpd", "ntpd", snapshot.UDP, 123, "netbsd", true, "ntpd", ByProcess, "", false, ""},
		{"openbsd httpd", "httpd", snapshot.TCP, 80, "openbsd", true, "openbsd-httpd", ByProcess, "", false, ""},
		{"openbsd httpd2 is apache", "httpd2", snapshot.TCP, 80, "openbsd", true, "apache-httpd", ByProcess, "", false, ""},
		{"freebsd httpd is apache", "httpd", snapshot.TCP, 80, "freebsd", true, "apache-httpd", ByProcess, "", false, ""},
		{"netbsd httpd is ambiguous", "httpd", snapshot.TCP, 80, "netbsd", true, "apache-httpd", ByProcess, "", false, "bozohttpd"},
		{"mac smbd is not samba", "smbd", snapshot.TCP, 445, "darwin", true, "macos-file-sharing", ByProcess, "", false, ""},
		{"x11 display :3", "", snapshot.TCP, 6003, "", true, "x11", ByPort, "", false, ""},
		{"vnc display :1", "", snapshot.TCP, 5901, "", true, "vnc", ByPort, "", false, ""},
		{"plex with a space in comm", "Plex Media Serv", snapshot.TCP, 32400, "linux", true, "plex", ByProcess, "", true, ""},
		{"kube-proxy nodeport", "kube-proxy", snapshot.TCP, 31234, "linux", true, "kubernetes-nodeport", ByProcess, "kube-proxy", false, ""},
		{"avahi title", "avahi-daemon: r", snapshot.UDP, 5353, "linux", true, "avahi", ByProcess, "", false, ""},
		{"mdns by port", "", snapshot.UDP, 5353, "", true, "mdns", ByPort, "", false, ""},
		{"llmnr by port", "", snapshot.UDP, 5355, "linux", true, "llmnr", ByPort, "", false, ""},
		{"port zero is never a port match", "", snapshot.UDP, 0, "", false, "", "", "", false, ""},
		{"short names are not prefixes", "ss", snapshot.TCP, 1, "linux", false, "", "", "", false, ""},
		{"rsync client is not rsyncd", "rsync", snapshot.TCP, 40000, "linux", false, "", "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := b.Identify(tt.proc, tt.proto, tt.port, tt.os)
			id, via := "", ""
			if m.Entry != nil {
				id = m.Entry.ID
			}
			if m.Via != nil {
				via = m.Via.ID
			}
			if ok != tt.wantOK || id != tt.wantID || m.By != tt.wantBy || via != tt.wantVia || m.Truncated != tt.truncated {
				t.Errorf("Identify(%q, %s, %d, %q) = {%s by %q via %q truncated %v}, %v; want {%s by %q via %q truncated %v}, %v",
					tt.proc, tt.proto, tt.port, tt.os, id, m.By, via, m.Truncated, ok, tt.wantID, tt.wantBy, tt.wantVia, tt.truncated, tt.wantOK)
			}
			if ok != (m.Entry != nil) {
				t.Errorf("ok %v but Entry %v", ok, m.Entry)
			}
			if tt.alt != "" {
				found := false
				for _, a := range m.Alternatives {
					found = found || a.ID == tt.alt
				}
				if !found {
					t.Errorf("alternatives %v lack %s", ids(m.Alternatives), tt.alt)
				}
			}
		})
	}
}

func ids(es []*Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestNormalizeProcess(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		truncated bool
	}{
		{"sshd", "sshd", false},
		{"/usr/sbin/apach", "apach", true},
		{"nginx: worker p", "nginx", false},
		{"sshd: root@pts/0", "sshd", false},
		{"Xorg", "xorg", false},
		{"com.docke", "com.docke", true},
		{"systemd-resolve", "systemd-resolve", true},
		{"  named  ", "named", false},
		{"", "", false},
		{"/", "", false},
		{"postgres:", "postgres", false},
	}
	for _, tt := range tests {
		got, tr := NormalizeProcess(tt.in)
		if got != tt.want || tr != tt.truncated {
			t.Errorf("NormalizeProcess(%q) = %q, %v; want %q, %v", tt.in, got, tr, tt.want, tt.truncated)
		}
	}
}

func FuzzIdentify(f *testing.F) {
	b := mustLoad(f)
	for _, s := range []string{"sshd", "/usr/sbin/apach", "nginx: worker p", "", "java", "python3.11", "a*b", "[", "com.docke"} {
		f.Add(s, "tcp", uint16(22), "linux")
	}
	f.Add("inetd", "udp", uint16(69), "netbsd")
	f.Fuzz(func(t *testing.T, proc, proto string, port uint16, goos string) {
		m, ok := b.Identify(proc, snapshot.Proto(proto), port, goos)
		if ok && m.Entry == nil {
			t.Fatalf("ok without entry for %q %s %d %q", proc, proto, port, goos)
		}
		if !ok && m.Entry != nil {
			t.Fatalf("entry %s without ok", m.Entry.ID)
		}
	})
}

func FuzzNormalizeProcess(f *testing.F) {
	for _, s := range []string{"sshd", "/usr/sbin/apach", "nginx: worker p", "", "a/b/", ": x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, _ := NormalizeProcess(s)
		if strings.Contains(name, "/") {
			t.Fatalf("NormalizeProcess(%q) = %q keeps a slash", s, name)
		}
	})
}

func TestPatternLiterals(t *testing.T) {
	tests := []struct {
		pattern string
		prefix  string
		parts   []string
		match   []string
		reject  []string
	}{
		{"php-fpm*", "php-fpm", []string{"php-fpm"}, []string{"php-fpm", "php-fpm8.2"}, []string{"php", "fpm"}},
		{"php*-fpm", "php", []string{"php", "-fpm"}, []string{"php8.2-fpm"}, []string{"php-fp", "main"}},
		{"*_export*", "", []string{"_export"}, []string{"node_exporter"}, []string{"main", "export"}},
		{"p?thon*", "p", []string{"p", "thon"}, []string{"python3"}, []string{"perl"}},
		{"[jk]ava*", "", nil, []string{"java"}, nil},
		{`a\*b`, "a", nil, []string{"a*b"}, []string{"b"}},
	}
	for _, tt := range tests {
		prefix, parts := literals(tt.pattern)
		if prefix != tt.prefix || !slices.Equal(parts, tt.parts) {
			t.Errorf("literals(%q) = %q, %q; want %q, %q", tt.pattern, prefix, parts, tt.prefix, tt.parts)
		}
		pc := patternClaim{pattern: tt.pattern, prefix: prefix, parts: parts}
		for _, n := range tt.match {
			if !pc.mayMatch(n) {
				t.Errorf("%q rules out %q", tt.pattern, n)
			}
		}
		for _, n := range tt.reject {
			if pc.mayMatch(n) {
				t.Errorf("%q does not rule out %q", tt.pattern, n)
			}
		}
	}
}

// FuzzPatternLiterals checks that the literal filter never rules out a
// name path.Match matches.
func FuzzPatternLiterals(f *testing.F) {
	f.Add("*_export*", "node_exporter")
	f.Add("php*-fpm", "php8.2-fpm")
	f.Add(`a\*?b`, "a*xb")
	f.Add("[a-c]*x", "bx")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		matched, err := path.Match(pattern, name)
		if err != nil || !matched {
			return
		}
		prefix, parts := literals(pattern)
		pc := patternClaim{pattern: pattern, prefix: prefix, parts: parts}
		if !pc.mayMatch(name) {
			t.Errorf("pattern %q matches %q, but its literals %q %q rule it out", pattern, name, prefix, parts)
		}
	})
}
