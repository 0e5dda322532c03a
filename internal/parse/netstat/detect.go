package netstat

import (
	"bytes"
	"strings"
	"sync"

	"github.com/openports/openports/internal/parse"
)

// evidence counts what a sample shows of each dialect.
type evidence struct {
	lines                       int
	linuxRows, bsdRows, macRows int
	linuxMarks, bsdMarks        int
	macMarks                    int
	ssMarks                     int
}

// scan looks at the first lines of a sample.
func scan(sample []byte) evidence {
	var e evidence
	for _, raw := range bytes.Split(sample, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		f := fields(line)
		if len(f) == 0 {
			continue
		}
		e.lines++
		switch {
		case strings.Contains(line, "users:((") || f[0].s == "Netid" || strings.Contains(line, "Address:Port"):
			e.ssMarks++
		case strings.Contains(line, "PID/Program name") || strings.HasPrefix(line, "Active UNIX domain sockets (") ||
			strings.HasPrefix(line, "Aktive "):
			e.linuxMarks++
		case strings.Contains(line, "LOCAL (UNIX)") || (strings.HasPrefix(line, "Proto Recv-Q Send-Q  Local") && strings.Contains(line, "(state)")) || strings.Contains(line, "Flowhash") || strings.Contains(line, "rhiwat") ||
			strings.HasPrefix(line, "Registered kernel control") || f[0].s == "kctl" || f[0].s == "kevt":
			e.macMarks++
		case strings.HasPrefix(line, "Tcpcb") || strings.Contains(line, "(state)") || strings.HasPrefix(line, "Proto   Recv-Q"):
			e.bsdMarks++
		}
		if len(f) < 5 {
			continue
		}
		k := 0
		for k < 3 && k < len(f) {
			if _, ok := linuxProtos[f[k].s]; ok {
				break
			}
			if _, ok := bsdProtos[f[k].s]; ok {
				break
			}
			k++
		}
		if k >= 3 || k+4 >= len(f) {
			continue
		}
		p := f[k].s
		addrs := f[k+3].s + " " + f[k+4].s
		if k+5 < len(f) && !strings.ContainsAny(f[k+3].s, ".:") {
			addrs = f[k+4].s + " " + f[k+5].s // -T has one more numeric column
		}
		switch {
		case strings.HasSuffix(p, "46"):
			e.macRows++
		case strings.Contains(addrs, ":*") || strings.Contains(addrs, ":::") || linuxColon(f[k+3].s):
			e.linuxRows++
		case strings.Contains(addrs, "*.*") || bsdDotted(f[k+3].s):
			e.bsdRows++
		}
	}
	return e
}

// linuxColon reports whether tok looks like IPV4:PORT, a colon after the
// last dot ("127.0.0.1:8080").
func linuxColon(tok string) bool {
	d, c := strings.LastIndexByte(tok, '.'), strings.LastIndexByte(tok, ':')
	return d > 0 && c > d && parse.IsDigits(tok[c+1:])
}

// bsdDotted reports whether tok looks like HOST.PORT with a dot before a
// port and no colon after it.
func bsdDotted(tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	return i > 0 && !strings.Contains(tok[i:], ":")
}

// lastScan is the evidence of the sample scanned last: detection asks
// the three dialects about one sample in turn, and on every line of a part
// that mixes tools.
var lastScan struct {
	sync.Mutex
	sample []byte
	e      evidence
}

// scanOnce is scan, done once for the same sample asked again.
func scanOnce(sample []byte) evidence {
	lastScan.Lock()
	defer lastScan.Unlock()
	if lastScan.sample == nil || !bytes.Equal(lastScan.sample, sample) {
		lastScan.e = scan(sample)
		lastScan.sample = append(lastScan.sample[:0], sample...)
	}
	return lastScan.e
}

// Detect scores how likely sample is netstat output of this dialect.
func (p *Parser) Detect(sample []byte) int {
	e := scanOnce(sample)
	if e.ssMarks > 0 && e.ssMarks >= e.linuxMarks+e.bsdMarks+e.macMarks {
		return 0
	}
	linux := 0
	if e.linuxRows > 0 || e.linuxMarks > 0 {
		linux = 50 + min(40, 10*e.linuxMarks+2*e.linuxRows)
	}
	if e.bsdRows > 0 || e.macRows > 0 {
		linux /= 2
	}
	bsd, mac := 0, 0
	if e.bsdRows > 0 || e.bsdMarks > 0 || e.macRows > 0 {
		bsd = 50 + min(40, 10*e.bsdMarks+2*e.bsdRows)
		mac = 45 + min(40, 5*e.bsdMarks+2*e.bsdRows)
	}
	if e.macRows > 0 || e.macMarks > 0 {
		mac = max(mac, 60) + min(35, 10*e.macMarks+5*e.macRows)
		bsd = min(bsd, 55)
	}
	if e.linuxRows > 0 {
		bsd /= 2
		mac /= 2
	}
	switch p.d {
	case linuxDialect:
		return min(linux, 100)
	case bsdDialect:
		return min(bsd, 100)
	default:
		return min(mac, 100)
	}
}
