package parse

import (
	"io"
	"net/netip"
	"strings"
	"unicode"

	"github.com/openports/openports/internal/snapshot"
)

// ExpectShort is the Expected text of the problem EachRow reports for a
// line longer than MaxLine.
const ExpectShort = "a line shorter than 64 KiB"

// NewResult returns the empty result a parser of format starts from: a
// snapshot with Source "parse/<format>", an unknown privilege (EUID -1)
// and no sockets yet.
func NewResult(format string) *Result {
	return &Result{Snapshot: &snapshot.Snapshot{
		Schema:    snapshot.SchemaVersion,
		Source:    "parse/" + format,
		Privilege: snapshot.Privilege{EUID: -1},
		Sockets:   []snapshot.Socket{},
	}}
}

// Problem records line n of the input named file as not understood.
func (r *Result) Problem(file string, n int, text, expected string) {
	if len(r.Problems) >= MaxProblems {
		r.MoreProblems++
		return
	}
	r.Problems = append(r.Problems, LineError{File: file, Line: n, Text: Clip(text), Expected: expected})
}

// EachRow reads in line by line for a parser of one row a line: it counts
// every line in res.Lines, reports a line longer than MaxLine as a problem
// of the input named file (its first 200 bytes, ExpectShort) and passes
// every other line to fn. Only read errors are returned, as EachLine
// returns them.
func EachRow(in io.Reader, file string, res *Result, fn func(n int, line string)) error {
	return EachLine(in, func(n int, line string, long bool) {
		res.Lines++
		if long {
			res.Problem(file, n, line[:min(len(line), MaxQuote)], ExpectShort)
			return
		}
		fn(n, line)
	})
}

// CountRows counts, for a Detect, the rows of sample: the lines with at
// least one field that do not start with "#". Of those, headers counts the
// rows header accepts and hits the other rows hit accepts.
func CountRows(sample []byte, header, hit func(f []string) bool) (rows, headers, hits int) {
	for line := range strings.Lines(string(sample)) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rows++
		switch {
		case header(f):
			headers++
		case hit(f):
			hits++
		}
	}
	return rows, headers, hits
}

// NextField returns the first field of s as strings.Fields splits it (at
// runs of white space) and what follows it, without splitting all of s:
// for looks at the first fields of every line of a large input.
func NextField(s string) (field, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// NamedAddr reads the two host names the BSD and lsof tools print for
// addresses: "*" (the wildcard address) and "localhost" (the loopback
// address), each of the family v6 says. ok is false for any other host.
func NamedAddr(host string, v6 bool) (a netip.Addr, ok bool) {
	switch host {
	case "*":
		if v6 {
			return netip.IPv6Unspecified(), true
		}
		return netip.IPv4Unspecified(), true
	case "localhost":
		if v6 {
			return netip.IPv6Loopback(), true
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true
	}
	return netip.Addr{}, false
}

// IsHostName reports whether s looks like a host or service name as the
// tools print them when not told to print numbers: at most 253 letters,
// digits, '-', '.' and '_', with at least one letter (so that a malformed
// numeric address is not taken for a name).
func IsHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	letter := false
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_':
		default:
			return false
		}
	}
	return letter
}

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Listening reports whether s is what the live collectors list by default:
// a listening socket, an unconnected datagram socket, or a socket whose
// state the tool did not print and that has no remote address. The others
// are connected sockets, which analyze leaves out unless asked.
func Listening(s *snapshot.Socket) bool {
	switch {
	case s.Remote.IsValid() || s.RemoteText != "" || s.Remote.Port() != 0:
		return false
	case s.State == snapshot.Listen || s.State == snapshot.Unconnected || s.State == "":
		return true
	}
	return false
}
