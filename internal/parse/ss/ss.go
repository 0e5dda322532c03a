// Package ss parses saved outputs of iproute2's ss(8): with and without
// the Netid column (ss prints none when one protocol is selected), with and
// without the header (-H), the process column in its old
// users:(("name",pid,fd)) and current users:(("name",pid=1,fd=3),...) forms,
// the %iface suffix of device-bound sockets, and the -e extras uid:, ino:,
// sk: and v6only:.
//
// ss prints "*" for a wildcard address. Before iproute2 4.x that meant the
// IPv4 wildcard; current ss prints 0.0.0.0 and [::] for the wildcards and
// keeps "*" for an IPv6 socket that also accepts IPv4 (v6only 0), so that
// its [::] is a v6-only socket (v6only 1). The parser decides per input:
// when the input shows 0.0.0.0 or a Process header it is current ss,
// otherwise old; v6only:0 on a line decides for that line.
//
// Without -n, ss prints host and service names: a host name keeps the
// socket with an unknown address, the name in LocalText/RemoteText and the
// port; a service name missing from internal/parse/portname keeps the
// address with port 0 and the column as text. Nothing is guessed.
package ss

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

// Format is the stable name of the format.
const Format = "ss"

// Parser parses ss output.
type Parser struct {
	// listeningOnly leaves connected sockets out as they are read.
	listeningOnly bool
}

// ListeningOnly returns the parser that keeps only listening and
// unconnected sockets (parse.ListeningParser).
func (Parser) ListeningOnly() parse.Parser { return Parser{listeningOnly: true} }

var _ parse.Parser = Parser{}

// New returns the ss parser.
func New() Parser { return Parser{} }

// Format returns "ss".
func (Parser) Format() string { return Format }

// Owner reasons.
const (
	reasonNoColumn = "the tool output has no process column"
	reasonNotShown = "ss showed no process for this socket: a kernel socket, or a process ss could not see (run as root)"
	// ss prints process names unescaped: a name with quotes or commas
	// can leave the column unreadable. The socket is kept, its owner
	// unknown, and the line is reported as a problem.
	reasonUnreadable = "the process column of this line could not be read (a process name with quotes or commas?)"
)

// Expected texts of problems.
const (
	expectLine        = "an ss line: [Netid] State Recv-Q Send-Q Local-Address:Port Peer-Address:Port [Process]"
	expectNumericHost = "numeric address (run the tool with -n)"
	expectPort        = "a port number or a known service name (run the tool with -n)"
)

// inetNetids map the Netid column of Internet sockets.
var inetNetids = map[string]snapshot.Proto{
	"tcp": snapshot.TCP, "udp": snapshot.UDP, "raw": snapshot.Raw, "sctp": snapshot.SCTP,
	// ss names raw ICMPv6 sockets icmp6 (ss -a, ss -w)
	"icmp6": snapshot.Raw,
}

// otherNetids are the socket families and protocols that are skipped:
// unix, netlink, packet, vsock, xdp, tipc; mptcp and dccp are reported as
// problems instead, since openports does not model them.
var otherNetids = map[string]bool{
	"u_str": true, "u_dgr": true, "u_seq": true, "nl": true, "p_raw": true, "p_dgr": true,
	"v_str": true, "v_dgr": true, "xdp": true, "tipc": true,
}

// states lists the state words of ss.
var states = map[string]bool{
	"UNCONN": true, "ESTAB": true, "LISTEN": true, "SYN-SENT": true, "SYN-RECV": true,
	"FIN-WAIT-1": true, "FIN-WAIT-2": true, "TIME-WAIT": true, "CLOSE-WAIT": true,
	"LAST-ACK": true, "CLOSING": true, "CLOSED": true, "NEW-SYN-RECV": true, "BOUND": true,
}

// tcpOnlyStates are states only TCP sockets have: without a Netid column
// they make the protocol TCP.
var tcpOnlyStates = map[string]bool{
	"LISTEN": true, "SYN-SENT": true, "SYN-RECV": true, "FIN-WAIT-1": true, "FIN-WAIT-2": true,
	"TIME-WAIT": true, "CLOSE-WAIT": true, "LAST-ACK": true, "CLOSING": true, "NEW-SYN-RECV": true,
}

// input is what a pre-scan learned about the whole input.
type input struct {
	modernWildcard bool // "*" is the dual-stack IPv6 wildcard
	hasUsers       bool // the run used -p
	noNetidProto   snapshot.Proto
}

// prescanner learns input from the lines given one by one.
type prescanner struct {
	in                input
	sawUnconn, sawRaw bool
}

func (pre *prescanner) line(l string) {
	in := &pre.in
	if strings.Contains(l, "0.0.0.0:") || strings.Contains(l, "0.0.0.0%") || (strings.Contains(l, "Peer Address:Port") && strings.Contains(l, "Process")) {
		in.modernWildcard = true
	}
	if strings.Contains(l, "users:(") {
		in.hasUsers = true
	}
	// The first and fourth fields, without splitting every line.
	first, rest := parse.NextField(l)
	if tcpOnlyStates[first] {
		in.noNetidProto = snapshot.TCP
	}
	if first == "UNCONN" {
		pre.sawUnconn = true
		_, rest = parse.NextField(rest)
		_, rest = parse.NextField(rest)
		if fourth, _ := parse.NextField(rest); fourth != "" && protocolPort(fourth) {
			pre.sawRaw = true
		}
	}
}

func (pre *prescanner) input() input {
	in := pre.in
	switch {
	case in.noNetidProto == "" && pre.sawRaw:
		// ss -w has no Netid column: its "ports" are IP protocols.
		in.noNetidProto = snapshot.Raw
	case in.noNetidProto == "" && pre.sawUnconn:
		in.noNetidProto = snapshot.UDP
	}
	return in
}

// protocolPort reports whether the port of an ADDRESS:PORT column is an IP
// protocol name that is no service name ("*:ipv6-icmp", "0.0.0.0:udp"):
// what ss prints for raw sockets.
func protocolPort(tok string) bool {
	i := strings.LastIndexByte(tok, ':')
	if i < 0 || parse.IsDigits(tok[i+1:]) {
		return false
	}
	name := tok[i+1:]
	_, proto := portname.Protocol(name)
	_, service := portname.Port(name, snapshot.UDP)
	return proto && !service
}

// Parse reads an ss output. name labels problems. How a line reads
// depends on the whole output (whether "*" is the dual-stack wildcard,
// whether -p was given), so the output is read twice: r is read as it is
// when it can seek (analyze gives each part so), and held otherwise.
func (p Parser) Parse(r io.Reader, name string) (*parse.Result, error) {
	rs, err := parse.Rewindable(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var pre prescanner
	if err := parse.EachLine(rs, func(_ int, line string, _ bool) { pre.line(line) }); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read %s again: %w", name, err)
	}
	in := pre.input()
	res := parse.NewResult(Format)
	res.Snapshot.OS = "linux"
	problem := func(n int, text, exp string) { res.Problem(name, n, text, exp) }
	prevSocket := false
	unknown, hidden := 0, 0
	// The first of ss's own errors is quoted; the others are counted.
	toolErrors, firstToolError := 0, ""
	err = parse.EachRow(rs, name, res, func(n int, line string) {
		f := strings.Fields(line)
		wasSocket := prevSocket
		prevSocket = false
		switch {
		case len(f) == 0, strings.HasPrefix(f[0], "#"):
			res.Skipped++
			return
		case f[0] == "Netid" || (f[0] == "State" && strings.Contains(line, "Local Address")):
			res.Skipped++
			return
		case strings.HasPrefix(line, "RTNETLINK answers:"):
			// ss's own error for one of its dumps: which family is
			// missing it does not say.
			res.Skipped++
			if toolErrors == 0 {
				firstToolError = parse.Clip(strings.TrimSpace(line))
			}
			toolErrors++
			return
		case line[0] == ' ' || line[0] == '\t':
			// -i, -m and -o print details on continuation lines.
			if wasSocket {
				prevSocket = true
				res.Skipped++
			} else {
				problem(n, line, expectLine)
			}
			return
		case otherNetids[f[0]]:
			res.Skipped++
			return
		}
		s, exp, ownersExp, skip := parseLine(line, f, in)
		switch {
		case skip:
			res.Skipped++
		case exp != "":
			problem(n, line, exp)
		default:
			// A line whose process column could not be read counts as a
			// problem, not as parsed, but its socket is kept.
			parsed := 1
			if ownersExp != "" {
				problem(n, line, ownersExp)
				parsed = 0
			}
			prevSocket = true
			// The owner gaps speak of the sockets analyze lists; a
			// connected socket's unknown owner is its own (owner_state).
			switch reason := s.OwnerReason; {
			case !parse.Listening(&s):
			case reason == reasonNoColumn:
				unknown++
			case reason == reasonNotShown:
				hidden++
			}
			if p.listeningOnly && !parse.Listening(&s) {
				res.Connected++
				res.Parsed += parsed
				return
			}
			res.Snapshot.Sockets = append(res.Snapshot.Sockets, s)
			res.Parsed += parsed
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if unknown > 0 {
		res.Snapshot.Gaps = append(res.Snapshot.Gaps, snapshot.Gap{Area: "owners", Reason: "no-process-column", Args: map[string]string{"tool": "ss"},
			Detail: "the ss output has no process column (run ss with -p)", Count: unknown})
	}
	if toolErrors > 0 {
		res.Snapshot.Gaps = append(res.Snapshot.Gaps, snapshot.Gap{Area: "sockets", Reason: "tool-error", Count: toolErrors,
			Args:   map[string]string{"tool": "ss", "error": firstToolError},
			Detail: "ss reported an error for one of its socket dumps (" + firstToolError + "): some sockets may be missing from its output"})
	}
	if hidden > 0 {
		res.Snapshot.Gaps = append(res.Snapshot.Gaps, snapshot.Gap{Area: "owners", Reason: "tool-could-not-see", Args: map[string]string{"tool": "ss"},
			Detail: "ss showed no process for these sockets: kernel sockets, or processes it could not see", Count: hidden})
	}
	res.Snapshot.Sort()
	return res, nil
}

// parseLine parses one socket line. skip is true for sockets of families
// openports does not model (unix sockets in an output without Netid).
// ownersExpected says what the process column should have been when only
// it could not be read: s is then whole but for its owners.
func parseLine(line string, f []string, in input) (s snapshot.Socket, expected, ownersExpected string, skip bool) {
	k := 0
	if proto, ok := inetNetids[f[0]]; ok {
		s.Proto = proto
		k = 1
	} else if states[f[0]] {
		s.Proto = in.noNetidProto
		if tcpOnlyStates[f[0]] {
			s.Proto = snapshot.TCP
		}
		if s.Proto == "" {
			s.Proto = snapshot.TCP // ESTAB alone: ss -t is by far the common case
		}
	} else if f[0] == "mptcp" || f[0] == "dccp" || f[0] == "udplite" {
		return s, "a protocol openports models (tcp, udp, raw, sctp), got " + strconv.Quote(f[0]), "", false
	} else {
		return s, expectLine, "", false
	}
	// State; a hand-edited line may lack it.
	if k < len(f) && states[f[k]] {
		s.State = ssState(f[k])
		k++
	} else {
		s.Truncated = append(s.Truncated, "state")
	}
	if k+4 > len(f) {
		return s, expectLine, "", false
	}
	if !parse.IsDigits(f[k]) || !parse.IsDigits(f[k+1]) {
		return s, "numeric Recv-Q and Send-Q columns", "", false
	}
	localTok, peerTok := f[k+2], f[k+3]
	if strings.HasPrefix(localTok, "/") || strings.HasPrefix(localTok, "@") {
		return s, "", "", true // a unix socket in an output without Netid
	}
	u, hasUsers := usersText(line)
	clean := line
	if hasUsers {
		clean = strings.Replace(line, u, " ", 1) // a name may hold spaces
	}
	var extras map[string]string
	if cf := strings.Fields(clean); k+4 <= len(cf) {
		extras = extraFields(cf[k+4:])
	}
	if v, ok := extras["v6only"]; ok && (v == "0" || v == "1") {
		s.V6Only = snapshot.Bool(v == "1")
	}
	dualWildcard := in.modernWildcard || (s.V6Only != nil && !*s.V6Only)
	local, iface, localText, exp := endpoint(localTok, s.Proto, dualWildcard)
	if exp != "" {
		return s, exp + " in the local address " + strconv.Quote(localTok), "", false
	}
	peer, _, peerText, exp := endpoint(peerTok, s.Proto, dualWildcard)
	if exp != "" {
		return s, exp + " in the peer address " + strconv.Quote(peerTok), "", false
	}
	s.Local, s.Interface, s.LocalText = local, iface, localText
	if c := strings.LastIndexByte(localText, ':'); c >= 0 && local.Port() == 0 {
		// endpoint kept the whole column: the port is what it could
		// not read (a service name missing from the table).
		s.PortText = localText[c+1:]
		s.LocalText = ""
		if !local.Addr().IsValid() {
			s.LocalText = localText[:c]
		}
	}
	if !(peer.Port() == 0 && peer.Addr().IsUnspecified()) {
		s.Remote, s.RemoteText = peer, peerText
	}
	switch {
	case !local.Addr().Is6():
		s.V6Only = nil // IPV6_V6ONLY means nothing for an IPv4 socket
	case strings.HasPrefix(localTok, "*") && s.V6Only == nil:
		s.V6Only = snapshot.Bool(false) // current ss prints "*" only for a dual-stack socket
	case in.modernWildcard && strings.HasPrefix(localTok, "[::]") && s.V6Only == nil:
		s.V6Only = snapshot.Bool(true) // ... and so "[::]" only for a v6-only one
	}
	if v, ok := extras["uid"]; ok {
		if u, err := strconv.ParseUint(v, 10, 32); err == nil {
			s.UID = snapshot.Uint32(uint32(u))
		} else {
			return s, "a numeric uid, got " + strconv.Quote(v), "", false
		}
	}
	if v, ok := extras["ino"]; ok {
		if ino, err := strconv.ParseUint(v, 10, 64); err == nil {
			s.Inode = ino
		} else {
			return s, "a numeric inode, got " + strconv.Quote(v), "", false
		}
	}
	if v, ok := extras["sk"]; ok {
		c, err := strconv.ParseUint(v, 16, 64)
		switch {
		case err != nil:
			return s, "a hexadecimal sk: value, got " + strconv.Quote(v), "", false
		case c >= 0xffff000000000000:
			s.KernelAddr = v // old ss printed the kernel address of the socket
		default:
			s.Cookie = c
		}
	}
	if hasUsers {
		owners, err := parseUsers(u)
		if err != "" {
			s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonUnreadable, "unreadable-process-column"
			return s, "", err + " (the socket is listed, its owner unknown)", false
		}
		s.Owners, s.OwnerState = owners, snapshot.OwnersComplete
	} else if in.hasUsers {
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNotShown, "tool-could-not-see"
	} else {
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = snapshot.OwnersUnknown, reasonNoColumn, "no-process-column"
	}
	return s, "", "", false
}

// ssState returns the snapshot state of an ss state word.
func ssState(w string) snapshot.State {
	if w == "CLOSED" || w == "BOUND" {
		return snapshot.Unconnected
	}
	return snapshot.State(w)
}

// extraFields collects the key:value tokens after the addresses (uid:,
// ino:, sk:, v6only:, cgroup:, ...); the process column is removed first.
func extraFields(rest []string) map[string]string {
	m := map[string]string{}
	for _, t := range rest {
		k, v, ok := strings.Cut(t, ":")
		if ok && !strings.Contains(k, "(") {
			if _, dup := m[k]; !dup {
				m[k] = v
			}
		}
	}
	return m
}

// usersText returns the text of the process column, users:((...)).
func usersText(line string) (string, bool) {
	i := strings.Index(line, "users:(")
	if i < 0 {
		return "", false
	}
	// The column ends at the first "))" that is not inside a quoted name.
	inQuote := false
	for j := i + len("users:("); j < len(line); j++ {
		switch c := line[j]; {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ')' && j+1 < len(line) && line[j+1] == ')':
			return line[i : j+2], true
		}
	}
	// ss prints names unescaped and cuts one at its first ')': a name
	// with an odd number of quotes leaves the scan above inside a quote.
	// The column then ends at the first "))" that closes an entry after
	// its descriptor number ("fd=3))", or ",3))" in the old form).
	for j := i + len("users:("); j+1 < len(line); j++ {
		if line[j] != ')' || line[j+1] != ')' {
			continue
		}
		k := j
		for k > i && line[k-1] >= '0' && line[k-1] <= '9' {
			k--
		}
		if k < j && (line[k-1] == ',' || strings.HasSuffix(line[:k], "fd=")) {
			return line[i : j+2], true
		}
	}
	return line[i:], true // cut: parseUsers reports it
}

// parseUsers parses users:(("name",pid=1,fd=3),("name",pid=2,fd=4)) and the
// old users:(("name",1,3)). Several entries of one PID become one owner
// with several descriptors. One ss prints one form: a column that mixes
// them, or an entry with an empty name, was not written by ss as it is
// (a process name holding `",` can forge entries), so it is unreadable.
func parseUsers(u string) ([]snapshot.Owner, string) {
	const expect = `users:(("name",pid=N,fd=N),...)`
	body, ok := strings.CutPrefix(u, "users:(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, expect
	}
	body = body[:len(body)-1]
	var owners []snapshot.Owner
	index := map[int]int{}
	form := "" // "keyed" (pid=) or "positional", from the first entry
	for len(body) > 0 {
		if !strings.HasPrefix(body, `("`) {
			return nil, expect
		}
		body = body[2:]
		// The name ends at the quote followed by ",pid=" or ",<digit>".
		end := -1
		for j := 0; j+2 < len(body); j++ {
			if body[j] == '"' && body[j+1] == ',' && (strings.HasPrefix(body[j+2:], "pid=") || (body[j+2] >= '0' && body[j+2] <= '9')) {
				end = j
				break
			}
		}
		if end < 0 {
			return nil, expect
		}
		name := body[:end]
		if name == "" {
			return nil, expect
		}
		body = body[end+2:]
		close := strings.IndexByte(body, ')')
		if close < 0 {
			return nil, expect
		}
		pid, fd := -1, -1
		for idx, kv := range strings.Split(body[:close], ",") {
			k, v, hasKey := strings.Cut(kv, "=")
			f := "positional"
			if hasKey {
				f = "keyed"
			}
			if form == "" {
				form = f
			} else if form != f {
				return nil, expect
			}
			if !hasKey {
				k, v = []string{"pid", "fd"}[min(idx, 1)], kv
				if idx > 1 {
					return nil, expect
				}
			}
			num, err := strconv.Atoi(v)
			if err != nil || num < 0 {
				return nil, expect
			}
			switch k {
			case "pid":
				pid = num
			case "fd":
				fd = num
			}
		}
		if pid <= 0 {
			return nil, expect
		}
		if at, seen := index[pid]; seen {
			if fd >= 0 {
				owners[at].FDs = append(owners[at].FDs, fd)
			}
		} else {
			o := snapshot.Owner{PID: pid, Name: name}
			if fd >= 0 {
				o.FDs = []int{fd}
			}
			index[pid] = len(owners)
			owners = append(owners, o)
		}
		body = body[close+1:]
		body = strings.TrimPrefix(body, ",")
	}
	if len(owners) == 0 {
		return nil, expect
	}
	return owners, ""
}

// endpoint parses an ss address column: "0.0.0.0:22", "[::]:ssh",
// "*:*", "127.0.0.53%lo:53", "[fe80::1]%ens5:546", "*%eth0:67", the old
// unbracketed ":::22" and "fe80::1%enp0s3:9200". It returns the bound
// device, if any.
func endpoint(tok string, proto snapshot.Proto, dualWildcard bool) (ap netip.AddrPort, iface, text, expected string) {
	c := strings.LastIndexByte(tok, ':')
	if c < 0 {
		return netip.AddrPort{}, "", "", "ADDRESS:PORT"
	}
	host, port := tok[:c], tok[c+1:]
	if strings.HasPrefix(host, "[") {
		rb := strings.IndexByte(host, ']')
		if rb < 0 {
			return netip.AddrPort{}, "", "", "a closing ] in the address"
		}
		if rest := host[rb+1:]; rest != "" {
			if !strings.HasPrefix(rest, "%") {
				return netip.AddrPort{}, "", "", "%interface after the address"
			}
			iface = rest[1:]
		}
		host = host[1:rb]
	} else if p := strings.LastIndexByte(host, '%'); p >= 0 {
		host, iface = host[:p], host[p+1:]
	}
	var addr netip.Addr
	switch host {
	case "*":
		addr = netip.IPv4Unspecified()
		if dualWildcard {
			addr = netip.IPv6Unspecified()
		}
	case "localhost":
		addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		text = host // the name kept: it may not be the address read
	case "ip6-localhost":
		addr = netip.IPv6Loopback()
	default:
		a, err := netip.ParseAddr(host)
		switch {
		case err == nil:
			addr = a
		case parse.IsHostName(host):
			// ss ran without -n: the address is unknown, the name kept.
			text = host
		default:
			return netip.AddrPort{}, "", "", expectNumericHost
		}
	}
	if iface != "" && addr.Is6() && addr.IsLinkLocalUnicast() && addr.Zone() == "" {
		addr = addr.WithZone(iface)
	}
	var num uint16
	switch {
	case port == "*":
	case proto == snapshot.Raw:
		n, ok := portname.Protocol(port)
		if !ok {
			return netip.AddrPort{}, "", "", "an IP protocol number or name"
		}
		num = n
	default:
		n, ok := portname.Port(port, proto)
		switch {
		case ok:
			num = n
		case parse.IsHostName(port):
			// A service name missing from the table: port 0, the
			// column kept as printed, nothing guessed.
			text = tok
		default:
			return netip.AddrPort{}, "", "", expectPort
		}
	}
	return netip.AddrPortFrom(addr, num), iface, text, ""
}
