package netstat

import (
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// bsdProtos maps the Proto column of the BSDs and macOS. NetBSD and OpenBSD
// print tcp/udp for IPv4 and tcp6/udp6 for IPv6; FreeBSD and macOS add the
// 4; macOS prints tcp46/udp46 for dual-stack sockets.
var bsdProtos = map[string]protoInfo{
	"tcp": {proto: snapshot.TCP}, "tcp4": {proto: snapshot.TCP}, "tcp6": {proto: snapshot.TCP, v6: true},
	"tcp46": {proto: snapshot.TCP, v6: true, dual: true},
	"udp":   {proto: snapshot.UDP}, "udp4": {proto: snapshot.UDP}, "udp6": {proto: snapshot.UDP, v6: true},
	"udp46": {proto: snapshot.UDP, v6: true, dual: true},
	"sctp":  {proto: snapshot.SCTP}, "sctp4": {proto: snapshot.SCTP}, "sctp6": {proto: snapshot.SCTP, v6: true},
	"sctp46": {proto: snapshot.SCTP, v6: true, dual: true},
}

// bsdOtherProtos are Internet rows openports does not model as ports:
// ICMP datagram sockets (macOS icm4/icm6), raw IP and divert sockets.
var bsdOtherProtos = map[string]bool{
	"icm4": true, "icm6": true, "icmp": true, "icmp6": true, "ip": true, "ip4": true, "ip6": true, "divert": true,
}

// bsdHeader is what the column header of an Internet section says.
type bsdHeader struct {
	known bool
	// local and foreign are the widths of the address columns.
	local, foreign bsdWidths
	// socketCol is true when the first column is the socket's kernel
	// address (macOS -A "Socket").
	socketCol bool
	// hasState is true when the header has a state column.
	hasState bool
	// pid is the index of the pid column among the columns after the
	// state, procPID that of macOS's "process:pid", -1 when absent.
	pid, procPID int
	// extras counts the columns after the state.
	extras int
}

// defaultBSDHeader applies to lines without a header (grep-filtered
// output): the usual column widths, no extra columns known.
func defaultBSDHeader() bsdHeader {
	w := bsdWidths{column: 22, host: 16}
	return bsdHeader{local: w, foreign: w, pid: -1, procPID: -1}
}

// parseBSDHeader reads a header line such as
// "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)".
func parseBSDHeader(line string, namesMode bool) bsdHeader {
	h := defaultBSDHeader()
	h.known = true
	f := fields(line)
	lead := f[0].s != "Proto"
	h.socketCol = f[0].s == "Socket"
	li, fi := strings.Index(line, "Local Address"), strings.Index(line, "Foreign Address")
	si := strings.Index(line, "(state)")
	if si < 0 {
		si = strings.Index(line, "State")
	}
	if li >= 0 && fi > li {
		h.local.column = fi - li - 1
		h.foreign.column = h.local.column
		if si > fi {
			h.foreign.column = si - fi - 1
		}
	}
	for _, w := range []*bsdWidths{&h.local, &h.foreign} {
		switch {
		case w.column > 22: // -W: nothing is cut
			*w = bsdWidths{}
		case lead && namesMode:
			w.host = 12
		}
	}
	var extras []field
	if si > fi && fi >= 0 {
		h.hasState = true
		extras = fields(line[si:])[1:]
	} else if fi >= 0 {
		extras = fields(line[fi+len("Foreign Address"):])
	}
	h.extras = len(extras)
	for i, e := range extras {
		switch e.s {
		case "pid":
			h.pid = i
		case "process:pid":
			h.procPID = i
		}
	}
	return h
}

// bsdNamesLine reports whether line shows ports as names (no -n): one
// such line puts the output in names mode,
// which makes netstat -A cut host names shorter.
func bsdNamesLine(line string) bool {
	f := fields(line)
	for k := 0; k < len(f) && k < 3; k++ {
		if _, ok := bsdProtos[f[k].s]; !ok {
			continue
		}
		for _, t := range f[k+1:] {
			if i := strings.LastIndexByte(t.s, '.'); i >= 0 {
				if p := t.s[i+1:]; p != "*" && !parse.IsDigits(p) && !strings.Contains(p, ":") {
					return true
				}
			}
		}
		break
	}
	return false
}

// parseBSD reads the lines rows gives; namesMode says whether any line
// shows host or service names (bsdNamesLine).
func parseBSD(b *builder, rows func(func(n int, line string)) error, namesMode, darwin bool) error {
	inet := true
	hdr := defaultBSDHeader()
	var ev osEvidence
	noListeners := false
	routing := false
	err := rows(func(n int, line string) {
		f := fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0].s, "#") {
			if len(f) > 0 {
				inet, routing, hdr = true, false, defaultBSDHeader()
			}
			b.skip()
			return
		}
		if title, isInet := isSectionTitle(line); title {
			inet, hdr = isInet, defaultBSDHeader()
			routing = isRoutingTitle(line)
			ev.title(line)
			if isInet && !strings.Contains(line, "(including servers)") {
				// Without -a the BSDs and macOS leave listening
				// sockets out and say so by omitting this.
				noListeners = true
			}
			b.skip()
			return
		}
		if !inet {
			// UNIX domain and kernel socket tables have at least three
			// columns; a line that does not belong to another output.
			if routing || len(f) >= 3 {
				b.skip()
			} else {
				b.problem(n, line, "a line of netstat's UNIX domain or kernel socket table")
			}
			return
		}
		if strings.Contains(line, "Proto") && strings.Contains(line, "Local Address") {
			hdr = parseBSDHeader(line, namesMode)
			ev.header(line)
			b.skip()
			return
		}
		k := -1
		for j := 0; j < len(f) && j < 3; j++ {
			if _, ok := bsdProtos[f[j].s]; ok || bsdOtherProtos[f[j].s] {
				k = j
				break
			}
		}
		if k < 0 {
			b.problem(n, line, "a netstat line: Proto Recv-Q Send-Q HOST.PORT HOST.PORT [(state)]")
			return
		}
		if bsdOtherProtos[f[k].s] {
			b.skip()
			return
		}
		ev.proto(f[k].s)
		s, exp := bsdLine(f, k, hdr, darwin)
		if exp != "" {
			b.problem(n, line, exp)
			return
		}
		b.add(s)
	})
	if darwin {
		b.setOS("darwin")
	} else {
		b.setOS(ev.os())
	}
	if darwin || ev.four || b.res.Snapshot.OS == "freebsd" {
		// These name a dual-stack socket tcp46/udp46: a tcp6/udp6 one
		// is IPv6-only.
		for i := range b.res.Snapshot.Sockets {
			s := &b.res.Snapshot.Sockets[i]
			v6 := s.Local.Addr().Is6() && !s.Local.Addr().Is4In6() || s.Family == "inet6"
			if v6 && s.V6Only == nil {
				s.V6Only = snapshot.Bool(true)
			}
		}
	}
	if noListeners {
		b.noListeners = append(b.noListeners, map[bool]string{true: "darwin", false: "bsd"}[darwin])
	}
	return err
}

// bsdLine parses one socket line; k is the index of the Proto column.
func bsdLine(f []field, k int, h bsdHeader, darwin bool) (snapshot.Socket, string) {
	pi := bsdProtos[f[k].s]
	s := snapshot.Socket{Proto: pi.proto}
	if h.socketCol && k > 0 {
		s.KernelAddr = f[0].s
	}
	j := k + 1
	for q := 0; q < 4 && j < len(f) && parse.IsDigits(f[j].s); q++ {
		j++ // Recv-Q, Send-Q, and -T's Rexmit OOORcv 0-win
	}
	if j+1 >= len(f) {
		return s, "Proto Recv-Q Send-Q HOST.PORT HOST.PORT"
	}
	local, exp := bsdEndpoint(f[j].s, pi, h.local)
	if exp != "" {
		return s, exp + " in the local address " + strconv.Quote(f[j].s)
	}
	remote, exp := bsdEndpoint(f[j+1].s, pi, h.foreign)
	if exp != "" {
		return s, exp + " in the foreign address " + strconv.Quote(f[j+1].s)
	}
	s.Local = local.ap
	if !remote.wildcard {
		s.Remote = remote.ap
	}
	s.LocalText, s.RemoteText = local.text, remote.text
	s.PortText, s.Family = local.portText, local.family
	if remote.portText != "" {
		s.RemoteText = remote.text + "." + remote.portText
	}
	for _, c := range []struct {
		cut  bool
		name string
	}{{local.cutAddr, "local-address"}, {local.cutPort, "local-port"}, {remote.cutAddr, "remote-address"}, {remote.cutPort, "remote-port"}} {
		if c.cut {
			s.Truncated = append(s.Truncated, c.name)
		}
	}
	if pi.dual {
		s.V6Only = snapshot.Bool(false)
	}
	rest := f[j+2:]
	if len(rest) > 0 && states[rest[0].s] != "" {
		s.State, rest = states[rest[0].s], rest[1:]
	} else if pi.proto == snapshot.UDP {
		s.State = snapshot.Unconnected
		if s.Remote.IsValid() {
			s.State = snapshot.Established
		}
	} else if !h.known || h.hasState {
		return s, "a TCP state (LISTEN, ESTABLISHED, ...)"
	}
	// Without a state column (-T) a TCP state stays unknown: "".
	switch {
	case h.known && (h.pid >= 0 || h.procPID >= 0):
		var pid int
		var name string
		var err error
		if h.pid >= 0 {
			if h.pid >= len(rest) {
				return s, "a pid column"
			}
			pid, err = strconv.Atoi(rest[h.pid].s)
		} else {
			if h.procPID >= len(rest) {
				return s, "a process:pid column"
			}
			t := rest[h.procPID].s
			c := strings.LastIndexByte(t, ':')
			if c < 0 {
				return s, "process:pid, got " + strconv.Quote(t)
			}
			name = t[:c]
			pid, err = strconv.Atoi(t[c+1:])
		}
		if err != nil || pid < 0 {
			return s, "a numeric pid"
		}
		if pid == 0 {
			s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonPIDZero, "pid-zero"
			return s, ""
		}
		s.Owners = []snapshot.Owner{{PID: pid, Name: name}}
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersPartial, reasonOnePID, "one-pid-shown"
	case !h.known && len(rest) > 0:
		if pid, name, ok := macPIDByShape(rest); ok {
			if pid == 0 {
				s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonPIDZero, "pid-zero"
				return s, ""
			}
			s.Owners = []snapshot.Owner{{PID: pid, Name: name}}
			s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersPartial, reasonOnePID, "one-pid-shown"
			return s, ""
		}
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNoHeader, "no-header"
	default:
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNoColumn, "no-process-column"
	}
	return s, ""
}

// osEvidence collects what tells the BSDs apart.
type osEvidence struct {
	four, plain           bool // tcp4/udp4 protos; tcp/udp protos
	freebsdUnix, macLocal bool // "Active UNIX domain sockets"; macOS "LOCAL (UNIX)"
	freebsdCols           bool // Tcpcb or Rexmit headers
	openbsdHdr, netbsdHdr bool
}

func (e *osEvidence) title(line string) {
	if strings.Contains(line, "LOCAL (UNIX)") {
		e.macLocal = true
	} else if strings.HasPrefix(line, "Active UNIX domain sockets") {
		e.freebsdUnix = true
	}
}

func (e *osEvidence) header(line string) {
	switch {
	case strings.HasPrefix(line, "Tcpcb") || strings.Contains(line, "Rexmit"):
		e.freebsdCols = true
	case strings.HasPrefix(line, "Proto   Recv-Q"):
		e.openbsdHdr = true
	case strings.HasSuffix(strings.TrimSpace(line), " State") && strings.HasPrefix(line, "Proto Recv-Q Send-Q  Local"):
		e.netbsdHdr = true
	}
}

func (e *osEvidence) proto(p string) {
	if strings.HasSuffix(p, "4") || strings.HasSuffix(p, "46") {
		e.four = true
	} else if p == "tcp" || p == "udp" {
		e.plain = true
	}
}

// os names the BSD the output came from, "" when it does not tell.
func (e *osEvidence) os() string {
	switch {
	case e.four && !e.plain && !e.macLocal && (e.freebsdUnix || e.freebsdCols):
		return "freebsd"
	case e.plain && !e.four && e.openbsdHdr && !e.netbsdHdr:
		return "openbsd"
	case e.plain && !e.four && e.netbsdHdr && !e.openbsdHdr:
		return "netbsd"
	}
	return ""
}

// macPIDByShape reads the pid from the columns macOS netstat -v prints
// after the state when no header says which is which (grep LISTEN):
// "rhiwat shiwat pid epid state options" (numbers, then two hex words),
// or newer releases' "... process:pid ..." field.
func macPIDByShape(rest []field) (pid int, name string, ok bool) {
	for _, f := range rest {
		c := strings.LastIndexByte(f.s, ':')
		if c > 0 && parse.IsDigits(f.s[c+1:]) && !strings.HasPrefix(f.s, "0x") {
			if pid, err := strconv.Atoi(f.s[c+1:]); err == nil {
				return pid, f.s[:c], true
			}
		}
	}
	if len(rest) >= 6 && parse.IsDigits(rest[0].s) && parse.IsDigits(rest[1].s) && parse.IsDigits(rest[2].s) &&
		parse.IsDigits(rest[3].s) && strings.HasPrefix(rest[4].s, "0x") && strings.HasPrefix(rest[5].s, "0x") {
		if pid, err := strconv.Atoi(rest[2].s); err == nil {
			return pid, "", true
		}
	}
	return 0, "", false
}
