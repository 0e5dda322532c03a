package netstat

import (
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// linuxProtos maps the Proto column of net-tools and BusyBox.
var linuxProtos = map[string]protoInfo{
	"tcp": {proto: snapshot.TCP}, "tcp6": {proto: snapshot.TCP, v6: true},
	"udp": {proto: snapshot.UDP}, "udp6": {proto: snapshot.UDP, v6: true},
	"udpl": {proto: snapshot.UDPLite}, "udpl6": {proto: snapshot.UDPLite, v6: true},
	"raw": {proto: snapshot.Raw}, "raw6": {proto: snapshot.Raw, v6: true},
}

// linuxOtherFamilies are Proto words of sections openports does not model.
var linuxOtherFamilies = map[string]bool{
	"unix": true, "ax25": true, "netrom": true, "rose": true, "ipx": true, "x25": true,
	"bluetooth": true, "l2cap": true, "rfcomm": true, "sco": true,
}

// linuxColumns are the optional columns a net-tools header announces.
type linuxColumns struct {
	known             bool // a header was seen
	user, inode, prog bool
	timer             bool
}

// progWidth is the width net-tools gives "PID/Program name": the text is
// cut to progWidth-1 characters.
const progWidth = 20

// linuxSection is the kind of block a title starts.
type linuxSection int

const (
	// sockets: Internet or UNIX sockets; every line must be a header or
	// a row of a known family.
	sockets linuxSection = iota
	// routing: netstat -r tables, skipped whole.
	routing
)

// parseLinux reads the lines rows gives; titled holds the numbers of the
// lines a "Proto" header follows.
func parseLinux(b *builder, rows func(func(n int, line string)) error, titled map[int]bool) error {
	b.setOS("linux")
	sect := sockets
	var cols linuxColumns
	// withoutServers is set by a title saying its block leaves listening
	// sockets out ("(w/o servers)"); listening counts those the block
	// showed all the same (pt_BR words "only servers" the same way).
	withoutServers, listening := false, 0
	endBlock := func() {
		if withoutServers && listening == 0 {
			b.noListeners = append(b.noListeners, "linux")
		}
		withoutServers, listening = false, 0
	}
	notice := false // inside netstat's parenthesised notice on stderr
	err := rows(func(n int, line string) {
		f := fields(line)
		if t := strings.TrimSpace(line); notice || strings.HasPrefix(t, "(") && len(f) > 2 {
			// "(Not all processes could be identified, non-owned
			// process info\n will not be shown, ...)", "(No info could
			// be read for "-p": ...)", in any language: the sockets it
			// speaks of show "-" and get a gap of their own.
			notice = !strings.HasSuffix(t, ")")
			b.skip()
			return
		}
		if len(f) == 0 || strings.HasPrefix(f[0].s, "#") {
			if len(f) > 0 { // a "# command" line starts a new output
				endBlock()
				sect, cols = sockets, linuxColumns{}
			}
			b.skip()
			return
		}
		if linuxTitle(line, f, titled[n]) {
			endBlock()
			sect, cols = sockets, linuxColumns{}
			if isRoutingTitle(line) {
				sect = routing
			}
			withoutServers = linuxWithoutServers(line)
			b.skip()
			return
		}
		if sect == routing {
			b.skip()
			return
		}
		if f[0].s == "Proto" {
			cols = linuxColumns{known: true,
				user:  strings.Contains(line, "User"),
				inode: strings.Contains(line, "Inode"),
				prog:  strings.Contains(line, "PID/Program"),
				timer: strings.Contains(line, "Timer"),
			}
			b.skip()
			return
		}
		if linuxOtherFamilies[f[0].s] {
			b.skip()
			return
		}
		pi, ok := linuxProtos[f[0].s]
		if !ok {
			b.problem(n, line, "a netstat line: Proto Recv-Q Send-Q Local-Address Foreign-Address [State] [User Inode] [PID/Program name]")
			return
		}
		s, exp := linuxLine(line, f, pi, cols)
		if exp != "" {
			b.problem(n, line, exp)
			return
		}
		if s.State == snapshot.Listen || s.State == snapshot.Unconnected {
			listening++
		}
		b.add(s)
	})
	endBlock()
	return err
}

// linuxWithoutServersTitles are the endings net-tools gives, in its
// catalogues (en, cs, de, et, fr, ja, pt_BR), to the title of a block
// that leaves listening sockets out (netstat without -l or -a).
var linuxWithoutServersTitles = []string{
	"(w/o servers)", "(w/o servery)", "(ohne Server)", "(ilma serveriteta)", "(sans serveurs)",
	"(w/oサーバ)", "(sem os servidores)",
}

func linuxWithoutServers(title string) bool {
	t := strings.TrimSpace(title)
	for _, w := range linuxWithoutServersTitles {
		if strings.HasSuffix(t, w) {
			return true
		}
	}
	return false
}

// linuxTitle reports whether line starts a block: a known English or
// German title, or any line that is no row and is followed by a "Proto"
// header (a title in another language).
func linuxTitle(line string, f []field, beforeHeader bool) bool {
	if title, _ := isSectionTitle(line); title {
		return true
	}
	if f[0].s == "Proto" || linuxOtherFamilies[f[0].s] {
		return false
	}
	if _, row := linuxProtos[f[0].s]; row {
		return false
	}
	return beforeHeader
}

func isRoutingTitle(line string) bool {
	return strings.HasPrefix(line, "Kernel IP") || strings.HasPrefix(line, "Routing tables")
}

// linuxLine parses one socket line of net-tools netstat.
func linuxLine(line string, f []field, pi protoInfo, cols linuxColumns) (snapshot.Socket, string) {
	s := snapshot.Socket{Proto: pi.proto}
	if len(f) < 5 {
		return s, "Proto Recv-Q Send-Q Local-Address Foreign-Address"
	}
	if !parse.IsDigits(f[1].s) || !parse.IsDigits(f[2].s) {
		return s, "numeric Recv-Q and Send-Q columns"
	}
	local, exp := linuxEndpoint(f[3].s, pi)
	if exp != "" {
		return s, exp + " in the local address " + strconvQuote(f[3].s)
	}
	remote, exp := linuxEndpoint(f[4].s, pi)
	if exp != "" {
		return s, exp + " in the foreign address " + strconvQuote(f[4].s)
	}
	s.Local = local.ap
	if !remote.wildcard {
		s.Remote = remote.ap
	}
	s.LocalText, s.RemoteText = local.text, remote.text
	s.PortText, s.Family = local.portText, local.family
	if remote.portText != "" {
		s.RemoteText = remote.text + ":" + remote.portText
	}
	if local.cutAddr {
		s.Truncated = append(s.Truncated, "local-address")
	}
	if remote.cutAddr {
		s.Truncated = append(s.Truncated, "remote-address")
	}
	if local.cutPort {
		s.Truncated = append(s.Truncated, "local-port")
	}
	rest := f[5:]
	// State: always shown for TCP, a number for raw sockets, a word for
	// connected UDP and nothing for unconnected UDP.
	switch {
	case pi.proto == snapshot.TCP:
		if len(rest) == 0 {
			return s, "a TCP state"
		}
		st, k := stateAt(rest)
		if k == 0 {
			return s, "a TCP state (LISTEN, ESTABLISHED, ...), got " + strconvQuote(rest[0].s)
		}
		s.State, rest = st, rest[k:]
	case len(rest) > 0 && numericStates[rest[0].s] != "" && pi.proto == snapshot.Raw:
		s.State, rest = numericStates[rest[0].s], rest[1:]
	case len(rest) > 0 && states[rest[0].s] != "":
		st, k := stateAt(rest)
		s.State, rest = st, rest[k:]
	default:
		s.State = snapshot.Unconnected
		if s.Remote.IsValid() {
			s.State = snapshot.Established
		}
	}
	// User and Inode (-e): announced by the header, or recognised by shape
	// in a headerless (grep-filtered) output.
	// Recognised by their shape: headers are translated ("Utilisatr")
	// and some translations leave the Inode word out.
	hasUser := cols.user && cols.inode
	if len(rest) >= 2 && parse.IsDigits(rest[1].s) && !strings.Contains(rest[0].s, "/") && rest[0].s != "-" {
		hasUser = true
	}
	if hasUser {
		if len(rest) < 2 {
			return s, "User and Inode columns"
		}
		if parse.IsDigits(rest[0].s) {
			uid, err := strconv.ParseUint(rest[0].s, 10, 32)
			if err != nil {
				return s, "a numeric user id or a user name"
			}
			s.UID = snapshot.Uint32(uint32(uid))
		} else {
			s.User = rest[0].s
		}
		ino, err := strconv.ParseUint(rest[1].s, 10, 64)
		if err != nil {
			return s, "a numeric inode, got " + strconvQuote(rest[1].s)
		}
		s.Inode = ino
		rest = rest[2:]
	}
	hasProg := cols.prog
	if len(rest) > 0 && (rest[0].s == "-" || strings.Contains(rest[0].s, "/")) {
		hasProg = true
	}
	if !hasProg {
		if len(rest) > 0 && !cols.timer && !isTimer(line[rest[0].start:]) {
			return s, "end of line after the " + lastColumn(hasUser) + " column, got " + strconvQuote(rest[0].s)
		}
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNoColumn, "no-process-column"
		return s, ""
	}
	if len(rest) == 0 {
		return s, "a PID/Program name column"
	}
	prog := strings.TrimRight(line[rest[0].start:], " \t")
	// -o appends a timer such as "off (0.00/0/0)" after the program; its
	// word is translated, its figures are not.
	if k := timerStart(prog); k > 0 {
		prog = strings.TrimRight(prog[:k], " ")
	}
	if prog == "-" {
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonHidden, "tool-could-not-see"
		return s, ""
	}
	pidText, name, ok := strings.Cut(prog, "/")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		return s, "PID/Program name or -, got " + strconvQuote(prog)
	}
	// The column holds at most progWidth-1 characters: a text that fills
	// it was possibly cut. So was a process title one shorter with a space
	// in it ("sshd: kbrazil"), whose cut may have ended on a space that the
	// padding hides.
	if len(prog) >= progWidth-1 || (len(prog) == progWidth-2 && strings.Contains(name, " ") && rest[0].start+len(prog) < len(line)) {
		s.Truncated = append(s.Truncated, "process-name")
	}
	o := snapshot.Owner{PID: pid, Name: name, User: s.User}
	s.Owners = []snapshot.Owner{o}
	s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersPartial, reasonOnePID, "one-pid-shown"
	return s, ""
}

func lastColumn(user bool) string {
	if user {
		return "Inode"
	}
	return "State"
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// timerStart returns where a trailing -o timer ("off (0.00/0/0)",
// "keepalive (7190.47/0/0)") starts in text, or -1.
func timerStart(text string) int {
	if !strings.HasSuffix(text, ")") {
		return -1
	}
	open := strings.LastIndex(text, " (")
	if open < 0 {
		return -1
	}
	parts := strings.Split(text[open+2:len(text)-1], "/")
	if len(parts) != 3 || !parse.IsDigits(parts[1]) || !parse.IsDigits(parts[2]) {
		return -1
	}
	secs, frac, ok := strings.Cut(parts[0], ".")
	if !ok || !parse.IsDigits(secs) || !parse.IsDigits(frac) {
		return -1
	}
	word := strings.LastIndexAny(strings.TrimRight(text[:open], " "), " \t")
	return word + 1
}

// isTimer reports whether text is only an -o timer.
func isTimer(text string) bool { return timerStart(strings.TrimSpace(text)) == 0 }
