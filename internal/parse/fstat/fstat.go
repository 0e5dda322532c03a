// Package fstat parses the output of the BSD fstat(1) command (NetBSD and
// OpenBSD, with or without -n, whole or filtered through grep) into a
// snapshot of internet sockets and the processes that hold them.
//
// fstat prints one row per open descriptor:
//
//	USER CMD PID FD internet|internet6 stream|dgram tcp|udp [KADDR] LOCAL [SEP FOREIGN]
//
// Older NetBSD and OpenBSD print the kernel address of the socket's
// protocol control block (KADDR: "c24e6380" on NetBSD, "0xffff8000008e9660"
// on OpenBSD); rows with the same kernel address are one socket shared by
// several processes (a Postfix master and its smtpd children), so they
// become one snapshot.Socket with one Owner per process. Without a kernel
// address, rows with the same protocol, family, local and foreign address
// are joined instead.
//
// Connected sockets print both addresses joined by "<->", "-->" or "<--".
// OpenBSD and the older NetBSD that prints kernel addresses put the local
// address first; current NetBSD prints no kernel address and puts the
// foreign address first, so an input without any kernel address is read
// that way.
//
// fstat has no state column: a TCP socket with no foreign address is
// reported as LISTEN, a UDP one as UNCONN, either with a foreign address as
// ESTAB. Rows for files, pipes, unix-domain and other sockets are skipped.
package fstat

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// Format is the name of the format this package parses.
const Format = "fstat"

// Expected texts of the problems the parser reports.
const (
	expectRow     = "fstat row: USER CMD PID FD TYPE ..."
	expectSocket  = "internet socket: USER CMD PID FD internet|internet6 stream|dgram PROTO [KADDR] LOCAL [<-> FOREIGN]"
	expectAddress = "address as ADDR:PORT, *:PORT or [IPv6]:PORT"
	expectSameKA  = "the same protocol and addresses as the earlier row with this kernel address"
)

// New returns the fstat parser.
func New() parse.Parser { return parser{} }

type parser struct{}

// Format returns "fstat".
func (parser) Format() string { return Format }

// Detect scores sample by the share of its lines that are fstat rows for
// internet sockets, with a bonus for fstat's own header.
func (parser) Detect(sample []byte) int {
	rows, header, sockets := parse.CountRows(sample, isHeader, func(f []string) bool {
		return len(f) >= 7 && isFamily(f[4]) && isPID(f[2]) || isOtherFileRow(f)
	})
	if rows == 0 || sockets+header == 0 {
		return 0
	}
	score := 90 * (sockets + header) / rows
	if header > 0 {
		score += 10
	}
	return min(score, 100)
}

// isHeader reports whether f is fstat's header line.
func isHeader(f []string) bool {
	return len(f) >= 4 && f[0] == "USER" && f[1] == "CMD" && f[2] == "PID" && f[3] == "FD"
}

func isFamily(s string) bool { return s == "internet" || s == "internet6" }

// isOtherFileRow reports whether f is a row of a full fstat listing that is
// no internet socket: a file ("wd 4,57 207368 ..."), a unix or route socket,
// a kqueue or a pipe, with the PID and FD columns of fstat. (sockstat's rows
// have the same first columns but a protocol after the fd.)
func isOtherFileRow(f []string) bool {
	if len(f) < 5 || !isPID(f[2]) || !isFD(f[3]) {
		return false
	}
	switch f[4] {
	case "unix", "route", "kqueue", "pipe", "key", "pfkey", "-":
		return true
	}
	dev, minor, ok := strings.Cut(f[4], ",")
	return ok && parse.IsDigits(dev) && parse.IsDigits(minor) || strings.HasPrefix(f[4], "/")
}

// isFD reports whether s is fstat's FD column: a number (with "*" for a
// socket) or a named reference such as wd, root, text, tr, jail, ctty.
func isFD(s string) bool {
	switch s {
	case "wd", "root", "text", "tr", "jail", "ctty", "mmap":
		return true
	}
	return parse.IsDigits(strings.TrimSuffix(s, "*"))
}

func isPID(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0
}

// key identifies one socket while rows are joined.
type key struct {
	kaddr         string
	proto         snapshot.Proto
	v6            bool
	local, remote netip.AddrPort
}

type builder struct {
	name    string
	res     *parse.Result
	index   parse.Index[key]
	noAddr  int
	kaddrOS string
	// deferred rows wait for the end of the input to know the order of
	// their addresses (see line).
	deferred     []deferredRow
	finishing    bool
	foreignFirst bool
}

type deferredRow struct {
	n    int
	line string
}

// Parse reads a whole fstat output.
func (parser) Parse(r io.Reader, name string) (*parse.Result, error) {
	b := &builder{name: name, res: parse.NewResult(Format), index: parse.Index[key]{}}
	if err := parse.EachRow(r, name, b.res, b.line); err != nil {
		return nil, fmt.Errorf("fstat %s: %w", name, err)
	}
	b.finish()
	return b.res, nil
}

func (b *builder) problem(n int, text, expected string) {
	b.res.Problem(b.name, n, text, expected)
}

func (b *builder) line(n int, line string) {
	f := strings.Fields(line)
	switch {
	case len(f) == 0, strings.HasPrefix(f[0], "#"), isHeader(f):
		b.res.Skipped++
		return
	case len(f) < 5 || !isPID(f[2]):
		b.problem(n, line, expectRow)
		return
	case !isFDColumn(f[3]):
		b.problem(n, line, expectRow)
		return
	case !isFamily(f[4]):
		// Files, pipes, unix-domain and routing sockets, kqueues...
		b.res.Skipped++
		return
	case len(f) < 7:
		b.problem(n, line, expectSocket)
		return
	}
	var proto snapshot.Proto
	switch f[6] {
	case "tcp":
		proto = snapshot.TCP
	case "udp":
		proto = snapshot.UDP
	default:
		// Raw and other internet protocols: fstat prints no address.
		b.res.Skipped++
		return
	}
	v6 := f[4] == "internet6"
	rest := f[7:]
	var kaddr string
	if len(rest) > 0 && rest[0] == "0x0" {
		// OpenBSD prints 0x0 for every socket to a user without kmem
		// access: no address to key or join on, but OpenBSD's layout.
		b.kaddrOS = "openbsd"
		rest = rest[1:]
	} else if len(rest) > 0 && isKernelAddr(rest[0]) {
		kaddr = strings.ToLower(strings.TrimPrefix(rest[0], "0x"))
		if strings.HasPrefix(rest[0], "0x") {
			b.kaddrOS = "openbsd"
		} else if b.kaddrOS == "" {
			b.kaddrOS = "netbsd"
		}
		rest = rest[1:]
	}
	if len(rest) == 0 {
		// An unbound socket, or an fstat (FreeBSD's) that prints no
		// address: nothing to join or expose, but say so in a Gap.
		b.noAddr++
		b.res.Skipped++
		return
	}
	if len(rest) != 1 && (len(rest) != 3 || !isSeparator(rest[1])) {
		b.problem(n, line, expectSocket)
		return
	}
	localText := rest[0]
	if len(rest) == 3 && kaddr == "" && rest[1] == "<->" {
		// Current NetBSD prints "FOREIGN <-> LOCAL" and no kernel
		// address; OpenBSD prints "LOCAL <-> FOREIGN" for UDP, also
		// without one, but kernel addresses on its TCP rows. Which one
		// this is is known only at the end of the input.
		if !b.finishing {
			b.deferred = append(b.deferred, deferredRow{n, line})
			return
		}
		if b.foreignFirst {
			localText, rest[2] = rest[2], rest[0]
		}
	}
	local, ok := parseAddr(localText, v6)
	if !ok {
		b.problem(n, line, expectAddress)
		return
	}
	var remote netip.AddrPort
	state := snapshot.Listen
	if proto == snapshot.UDP {
		state = snapshot.Unconnected
	}
	if len(rest) == 3 {
		if remote, ok = parseAddr(rest[2], v6); !ok {
			b.problem(n, line, expectAddress)
			return
		}
		state = snapshot.Established
	}
	fd, ok := parseFD(f[3])
	if !ok {
		b.problem(n, line, expectSocket)
		return
	}
	pid, _ := strconv.Atoi(f[2])
	k := key{kaddr: kaddr, proto: proto, v6: v6, local: local, remote: remote}
	if kaddr != "" {
		k = key{kaddr: kaddr}
	}
	s, seen := b.index.Socket(b.res.Snapshot, k, func() snapshot.Socket {
		return snapshot.Socket{
			Proto:      proto,
			Local:      local,
			Remote:     remote,
			State:      state,
			KernelAddr: kaddr,
			OwnerState: snapshot.OwnersComplete,
		}
	})
	if seen && (s.Proto != proto || s.Local != local || s.Remote != remote) {
		b.problem(n, line, expectSameKA)
		return
	}
	parse.AddOwner(s, snapshot.Owner{PID: pid, Name: f[1], User: f[0], FDs: []int{fd}})
	// NetBSD and OpenBSD print the user name cut to 8 characters.
	if len(f[0]) == 8 {
		parse.AddFlags(s, "user")
	}
	b.res.Parsed++
}

func (b *builder) finish() {
	b.finishing = true
	// No kernel address anywhere: current NetBSD, foreign address first.
	b.foreignFirst = b.kaddrOS == ""
	for _, d := range b.deferred {
		b.line(d.n, d.line)
	}
	slices.SortStableFunc(b.res.Problems, func(x, y parse.LineError) int { return x.Line - y.Line })
	s := b.res.Snapshot
	s.OS = b.kaddrOS
	if s.OS != "" {
		// NetBSD and OpenBSD default to net.inet6.ip6.v6only=1.
		s.BindV6Only = snapshot.Bool(true)
	}
	if b.noAddr > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{
			Area:   "sockets",
			Reason: "no-address",
			Args:   map[string]string{"tool": "fstat"},
			Detail: "fstat printed internet sockets without an address (unbound sockets, or an fstat that never prints addresses, such as FreeBSD's: use sockstat there)",
			Count:  b.noAddr,
		})
	}
	s.Sort()
}

// isKernelAddr reports whether s is a kernel address as fstat prints it:
// hexadecimal, with "0x" on OpenBSD.
func isKernelAddr(s string) bool {
	h := strings.TrimPrefix(s, "0x")
	if len(h) < 6 || len(h) > 16 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isSeparator reports whether s joins the local and foreign address.
func isSeparator(s string) bool {
	switch s {
	case "<->", "-->", "<--", "->", "<-":
		return true
	}
	return false
}

// isFDColumn reports whether s is what fstat prints in its FD column: a
// descriptor number (with "*" on NetBSD) or the name of a special file.
func isFDColumn(s string) bool {
	switch s {
	case "text", "wd", "root", "tr", "ctty", "jail", "mmap":
		return true
	}
	_, ok := parseFD(s)
	return ok
}

// parseFD reads a descriptor column such as "6*" or "12".
func parseFD(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimRight(s, "*"))
	return n, err == nil && n >= 0
}

// parseAddr reads "10.0.0.1:25", "*:25" or "[fe80::1%lo0]:123"; the
// wildcard "*" becomes 0.0.0.0 or :: by family.
func parseAddr(s string, v6 bool) (netip.AddrPort, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, false
	}
	host, portText := s[:i], s[i+1:]
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || portText == "" || portText[0] == '+' {
		return netip.AddrPort{}, false
	}
	var a netip.Addr
	switch {
	case host == "*" && v6:
		a = netip.IPv6Unspecified()
	case host == "*":
		a = netip.IPv4Unspecified()
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		a, err = netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() {
			return netip.AddrPort{}, false
		}
	default:
		a, err = netip.ParseAddr(host)
		if err != nil || !a.Is4() {
			return netip.AddrPort{}, false
		}
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}
