package provenance

import (
	"bufio"
	"bytes"
	"io/fs"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// InetdService is one line of inetd.conf.
type InetdService struct {
	// Service is the first field: a service name of /etc/services or a
	// port number.
	Service string
	// Proto is "tcp" or "udp" (tcp6, udp4 and the like are folded).
	Proto string
	// Line is the 1-based line number; Text the line, trimmed.
	Line int
	Text string
	// Commented is true for a line disabled with "#".
	Commented bool
}

// ParseInetdConf reads inetd.conf: "service socktype proto wait user
// server args", commented lines kept (marked) so that a listener of a
// disabled line can be told apart.
func ParseInetdConf(data []byte) []InetdService {
	var out []InetdService
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() && n < maxLines {
		n++
		t := strings.TrimSpace(sc.Text())
		commented := false
		if strings.HasPrefix(t, "#") {
			commented = true
			t = strings.TrimSpace(strings.TrimLeft(t, "#"))
		}
		f := strings.Fields(t)
		if len(f) < 6 {
			continue
		}
		st := f[1]
		if st != "stream" && st != "dgram" && st != "raw" && st != "seqpacket" && st != "rdm" {
			continue
		}
		proto := f[2]
		if i := strings.IndexByte(proto, '/'); i >= 0 {
			proto = proto[:i]
		}
		proto = strings.TrimRight(proto, "46,")
		if proto != "tcp" && proto != "udp" {
			continue
		}
		svc := f[0]
		if i := strings.LastIndexByte(svc, ':'); i >= 0 { // host:service
			svc = svc[i+1:]
		}
		out = append(out, InetdService{Service: svc, Proto: proto, Line: n, Text: strings.Join(strings.Fields(sc.Text()), " "), Commented: commented})
	}
	return out
}

// wellKnown are the inetd services of the seed and common inetd.conf
// files, for a root without /etc/services.
var wellKnown = map[string]uint16{
	"ftp": 21, "telnet": 23, "smtp": 25, "time": 37, "tftp": 69, "finger": 79, "pop3": 110,
	"auth": 113, "ident": 113, "ntalk": 518, "talk": 517, "comsat": 512, "biff": 512, "exec": 512,
	"login": 513, "shell": 514, "uucp": 540, "swat": 901, "daytime": 13, "echo": 7, "discard": 9,
	"chargen": 19, "imap": 143, "bootps": 67, "netbios-ssn": 139, "rsync": 873,
}

// parseServices reads /etc/services: "name port/proto aliases...".
func parseServices(data []byte) map[string]uint16 {
	m := map[string]uint16{}
	for i, line := range strings.Split(string(data), "\n") {
		if i >= maxLines {
			break
		}
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pp := strings.SplitN(f[1], "/", 2)
		p, err := strconv.ParseUint(pp[0], 10, 16)
		if err != nil {
			continue
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, ok := m[name]; !ok {
				m[name] = uint16(p)
			}
		}
	}
	return m
}

// inetd is what inetd serves on the observed host.
type inetd struct {
	file     string
	services []InetdService
	ports    map[string]uint16
}

func loadInetd(fsys fs.FS) (*inetd, error) {
	data, err := readLimited(fsys, "etc/inetd.conf")
	if err != nil {
		return nil, err
	}
	in := &inetd{file: "/etc/inetd.conf", services: ParseInetdConf(data), ports: wellKnown}
	if sd, err := readLimited(fsys, "etc/services"); err == nil {
		in.ports = parseServices(sd)
	}
	return in, nil
}

func (in *inetd) port(svc string) (uint16, bool) {
	if p, err := strconv.ParseUint(svc, 10, 16); err == nil {
		return uint16(p), true
	}
	p, ok := in.ports[svc]
	return p, ok
}

// resolve finds the inetd.conf line that makes inetd listen on proto/port;
// ok is false when there is none.
func (in *inetd) resolve(proto string, port uint16) (snapshot.Provenance, bool) {
	var commented *InetdService
	for i := range in.services {
		s := &in.services[i]
		if p, ok := in.port(s.Service); !ok || p != port || s.Proto != proto {
			continue
		}
		if !s.Commented {
			return snapshot.Provenance{Verdict: snapshot.ProvenanceEnabled, Init: "inetd", Service: s.Service, Reason: "inetd.conf",
				Evidence: []snapshot.Evidence{{File: in.file, Line: s.Line, Text: s.Text}}}, true
		}
		if commented == nil {
			commented = s
		}
	}
	if commented != nil {
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "inetd", Service: commented.Service, Reason: "inetd-commented",
			Evidence: []snapshot.Evidence{{File: in.file, Line: commented.Line, Text: commented.Text}}}, true
	}
	return snapshot.Provenance{}, false
}
