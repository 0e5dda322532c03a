// Package netstat parses saved outputs of netstat(8) in its three dialects:
// Linux net-tools (and BusyBox) with ADDRESS:PORT notation, the BSDs (NetBSD,
// FreeBSD, OpenBSD) with ADDRESS.PORT notation, and macOS, whose -v output
// adds pid columns and whose tcp46/udp46 rows are dual-stack sockets. Each
// dialect is a parse.Parser of its own, so that detection names what it
// recognised; all three share the line reader, the state vocabulary and the
// address rules in this package.
//
// Sections that are not Internet sockets (unix domain, kernel control,
// routing tables) and header lines are skipped. An address the tool printed
// as a host name (it ran without -n) or cut to its column width is kept as
// printed in snapshot.Socket.LocalText or RemoteText, with the port where it
// was readable and an invalid address; a service name missing from
// internal/parse/portname keeps the address, port 0 and the whole column as
// text. Fields the tool may have cut to its column width are flagged in
// snapshot.Socket.Truncated and never completed by guesswork.
package netstat

import (
	"fmt"
	"io"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// Format names of the three dialects.
const (
	FormatLinux  = "netstat-linux"
	FormatBSD    = "netstat-bsd"
	FormatDarwin = "netstat-darwin"
)

// dialect selects the rules of one netstat implementation.
type dialect int

const (
	linuxDialect dialect = iota
	bsdDialect
	darwinDialect
)

// Parser parses one netstat dialect. The zero value is not useful; use
// NewLinux, NewBSD or NewDarwin.
type Parser struct {
	d dialect
	// listeningOnly leaves connected sockets out as they are read.
	listeningOnly bool
}

// ListeningOnly returns the parser that keeps only listening and
// unconnected sockets (parse.ListeningParser).
func (p *Parser) ListeningOnly() parse.Parser { return &Parser{d: p.d, listeningOnly: true} }

var _ parse.Parser = (*Parser)(nil)

// NewLinux returns the parser of Linux net-tools and BusyBox netstat output
// (-an, -tulpn, -tulpen, with or without -p, localised section titles).
func NewLinux() *Parser { return &Parser{d: linuxDialect} }

// NewBSD returns the parser of NetBSD, FreeBSD and OpenBSD netstat output
// (-an, -f inet -na, -a -p tcp, -Aa, -aT), including grep-filtered lines.
func NewBSD() *Parser { return &Parser{d: bsdDialect} }

// NewDarwin returns the parser of macOS netstat output (-an, -anv with pid
// columns, -An with socket addresses).
func NewDarwin() *Parser { return &Parser{d: darwinDialect} }

// All returns one parser of each dialect.
func All() []parse.Parser {
	return []parse.Parser{NewLinux(), NewBSD(), NewDarwin()}
}

// Format returns the stable name of the dialect.
func (p *Parser) Format() string {
	switch p.d {
	case linuxDialect:
		return FormatLinux
	case bsdDialect:
		return FormatBSD
	default:
		return FormatDarwin
	}
}

// Parse reads a netstat output. name labels problems. How a line reads
// depends on lines after it (a localised block title is known by the
// header that follows it; BSD -a without -n cuts host names), so the
// output is read twice: r as it is when it can seek (analyze gives each
// part so), and held otherwise.
func (p *Parser) Parse(r io.Reader, name string) (*parse.Result, error) {
	rs, err := parse.Rewindable(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	// The first pass: the lines a "Proto" header follows (Linux) and
	// whether host.port columns show names (the BSDs).
	titled := map[int]bool{}
	namesMode, prevRow := false, 0
	err = parse.EachLine(rs, func(n int, line string, _ bool) {
		if p.d != linuxDialect {
			namesMode = namesMode || bsdNamesLine(line)
			return
		}
		first, _, _ := strings.Cut(strings.TrimLeft(line, " \t"), " ")
		first, _, _ = strings.Cut(first, "\t")
		if first == "" {
			return
		}
		if first == "Proto" && prevRow > 0 {
			titled[prevRow] = true
		}
		prevRow = n
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read %s again: %w", name, err)
	}
	b := newBuilder(p.Format(), name)
	b.listeningOnly = p.listeningOnly
	rows := func(fn func(n int, line string)) error { return parse.EachRow(rs, name, b.res, fn) }
	switch p.d {
	case linuxDialect:
		err = parseLinux(b, rows, titled)
	default:
		err = parseBSD(b, rows, namesMode, p.d == darwinDialect)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b.finish(), nil
}

// builder collects the sockets, counts and problems of one parse.
type builder struct {
	name string
	res  *parse.Result
	// noOwnerColumn counts sockets whose owner the output cannot show.
	noOwnerColumn int
	// hiddenOwner counts sockets whose owner the tool could not see.
	hiddenOwner int
	// onePID counts sockets whose one process netstat -p showed: others
	// sharing the socket would not be shown.
	onePID int
	// listeningOnly leaves connected sockets out (counted).
	listeningOnly bool
	// noListeners names the dialect of each block that cannot show
	// listening sockets (run without -a or -l).
	noListeners []string
}

func newBuilder(format, name string) *builder {
	return &builder{name: name, res: parse.NewResult(format)}
}

func (b *builder) skip() { b.res.Skipped++ }

func (b *builder) problem(n int, text, expected string) {
	b.res.Problem(b.name, n, text, expected)
}

func (b *builder) add(s snapshot.Socket) {
	// The owner gaps speak of the sockets analyze lists; a connected
	// socket's unknown owner is its own (owner_state).
	switch reason := s.OwnerReason; {
	case !parse.Listening(&s):
	case reason == reasonNoColumn:
		b.noOwnerColumn++
	case reason == reasonHidden:
		b.hiddenOwner++
	case reason == reasonOnePID:
		b.onePID++
	}
	b.res.Parsed++
	if b.listeningOnly && !parse.Listening(&s) {
		b.res.Connected++
		return
	}
	b.res.Snapshot.Sockets = append(b.res.Snapshot.Sockets, s)
}

// setOS records the operating system the output revealed and its default
// for IPV6_V6ONLY.
func (b *builder) setOS(os string) {
	s := b.res.Snapshot
	s.OS = os
	switch os {
	case "netbsd", "freebsd", "openbsd":
		s.BindV6Only = snapshot.Bool(true)
	case "darwin":
		s.BindV6Only = snapshot.Bool(false)
	default:
		s.BindV6Only = nil
	}
}

func (b *builder) finish() *parse.Result {
	s := b.res.Snapshot
	if b.noOwnerColumn > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{Area: "owners", Reason: "no-process-column",
			Args:   map[string]string{"tool": "netstat", "command": ownersCommand[b.res.Snapshot.Source]},
			Detail: "the netstat output has no process column (" + ownersCommand[b.res.Snapshot.Source] + ")", Count: b.noOwnerColumn})
	}
	if len(b.noListeners) > 0 {
		s.Gaps = append(s.Gaps, noListenersGap(b.noListeners[0]))
	}
	if b.onePID > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{Area: "owners", Reason: "one-process-per-socket", Count: b.onePID,
			Args:   map[string]string{"tool": "netstat"},
			Detail: "netstat -p shows one process per socket: processes that share a socket (forked servers, inherited descriptors) are not shown (fstat, sockstat, lsof or ss -p show them all)"})
	}
	if b.hiddenOwner > 0 {
		s.Gaps = append(s.Gaps, snapshot.Gap{Area: "owners", Reason: "tool-could-not-see",
			Args:   map[string]string{"tool": "netstat"},
			Detail: "netstat could not see the process of these sockets (it was not run as root)", Count: b.hiddenOwner})
	}
	s.Sort()
	return b.res
}

// Owner reasons, shared by the dialects.
const (
	reasonNoColumn = "the tool output has no process column"
	reasonHidden   = "the tool could not see the owner"
	reasonOnePID   = "netstat shows one process per socket; other processes may share it"
	reasonPIDZero  = "netstat showed pid 0: a kernel socket, or one whose process it could not tell"
	reasonNoHeader = "the columns after the state could not be identified without the header line"
)

// field is a whitespace-separated token and its byte offset in the line.
type field struct {
	s     string
	start int
}

// fields splits line at runs of spaces and tabs, keeping offsets.
func fields(line string) []field {
	// Counted first: one allocation a line (this runs on every line of
	// a large input).
	n, in := 0, false
	for i := 0; i < len(line); i++ {
		blank := line[i] == ' ' || line[i] == '\t'
		if !blank && !in {
			n++
		}
		in = !blank
	}
	if n == 0 {
		return nil
	}
	out := make([]field, 0, n)
	start := -1
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == ' ' || c == '\t' {
			if start >= 0 {
				out = append(out, field{line[start:i], start})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, field{line[start:], start})
	}
	return out
}

// isSectionTitle reports whether line starts a new block of netstat output
// ("Active Internet connections", "Active UNIX domain sockets", the German
// "Aktive Internetverbindungen", macOS "Registered kernel control modules",
// routing tables) and whether that block lists Internet sockets.
func isSectionTitle(line string) (title, inet bool) {
	for _, p := range []string{"Active ", "Aktive ", "Registered ", "Routing tables", "Kernel IP routing table", "Kernel IPv6 routing table"} {
		if strings.HasPrefix(line, p) {
			inet = strings.Contains(line, "Internet") && !strings.Contains(line, "Multipath")
			return true, inet
		}
	}
	return false, false
}

// ownersCommand says, per dialect, what shows the owners netstat did not:
// on the BSDs netstat -p selects a protocol, so never suggest it there.
var ownersCommand = map[string]string{
	"parse/" + FormatLinux:  "run netstat with -p, as root, or ss -tulpn",
	"parse/" + FormatBSD:    "the BSDs' netstat shows no processes: fstat or sockstat does",
	"parse/" + FormatDarwin: "run netstat -anv, whose pid column shows them, or lsof -i",
}

// noListenersGap says that an output of dialect cannot show (all)
// listening sockets, and which command would. On the BSDs -p selects a
// protocol, so owners come from fstat or sockstat there.
func noListenersGap(dialect string) snapshot.Gap {
	cmd := map[string]string{
		"linux":  "netstat -l (netstat -tulpn as root shows owners) or ss -tulpn",
		"bsd":    "netstat -a (netstat -an), and fstat or sockstat for owners",
		"darwin": "netstat -a (netstat -anv shows owners) or lsof -i",
	}[dialect]
	what := map[string]string{
		// net-tools' "(w/o servers)": listening and unconnected sockets
		"linux": "this netstat output leaves listening sockets out (it was run without -a or -l), so it cannot show them",
		// the BSDs skip every socket bound to the wildcard address
		"bsd": "this netstat output was run without -a, which leaves out listening sockets and every socket bound to all addresses, so it cannot show them",
		// macOS skips TCP listeners and shows the rest
		"darwin": "this netstat output was run without -a, which leaves TCP listening sockets out, so it cannot show them",
	}[dialect]
	return snapshot.Gap{Area: "listeners", Reason: "output-without-listeners",
		Args:   map[string]string{"tool": "netstat", "command": cmd},
		Detail: what + "; run " + cmd,
		Count:  1}
}
