// Package lsof parses the output of lsof(8) into a snapshot of internet
// sockets and the processes that hold them. Two formats are understood:
//
//   - Table: the ordinary columns (COMMAND PID [TID TASKCMD] USER FD TYPE
//     DEVICE SIZE/OFF NODE NAME), as `lsof -i -n -P`, `lsof -n` or plain
//     `lsof` print them on Linux, macOS and the BSDs. Rows of other files
//     (directories, libraries, pipes, unix sockets) are skipped.
//   - Fields: the field output of `lsof -F` (p, c, u, L, R, f, t, P, n, T,
//     d, i... one field a line, or NUL-separated with -F0).
//
// The DEVICE column of a socket is its inode on Linux and its kernel
// address ("0x9cef83179b831415") on macOS and the BSDs: rows with the same
// DEVICE and NAME are one socket held by several processes (or threads of
// one process), and become one snapshot.Socket with one Owner per process.
//
// lsof prints at most 9 characters of a command name unless told otherwise
// (+c), so a 9-character name is flagged as possibly truncated
// ("process-name"). Without -n and -P, lsof resolves addresses and ports to
// names: "localhost" and the service names of the shared portname table are
// mapped back; other host names cannot be, and keep the socket with an
// unknown address and the name in LocalText/RemoteText (port kept); a
// service name missing from the table keeps the address, port 0 and the
// column as text.
// Rows lsof could not read ("Permission denied", as a user other than root)
// are skipped and recorded as a Gap, and every socket's owner list is then
// marked partial. Linux lsof shows the sockets of other network namespaces
// as "sock ... protocol: TCP" without an address; they are skipped and
// counted in a Gap too.
package lsof

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/portname"
	"github.com/openports/openports/internal/snapshot"
)

// The formats of this package.
const (
	FormatTable  = "lsof"
	FormatFields = "lsof-F"
)

// TruncName flags a socket one of whose owners' command names may have
// been cut to lsof's default width of 9 characters.
const TruncName = "process-name"

// cmdWidth is lsof's default width of command names (+c 9).
const cmdWidth = 9

// Expected texts of the problems the parsers report.
const (
	expectRow      = "lsof row: COMMAND PID [TID] USER FD TYPE DEVICE SIZE/OFF NODE NAME"
	expectSocket   = "internet socket row: ... FD IPv4|IPv6 DEVICE [SIZE/OFF] TCP|UDP ADDR:PORT[->ADDR:PORT] [(STATE)]"
	expectAddress  = "address as ADDR:PORT, [IPv6]:PORT or *:PORT"
	expectPort     = "numeric port or a known service name (run the tool with -P)"
	expectState    = "TCP state such as (LISTEN) or (ESTABLISHED)"
	expectField    = "lsof -F field: one of the letters p c u L R g f a l t d D s o i k P n T, then its value"
	expectPIDField = "numeric process ID after p"
)

// protos are lsof's NODE words for the protocols a snapshot holds.
var protos = map[string]snapshot.Proto{
	"TCP":     snapshot.TCP,
	"UDP":     snapshot.UDP,
	"UDPLITE": snapshot.UDPLite,
	"SCTP":    snapshot.SCTP,
}

// states maps lsof's TCP state names (Linux and BSD spellings) to the ss
// vocabulary.
var states = map[string]snapshot.State{
	"LISTEN":       snapshot.Listen,
	"ESTABLISHED":  snapshot.Established,
	"SYN_SENT":     "SYN-SENT",
	"SYN_RECV":     "SYN-RECV",
	"SYN_RCVD":     "SYN-RECV",
	"SYN_RECEIVED": "SYN-RECV",
	"FIN_WAIT1":    "FIN-WAIT-1",
	"FIN_WAIT_1":   "FIN-WAIT-1",
	"FIN_WAIT2":    "FIN-WAIT-2",
	"FIN_WAIT_2":   "FIN-WAIT-2",
	"TIME_WAIT":    "TIME-WAIT",
	"CLOSE_WAIT":   "CLOSE-WAIT",
	"LAST_ACK":     "LAST-ACK",
	"CLOSING":      "CLOSING",
	"CLOSE":        snapshot.Unconnected,
	"CLOSED":       snapshot.Unconnected,
	"IDLE":         snapshot.Unconnected,
	"BOUND":        snapshot.Unconnected,
}

// key identifies one socket while rows are joined.
type key struct {
	device                string
	proto                 snapshot.Proto
	local, remote         netip.AddrPort
	localText, remoteText string
	portText              string
}

// sock is one parsed socket row (or -F file set).
type sock struct {
	proto         snapshot.Proto
	v6            bool
	device        string
	local, remote netip.AddrPort
	// localText and remoteText keep an address lsof printed as a name,
	// portText a local port it printed as a name openports cannot read.
	localText, remoteText string
	portText              string
	state                 snapshot.State
	owner                 snapshot.Owner
	truncated             bool
}

// builder collects sockets of one input.
type builder struct {
	name      string
	format    string
	res       *parse.Result
	index     parse.Index[key]
	linux     bool
	denied    map[int]bool
	deniedRow int
	// otherNS holds the inodes of internet sockets lsof listed without
	// an address because they live in another network namespace.
	otherNS map[string]bool
}

func newBuilder(name, format string) *builder {
	return &builder{
		name:    name,
		format:  format,
		res:     parse.NewResult(format),
		index:   parse.Index[key]{},
		denied:  map[int]bool{},
		otherNS: map[string]bool{},
	}
}

func (b *builder) problem(n int, text, expected string) {
	b.res.Problem(b.name, n, text, expected)
}

// add joins a parsed row into the snapshot.
func (b *builder) add(r sock) {
	var k key
	switch {
	case r.device != "":
		k = key{device: r.device, proto: r.proto, local: r.local, remote: r.remote, localText: r.localText, remoteText: r.remoteText, portText: r.portText}
	default:
		k = key{proto: r.proto, local: r.local, remote: r.remote, localText: r.localText, remoteText: r.remoteText, portText: r.portText}
	}
	s, _ := b.index.Socket(b.res.Snapshot, k, func() snapshot.Socket {
		so := snapshot.Socket{
			Proto:      r.proto,
			Local:      r.local,
			Remote:     r.remote,
			State:      r.state,
			LocalText:  r.localText,
			RemoteText: r.remoteText,
			PortText:   r.portText,
			OwnerState: snapshot.OwnersComplete,
		}
		if ino, err := strconv.ParseUint(r.device, 10, 64); err == nil {
			so.Inode = ino
			b.linux = true
		} else if h, ok := strings.CutPrefix(r.device, "0x"); ok {
			so.KernelAddr = strings.ToLower(h)
		}
		return so
	})
	if r.truncated {
		parse.AddFlags(s, TruncName)
	}
	parse.AddOwner(s, r.owner)
}

func (b *builder) finish() *parse.Result {
	s := b.res.Snapshot
	if b.linux {
		s.OS = "linux"
	}
	if len(b.denied) > 0 || b.deniedRow > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{
			Area:   "processes",
			Reason: "permission-denied",
			Args:   map[string]string{"tool": "lsof"},
			Detail: "lsof could not read the open files of some processes (permission denied; run it as root): their sockets are missing and owner lists may be incomplete",
			Count:  len(b.denied),
		})
		for i := range s.Sockets {
			s.Sockets[i].OwnerState = snapshot.OwnersPartial
			s.Sockets[i].OwnerReason = "lsof could not read every process's open files (permission denied)"
			s.Sockets[i].OwnerReasonCode = "permission-denied"
		}
	}
	if len(b.otherNS) > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{
			Area:   "sockets",
			Reason: "other-namespace",
			Args:   map[string]string{"tool": "lsof"},
			Detail: "lsof listed internet sockets without their addresses (\"protocol: TCP\"): they live in other network namespaces (containers); run lsof inside each namespace, or openports live",
			Count:  len(b.otherNS),
		})
	}
	s.Sort()
	return b.res
}

// names is what parseName read: the addresses, and the text of an address
// that could not be read as lsof printed it.
type names struct {
	local, remote         netip.AddrPort
	localText, remoteText string
	portText              string // the local port, when it could not be read
}

// parseName reads lsof's NAME of an internet socket, "LOCAL" or
// "LOCAL->REMOTE".
func parseName(name string, v6 bool, proto snapshot.Proto) (names, string) {
	var n names
	l, r, connected := strings.Cut(name, "->")
	var expected string
	if n.local, n.localText, n.portText, expected = parseHostPort(l, v6, proto); expected != "" {
		return n, expected
	}
	if connected {
		var portText string
		if n.remote, n.remoteText, portText, expected = parseHostPort(r, v6, proto); expected != "" {
			return n, expected
		}
		if portText != "" {
			n.remoteText = r
		}
	}
	return n, ""
}

// parseHostPort reads "*:22", "10.0.0.1:22", "[::1]:22", "[fe80::1%lo0]:123",
// "localhost:ssh" or "*:*" (an unbound UDP socket: the wildcard, port 0).
// A host name (lsof ran without -n) keeps the port with an invalid address
// and returns the host as text ("localhost" too, read as the loopback
// address); a service name missing from internal/parse/portname (lsof ran
// without -P) keeps the address with port 0 and returns the port as
// portText. Nothing is guessed.
func parseHostPort(s string, v6 bool, proto snapshot.Proto) (ap netip.AddrPort, text, portText, expected string) {
	var host, port string
	if rest, ok := strings.CutPrefix(s, "["); ok {
		h, p, ok := strings.Cut(rest, "]:")
		if !ok {
			return netip.AddrPort{}, "", "", expectAddress
		}
		host, port = h, p
		v6 = true
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return netip.AddrPort{}, "", "", expectAddress
		}
		host, port = s[:i], s[i+1:]
	}
	a, named := parse.NamedAddr(host, v6)
	switch {
	case named:
		if host == "localhost" {
			text = host // the name kept: it may not be the address read
		}
	case host == "ip6-localhost" || host == "ip6-loopback":
		a = netip.IPv6Loopback()
	case host == "":
		return netip.AddrPort{}, "", "", expectAddress
	default:
		var err error
		if a, err = netip.ParseAddr(host); err != nil {
			if !parse.IsHostName(host) {
				return netip.AddrPort{}, "", "", expectAddress
			}
			a, text = netip.Addr{}, host
		}
	}
	var p uint16
	if port != "*" {
		var ok bool
		if p, ok = portname.Port(port, proto); !ok {
			if port == "" || strings.ContainsAny(port, " :[]") {
				return netip.AddrPort{}, "", "", expectPort
			}
			p, portText = 0, port
		}
	}
	return netip.AddrPortFrom(a, p), text, portText, ""
}

// defaultState is the state of a socket lsof printed none for: LISTEN for
// a TCP socket without a peer, UNCONN for a datagram one, ESTAB with a peer.
func defaultState(proto snapshot.Proto, n names) snapshot.State {
	switch {
	case n.remote.IsValid() || n.remoteText != "":
		return snapshot.Established
	case proto == snapshot.TCP || proto == snapshot.SCTP:
		return snapshot.Listen
	}
	return snapshot.Unconnected
}

// fdNumber reads the leading number of an FD column ("3u", "12r", "7").
func fdNumber(s string) (int, bool) {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	return n, err == nil && n >= 0
}

// isDigits reports whether s is a number of at most 10 digits, as lsof
// prints PIDs, TIDs and UIDs.
func isDigits(s string) bool {
	return len(s) <= 10 && parse.IsDigits(s)
}
