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

func parseLinux(b *builder, lines []string) {
	b.setOS("linux")
	inet := true
	var cols linuxColumns
	for i, line := range lines {
		n := i + 1
		f := fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0].s, "#") {
			if len(f) > 0 { // a "# command" line starts a new output
				inet, cols = true, linuxColumns{}
			}
			b.skip()
			continue
		}
		if title, isInet := isSectionTitle(line); title {
			inet, cols = isInet, linuxColumns{}
			b.skip()
			continue
		}
		if f[0].s == "Proto" {
			if inet {
				cols = linuxColumns{known: true,
					user:  strings.Contains(line, "User"),
					inode: strings.Contains(line, "Inode"),
					prog:  strings.Contains(line, "PID/Program"),
					timer: strings.Contains(line, "Timer"),
				}
			}
			b.skip()
			continue
		}
		if !inet || linuxOtherFamilies[f[0].s] {
			b.skip()
			continue
		}
		pi, ok := linuxProtos[f[0].s]
		if !ok {
			b.problem(n, line, "a netstat line: Proto Recv-Q Send-Q Local-Address Foreign-Address [State] [User Inode] [PID/Program name]")
			continue
		}
		s, exp := linuxLine(line, f, pi, cols)
		if exp != "" {
			b.problem(n, line, exp)
			continue
		}
		b.add(s)
	}
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
	if local.cutAddr {
		s.Truncated = append(s.Truncated, "local-address")
	}
	if remote.cutAddr {
		s.Truncated = append(s.Truncated, "remote-address")
	}
	rest := f[5:]
	// State: always shown for TCP, a number for raw sockets, a word for
	// connected UDP and nothing for unconnected UDP.
	switch {
	case pi.proto == snapshot.TCP:
		if len(rest) == 0 {
			return s, "a TCP state"
		}
		st, ok := states[rest[0].s]
		if !ok {
			return s, "a TCP state (LISTEN, ESTABLISHED, ...), got " + strconvQuote(rest[0].s)
		}
		s.State, rest = st, rest[1:]
	case len(rest) > 0 && numericStates[rest[0].s] != "" && pi.proto == snapshot.Raw:
		s.State, rest = numericStates[rest[0].s], rest[1:]
	case len(rest) > 0 && states[rest[0].s] != "":
		s.State, rest = states[rest[0].s], rest[1:]
	default:
		s.State = snapshot.Unconnected
		if s.Remote.IsValid() {
			s.State = snapshot.Established
		}
	}
	// User and Inode (-e): announced by the header, or recognised by shape
	// in a headerless (grep-filtered) output.
	hasUser := cols.user && cols.inode
	if !cols.known && len(rest) >= 2 && parse.IsDigits(rest[1].s) && !strings.Contains(rest[0].s, "/") && rest[0].s != "-" {
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
	if !cols.known && len(rest) > 0 && (rest[0].s == "-" || strings.Contains(rest[0].s, "/")) {
		hasProg = true
	}
	if !hasProg {
		if len(rest) > 0 && !cols.timer {
			return s, "end of line after the " + lastColumn(hasUser) + " column, got " + strconvQuote(rest[0].s)
		}
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNoColumn, "no-process-column"
		return s, ""
	}
	if len(rest) == 0 {
		return s, "a PID/Program name column"
	}
	prog := strings.TrimRight(line[rest[0].start:], " \t")
	if cols.timer {
		// -o appends a timer such as "off (0.00/0/0)" after the program.
		if k := strings.LastIndex(prog, " off ("); k >= 0 {
			prog = strings.TrimRight(prog[:k], " ")
		} else if k := strings.LastIndex(prog, " on ("); k >= 0 {
			prog = strings.TrimRight(prog[:k], " ")
		} else if k := strings.LastIndex(prog, " keepalive ("); k >= 0 {
			prog = strings.TrimRight(prog[:k], " ")
		} else if k := strings.LastIndex(prog, " timewait ("); k >= 0 {
			prog = strings.TrimRight(prog[:k], " ")
		}
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
