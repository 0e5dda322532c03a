// Package sockstat parses the output of sockstat(1) from FreeBSD and NetBSD
// (OpenBSD has none) into a snapshot of internet sockets and their owners.
//
// Both print one row per descriptor:
//
//	USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS
//	root     sshd       828   5  tcp4   *:22                  *:*
//	root     sshd       340    4 tcp    *.22                  *.*
//
// FreeBSD names the family in PROTO (tcp4, tcp6, and tcp46 for a dual-stack
// socket) and writes ADDR:PORT; NetBSD writes tcp/tcp6 and the BSD ADDR.PORT
// notation. Rows of several processes with the same protocol, local and
// foreign address become one socket with several owners; rows of "?" (a
// socket no process holds, or none sockstat could see) give a socket whose
// OwnerState is "unknown", with the reason.
//
// FreeBSD prints at most 10 characters of a command name, so a 10-character
// name is flagged as possibly truncated ("process-name"). When the user name
// is long, FreeBSD's columns shift and COMMAND and PID run together
// ("python2.781106"); the parser splits them only when exactly one split is
// possible, flags the socket ("command-pid"), and otherwise records the
// owner as unknown and says why, without guessing.
//
// NetBSD's sockstat without -n prints host and service names: a host name
// keeps the socket with an unknown address, the name in LocalText or
// RemoteText and the port; a service name missing from
// internal/parse/portname keeps the address with port 0 and the column as
// text.
package sockstat

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/portname"
	"github.com/openports/openports/internal/snapshot"
)

// Format is the name of the format this package parses.
const Format = "sockstat"

// Truncation flags set on sockets (snapshot.Socket.Truncated).
const (
	// TruncName says a command name may have been cut at 10 characters.
	TruncName = "process-name"
	// TruncCommandPID says the COMMAND and PID columns ran together.
	TruncCommandPID = "command-pid"
)

// Expected texts of the problems the parser reports.
const (
	expectRow     = "sockstat row: USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS"
	expectProto   = "protocol tcp, udp, sctp or udplite with family suffix 4, 6 or 46"
	expectAddress = "address as ADDR:PORT, [IPv6]:PORT, *:PORT or ADDR.PORT"
	expectPID     = "numeric PID and FD"
)

// noOwnerReason explains sockstat's "?" rows: sockets found in the
// protocol tables that no descriptor table it could read refers to.
const noOwnerReason = "sockstat showed no process for this socket (\"?\"): a kernel socket such as nfsd's, or a process hidden from an unprivileged run"

// maxPID is the largest PID FreeBSD and NetBSD hand out (PID_MAX).
const maxPID = 99999

// New returns the sockstat parser.
func New() parse.Parser { return parser{} }

type parser struct{}

// Format returns "sockstat".
func (parser) Format() string { return Format }

// Detect scores sample by sockstat's header and the share of lines that
// look like sockstat rows.
func (parser) Detect(sample []byte) int {
	rows, header, hits := parse.CountRows(sample, isHeader, func(f []string) bool {
		if i := protoIndex(f); i >= 0 {
			_, _, ok := parseProto(f[i])
			return ok || isUnixProto(f[i])
		}
		return false
	})
	if rows == 0 || hits+header == 0 {
		return 0
	}
	score := 85 * (hits + header) / rows
	if header > 0 {
		score += 15
	}
	return min(score, 100)
}

func isHeader(f []string) bool {
	return len(f) >= 5 && f[0] == "USER" && f[1] == "COMMAND" && f[2] == "PID" && f[3] == "FD" && f[4] == "PROTO"
}

// protoIndex is the index of the PROTO column of a row: 4 normally, 3
// when COMMAND and PID ran together; -1 when neither fits.
func protoIndex(f []string) int {
	if len(f) > 4 && (isProtoWord(f[4])) {
		return 4
	}
	if len(f) > 3 && isProtoWord(f[3]) {
		return 3
	}
	return -1
}

func isProtoWord(s string) bool {
	_, _, ok := parseProto(s)
	return ok || isUnixProto(s)
}

func isUnixProto(s string) bool {
	switch s {
	case "stream", "dgram", "seqpac", "seqpacket":
		return true
	}
	return false
}

// family of a sockstat protocol column.
type family int

const (
	fam4 family = iota
	fam6
	fam46
)

// parseProto reads tcp4, udp6, tcp46, sctp4, and NetBSD's bare tcp/udp
// (IPv4) and tcp6/udp6.
func parseProto(s string) (snapshot.Proto, family, bool) {
	base, fam := s, fam4
	switch {
	case strings.HasSuffix(s, "46"):
		base, fam = s[:len(s)-2], fam46
	case strings.HasSuffix(s, "4"):
		base = s[:len(s)-1]
	case strings.HasSuffix(s, "6"):
		base, fam = s[:len(s)-1], fam6
	}
	switch base {
	case "tcp":
		return snapshot.TCP, fam, true
	case "udp":
		return snapshot.UDP, fam, true
	case "udplite":
		return snapshot.UDPLite, fam, true
	case "sctp":
		return snapshot.SCTP, fam, true
	}
	return "", 0, false
}

// key identifies one socket while rows are joined.
type key struct {
	proto                 snapshot.Proto
	fam                   family
	local, remote         netip.AddrPort
	localText, remoteText string
}

type builder struct {
	name            string
	res             *parse.Result
	index           parse.Index[key]
	freebsd, netbsd bool
}

// Parse reads a whole sockstat output.
func (parser) Parse(r io.Reader, name string) (*parse.Result, error) {
	b := &builder{name: name, res: parse.NewResult(Format), index: parse.Index[key]{}}
	if err := parse.EachRow(r, name, b.res, b.line); err != nil {
		return nil, fmt.Errorf("sockstat %s: %w", name, err)
	}
	b.finish()
	return b.res, nil
}

func (b *builder) problem(n int, text, expected string) {
	b.res.Problem(b.name, n, text, expected)
}

func (b *builder) line(n int, line string) {
	f := strings.Fields(line)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") || isHeader(f) {
		b.res.Skipped++
		return
	}
	pi := protoIndex(f)
	if pi < 0 {
		b.problem(n, line, expectRow)
		return
	}
	if isUnixProto(f[pi]) {
		b.res.Skipped++
		return
	}
	proto, fam, _ := parseProto(f[pi])
	if f[pi] != string(proto) && f[pi] != string(proto)+"6" {
		b.freebsd = true // a family suffix other than NetBSD's
	}
	cols := f[pi+1:]
	if len(cols) < 2 {
		b.problem(n, line, expectRow)
		return
	}
	v6 := fam != fam4
	local, localText, dots, ok := parseAddr(cols[0], v6, proto)
	if !ok {
		b.problem(n, line, expectAddress)
		return
	}
	if dots {
		b.netbsd = true
	} else if strings.Contains(cols[0], ":") {
		b.freebsd = true // NetBSD writes ADDR.PORT, FreeBSD ADDR:PORT
	}
	remote, remoteText, _, ok := parseAddr(cols[1], v6, proto)
	if !ok {
		b.problem(n, line, expectAddress)
		return
	}
	if remote.Port() == 0 && remoteText == "" {
		remote = netip.AddrPort{} // "*:*": no peer
	}
	state := stateOf(proto, remote, cols[2:])
	if remoteText != "" && (state == snapshot.Listen || state == snapshot.Unconnected) {
		state = snapshot.Established // a peer printed as a name
	}

	// The owner: USER COMMAND PID FD, or USER COMMAND+PID FD.
	var (
		owner  *snapshot.Owner
		trunc  []string
		reason string
		code   string // snapshot.Socket.OwnerReasonCode
		fdText = f[pi-1]
	)
	user, cmd := f[0], f[1]
	switch {
	case pi == 4 && user == "?" && cmd == "?":
		// No process holds the socket, or none this run could see.
		reason, code = noOwnerReason, "tool-could-not-see"
	case pi == 4:
		pid, err1 := strconv.Atoi(f[2])
		fd, err2 := strconv.Atoi(fdText)
		if err1 != nil || err2 != nil || pid < 0 || fd < 0 {
			b.problem(n, line, expectPID)
			return
		}
		owner = &snapshot.Owner{PID: pid, Name: cmd, User: user, FDs: []int{fd}}
	default: // pi == 3: COMMAND and PID ran together.
		fd, err := strconv.Atoi(fdText)
		if err != nil || fd < 0 {
			b.problem(n, line, expectPID)
			return
		}
		trunc = append(trunc, TruncCommandPID)
		splits := splitCommandPID(cmd)
		if len(splits) == 1 {
			owner = &snapshot.Owner{PID: splits[0].pid, Name: splits[0].cmd, User: user, FDs: []int{fd}}
			cmd = splits[0].cmd
		} else {
			var alts []string
			for _, s := range splits {
				alts = append(alts, fmt.Sprintf("%s (PID %d)", s.cmd, s.pid))
			}
			reason = fmt.Sprintf("sockstat ran the COMMAND and PID columns together (%q) and the split is ambiguous: %s", cmd, strings.Join(alts, " or "))
			code = "ambiguous-columns"
			cmd = ""
		}
	}
	if owner != nil && len(cmd) == 10 {
		trunc = append(trunc, TruncName)
	}

	k := key{proto: proto, fam: fam, local: local, remote: remote, localText: localText, remoteText: remoteText}
	s, _ := b.index.Socket(b.res.Snapshot, k, func() snapshot.Socket {
		so := snapshot.Socket{Proto: proto, Local: local, Remote: remote, State: state, LocalText: localText, RemoteText: remoteText}
		if fam == fam46 {
			so.V6Only = snapshot.Bool(false)
		}
		return so
	})
	parse.AddFlags(s, trunc...)
	switch {
	case owner != nil:
		parse.AddOwner(s, *owner)
		if s.OwnerState == snapshot.OwnersUnknown {
			s.OwnerState = snapshot.OwnersPartial
		} else if s.OwnerState == "" {
			s.OwnerState = snapshot.OwnersComplete
		}
	case reason != "":
		if s.User == "" && user != "?" {
			s.User = user
		}
		if len(s.Owners) > 0 {
			s.OwnerState = snapshot.OwnersPartial
		} else {
			s.OwnerState = snapshot.OwnersUnknown
		}
		s.OwnerReason, s.OwnerReasonCode = reason, code
	}
	b.res.Parsed++
}

// stateOf is the ss-style state of a row: from a trailing state column
// when sockstat printed one (-s), else LISTEN/UNCONN without a peer and
// ESTAB with one.
func stateOf(proto snapshot.Proto, remote netip.AddrPort, extra []string) snapshot.State {
	for _, e := range extra {
		if st, ok := tcpStates[e]; ok {
			return st
		}
	}
	switch {
	case remote.IsValid():
		return snapshot.Established
	case proto == snapshot.UDP || proto == snapshot.UDPLite:
		return snapshot.Unconnected
	}
	return snapshot.Listen
}

// tcpStates maps the BSD TCP state names sockstat -s prints.
var tcpStates = map[string]snapshot.State{
	"LISTEN":      snapshot.Listen,
	"ESTABLISHED": snapshot.Established,
	"SYN_SENT":    "SYN-SENT",
	"SYN_RCVD":    "SYN-RECV",
	"FIN_WAIT_1":  "FIN-WAIT-1",
	"FIN_WAIT_2":  "FIN-WAIT-2",
	"TIME_WAIT":   "TIME-WAIT",
	"CLOSE_WAIT":  "CLOSE-WAIT",
	"LAST_ACK":    "LAST-ACK",
	"CLOSING":     "CLOSING",
	"CLOSED":      snapshot.Unconnected,
	"BOUND":       snapshot.Unconnected,
}

type split struct {
	cmd string
	pid int
}

// splitCommandPID lists the ways a merged "python2.781106" can be read as
// a command of at most 10 characters (sockstat's limit) followed by a PID
// in 1..maxPID without leading zeros.
func splitCommandPID(s string) []split {
	var out []split
	for i := len(s) - 1; i >= 1 && s[i] >= '0' && s[i] <= '9'; i-- {
		if s[i] == '0' || i > 10 {
			continue
		}
		pid, err := strconv.Atoi(s[i:])
		if err != nil || pid < 1 || pid > maxPID {
			continue
		}
		out = append(out, split{cmd: s[:i], pid: pid})
	}
	return out
}

func (b *builder) finish() {
	s := b.res.Snapshot
	switch {
	case b.freebsd && !b.netbsd:
		s.OS = "freebsd"
	case b.netbsd && !b.freebsd:
		s.OS = "netbsd"
	}
	if s.OS != "" {
		// Both default to net.inet6.ip6.v6only=1.
		s.BindV6Only = snapshot.Bool(true)
	}
	s.Sort()
}

// parseAddr reads a sockstat address: "*:22", "10.0.0.1:22", "[::1]:22",
// "::1:22", "fe80::1%em0:123" (FreeBSD), "*.22", "10.0.0.1.22",
// "fe80::1%wm0.123" (NetBSD). A port of "*" is port 0: "*:*" is the
// wildcard address without a port (an unbound socket, or no peer). dots
// reports the BSD notation.
func parseAddr(s string, v6 bool, proto snapshot.Proto) (ap netip.AddrPort, text string, dots, ok bool) {
	var host, port string
	if i := strings.LastIndexByte(s, ':'); i >= 0 && isPort(s[i+1:]) {
		host, port = s[:i], s[i+1:]
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	} else if i := strings.LastIndexByte(s, '.'); i >= 0 && i+1 < len(s) {
		// NetBSD's notation, with a port number or, without -n, a
		// service name.
		host, port, dots = s[:i], s[i+1:], true
	} else {
		return netip.AddrPort{}, "", false, false
	}
	var p uint16
	switch {
	case port == "*":
	case isPort(port):
		n, _ := strconv.ParseUint(port, 10, 16)
		p = uint16(n)
	default:
		n, known := portname.Port(port, proto)
		switch {
		case known:
			p = n
		case parse.IsHostName(port):
			// A service name missing from the table: port 0, the
			// column kept as printed, nothing guessed.
			text = s
		default:
			return netip.AddrPort{}, "", false, false
		}
	}
	a, named := parse.NamedAddr(host, v6)
	if !named {
		var err error
		if a, err = netip.ParseAddr(host); err != nil {
			if !parse.IsHostName(host) {
				return netip.AddrPort{}, "", false, false
			}
			// A host name (NetBSD sockstat without -n): the address is
			// unknown, the name kept.
			a = netip.Addr{}
			if text == "" {
				text = host
			}
		}
	}
	return netip.AddrPortFrom(a, p), text, dots, true
}

// isPort reports whether s is a port column: a number or "*".
func isPort(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" || len(s) > 5 || s[0] == '+' {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 16)
	return err == nil && n <= 65535
}
