// Package resolvconf parses resolv.conf(5) strictly: every line is either
// understood or reported with its file and line number, so that `openports
// check` can say exactly which line of /etc/resolv.conf is wrong and why.
//
// The rules follow the stub resolvers people actually run: glibc only
// recognises a keyword at the very start of a line and uses at most three
// nameservers, the last of domain and search wins, and option values are
// capped (ndots at 15, timeout at 30, attempts at 5).
package resolvconf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// MaxNameservers is how many nameserver lines the C library uses (MAXNS).
const MaxNameservers = 3

// maxLine is the longest line kept; longer lines are reported and cut.
const maxLine = 4096

// maxLines bounds how many lines are read from one file.
const maxLines = 10000

// Severity says how much a Problem matters.
type Severity string

// Severities of parse problems.
const (
	// Warning is a line that works but probably not as intended
	// (ignored by the resolver, capped, overridden).
	Warning Severity = "warning"
	// Error is a line the resolver cannot use at all.
	Error Severity = "problem"
)

// Nameserver is one usable nameserver line.
type Nameserver struct {
	Addr netip.Addr `json:"addr"`
	Line int        `json:"line"`
	// Ignored is true for nameservers past the third, which the C library
	// does not use.
	Ignored bool `json:"ignored,omitempty"`
}

// Option is one word of an options line.
type Option struct {
	Name string `json:"name"`
	// Value is the part after ':' (e.g. "2" for ndots:2), "" when none.
	Value string `json:"value,omitempty"`
	Line  int    `json:"line"`
}

// Problem is a line that is malformed, ignored or out of range.
type Problem struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Text     string   `json:"text"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Code and Args name Message for renderers in other languages.
	Code string   `json:"code,omitempty"`
	Args []string `json:"args,omitempty"`
}

// Error formats the problem as file:line: message.
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s (%q)", p.File, p.Line, p.Severity, p.Message, p.Text)
}

// Config is what a resolv.conf says.
type Config struct {
	// File is the name the file was read under.
	File        string       `json:"file"`
	Nameservers []Nameserver `json:"nameservers,omitempty"`
	// Search is the effective search list (from the last domain or
	// search line), SearchLine the line it came from.
	Search     []string `json:"search,omitempty"`
	SearchLine int      `json:"search_line,omitempty"`
	// Domain is set when the effective search list came from a domain line.
	Domain   string   `json:"domain,omitempty"`
	Sortlist []string `json:"sortlist,omitempty"`
	Options  []Option `json:"options,omitempty"`
	// Lookup and Family hold the OpenBSD keywords of the same names.
	Lookup   []string  `json:"lookup,omitempty"`
	Family   []string  `json:"family,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	// Lines counts the lines read.
	Lines int `json:"lines"`
}

// Used returns the nameservers the resolver will actually query (the first
// MaxNameservers).
func (c *Config) Used() []Nameserver {
	var out []Nameserver
	for _, ns := range c.Nameservers {
		if !ns.Ignored {
			out = append(out, ns)
		}
	}
	return out
}

// optionRule describes one known option: whether it takes a numeric value
// and the resolver's cap for it.
type optionRule struct {
	numeric bool
	max     int
}

// knownOptions are the options of glibc, musl and the BSD resolvers.
var knownOptions = map[string]optionRule{
	"ndots":                 {numeric: true, max: 15},
	"timeout":               {numeric: true, max: 30},
	"attempts":              {numeric: true, max: 5},
	"debug":                 {},
	"rotate":                {},
	"no-check-names":        {},
	"inet6":                 {},
	"ip6-bytestring":        {},
	"ip6-dotint":            {},
	"no-ip6-dotint":         {},
	"edns0":                 {},
	"single-request":        {},
	"single-request-reopen": {},
	"no-tld-query":          {},
	"use-vc":                {},
	"no-reload":             {},
	"trust-ad":              {},
	"no-aaaa":               {},
	"insecure1":             {},
	"insecure2":             {},
	"tcp":                   {},
}

// Parse reads a resolv.conf. name is used in problems (usually the path).
// Every line that is not understood becomes a Problem; err is only for I/O
// failures, and the lines read before one are still returned.
func Parse(r io.Reader, name string) (*Config, error) {
	c := &Config{File: name}
	br := bufio.NewReaderSize(r, maxLine)
	searchSeen := 0
	for c.Lines < maxLines {
		raw, long, err := readLine(br)
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("read %s: %w", name, err)
		}
		c.Lines++
		if long {
			c.add(c.Lines, raw, Error, "long-line", []string{strconv.Itoa(maxLine)}, fmt.Sprintf("line longer than %d bytes; the rest was not read", maxLine))
		}
		c.line(c.Lines, raw, &searchSeen)
	}
	if _, _, err := readLine(br); err == nil {
		c.add(c.Lines, "", Warning, "many-lines", []string{strconv.Itoa(maxLines)}, fmt.Sprintf("file has more than %d lines; the rest was not read", maxLines))
	}
	return c, nil
}

// readLine returns the next line without its line ending. long is true when
// the line was longer than the reader's buffer; the excess is discarded.
// err is io.EOF only when no line is left.
func readLine(br *bufio.Reader) (line string, long bool, err error) {
	b, isPrefix, err := br.ReadLine()
	if err != nil {
		return "", false, err
	}
	line = string(b)
	for isPrefix {
		long = true
		if _, isPrefix, err = br.ReadLine(); err != nil {
			if errors.Is(err, io.EOF) {
				return line, long, nil
			}
			return line, long, err
		}
	}
	return line, long, nil
}

// add records a problem: its code and arguments, and its message in
// English.
func (c *Config) add(line int, text string, sev Severity, code string, args []string, msg string) {
	c.Problems = append(c.Problems, Problem{File: c.File, Line: line, Text: text, Severity: sev, Message: msg, Code: code, Args: args})
}

// line interprets one line.
func (c *Config) line(n int, raw string, searchSeen *int) {
	text := strings.TrimRight(raw, " \t\r")
	if strings.TrimSpace(text) == "" {
		return
	}
	if text[0] == '#' || text[0] == ';' {
		return
	}
	if text[0] == ' ' || text[0] == '\t' {
		trimmed := strings.TrimLeft(text, " \t")
		if trimmed[0] == '#' || trimmed[0] == ';' {
			return
		}
		c.add(n, raw, Warning, "leading-space", nil, "line starts with white space; the C library only recognises a keyword at the start of a line and ignores this line")
		return
	}
	body, comment := splitComment(text)
	fields := strings.Fields(body)
	if len(fields) == 0 {
		return
	}
	key, args := fields[0], fields[1:]
	switch key {
	case "nameserver":
		c.nameserver(n, raw, args)
	case "domain":
		if comment != "" {
			c.add(n, raw, Warning, "domain-comment", nil, "comment after the domain name; put comments on their own line")
		}
		switch len(args) {
		case 0:
			c.add(n, raw, Error, "domain-empty", nil, "domain line without a domain name")
			return
		case 1:
		default:
			c.add(n, raw, Warning, "domain-many", []string{strconv.Itoa(len(args)), args[0]}, fmt.Sprintf("domain takes one name, got %d; only %q is used", len(args), args[0]))
		}
		c.setSearch(n, raw, []string{args[0]}, searchSeen)
		c.Domain = args[0]
		c.checkDomains(n, raw, args[:1])
	case "search":
		if comment != "" {
			c.add(n, raw, Warning, "search-comment", nil, "comment after the search list; some resolvers take its words as domains")
		}
		if len(args) == 0 {
			c.add(n, raw, Error, "search-empty", nil, "search line without domains")
			return
		}
		c.setSearch(n, raw, args, searchSeen)
		c.Domain = ""
		c.checkDomains(n, raw, args)
	case "sortlist":
		if len(args) == 0 {
			c.add(n, raw, Error, "sortlist-empty", nil, "sortlist line without address/netmask pairs")
			return
		}
		for _, a := range args {
			if !validSortEntry(a) {
				c.add(n, raw, Error, "sortlist-bad", []string{a}, fmt.Sprintf("sortlist entry %q is not ADDRESS or ADDRESS/NETMASK", a))
				continue
			}
			c.Sortlist = append(c.Sortlist, a)
		}
	case "options":
		if len(args) == 0 {
			c.add(n, raw, Warning, "options-empty", nil, "options line without options")
			return
		}
		for _, a := range args {
			c.option(n, raw, a)
		}
	case "lookup":
		c.Lookup = append(c.Lookup, args...)
		for _, a := range args {
			if a != "bind" && a != "file" && a != "yp" {
				c.add(n, raw, Warning, "lookup-unknown", []string{a}, fmt.Sprintf("unknown lookup source %q (expected bind, file or yp)", a))
			}
		}
	case "family":
		c.Family = append(c.Family, args...)
		for _, a := range args {
			if a != "inet4" && a != "inet6" {
				c.add(n, raw, Warning, "family-unknown", []string{a}, fmt.Sprintf("unknown family %q (expected inet4 or inet6)", a))
			}
		}
	default:
		c.add(n, raw, Warning, "keyword-unknown", []string{key}, fmt.Sprintf("unknown keyword %q; the resolver ignores this line", key))
	}
}

// splitComment cuts a trailing '#' or ';' comment off a line.
func splitComment(s string) (body, comment string) {
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func (c *Config) nameserver(n int, raw string, args []string) {
	if len(args) == 0 {
		c.add(n, raw, Error, "nameserver-empty", nil, "nameserver line without an address")
		return
	}
	if len(args) > 1 {
		c.add(n, raw, Warning, "nameserver-many", []string{strconv.Itoa(len(args)), args[0]}, fmt.Sprintf("nameserver takes one address, got %d; only %q is used", len(args), args[0]))
	}
	addr, err := netip.ParseAddr(args[0])
	if err != nil {
		c.add(n, raw, Error, "nameserver-not-ip", []string{args[0]}, fmt.Sprintf("nameserver %q is not an IP address", args[0]))
		return
	}
	if addr.Is4In6() {
		c.add(n, raw, Warning, "nameserver-mapped", []string{addr.String(), addr.Unmap().String()}, fmt.Sprintf("nameserver %s is an IPv4-mapped IPv6 address; write %s", addr, addr.Unmap()))
	}
	if addr.IsUnspecified() {
		c.add(n, raw, Warning, "nameserver-unspecified", []string{addr.String()}, fmt.Sprintf("nameserver %s means \"this host\"; write 127.0.0.1 or ::1 if a local server is meant", addr))
	}
	if addr.IsMulticast() {
		c.add(n, raw, Error, "nameserver-multicast", []string{addr.String()}, fmt.Sprintf("nameserver %s is a multicast address", addr))
		return
	}
	if addr.Is6() && addr.IsLinkLocalUnicast() && addr.Zone() == "" {
		c.add(n, raw, Warning, "nameserver-no-zone", []string{addr.String()}, fmt.Sprintf("link-local nameserver %s has no %%interface zone", addr))
	}
	for _, prev := range c.Nameservers {
		if prev.Addr == addr {
			c.add(n, raw, Warning, "nameserver-twice", []string{addr.String(), strconv.Itoa(prev.Line)}, fmt.Sprintf("nameserver %s is listed twice (first on line %d)", addr, prev.Line))
			break
		}
	}
	ns := Nameserver{Addr: addr, Line: n}
	if len(c.Used()) >= MaxNameservers {
		ns.Ignored = true
		c.add(n, raw, Warning, "nameserver-too-many", []string{strconv.Itoa(MaxNameservers), addr.String()}, fmt.Sprintf("more than %d nameservers: the C library ignores %s", MaxNameservers, addr))
	}
	c.Nameservers = append(c.Nameservers, ns)
}

func (c *Config) setSearch(n int, raw string, domains []string, seen *int) {
	if *seen > 0 {
		c.add(n, raw, Warning, "domain-twice", []string{strconv.Itoa(*seen)}, fmt.Sprintf("domain/search already set on line %d; the last one wins", *seen))
	}
	*seen = n
	c.Search = append([]string(nil), domains...)
	c.SearchLine = n
}

func (c *Config) checkDomains(n int, raw string, domains []string) {
	total := 0
	for _, d := range domains {
		total += len(d) + 1
		if msg := domainProblem(d); msg != "" {
			c.add(n, raw, Error, "domain-invalid", []string{d, msg}, fmt.Sprintf("%q is not a valid domain name: %s", d, msg))
		}
	}
	if total > 256 {
		c.add(n, raw, Warning, "search-long", []string{strconv.Itoa(total)}, fmt.Sprintf("search list is %d characters; older C libraries cut it at 256", total))
	}
}

// domainProblem says what is wrong with a domain name, or "".
func domainProblem(d string) string {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "empty"
	}
	if len(d) > 253 {
		return "longer than 253 characters"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return "empty label"
		}
		if len(label) > 63 {
			return "label longer than 63 characters"
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Sprintf("character %q", r)
			}
		}
	}
	return ""
}

func validSortEntry(s string) bool {
	addr, mask, hasMask := strings.Cut(s, "/")
	if _, err := netip.ParseAddr(addr); err != nil {
		return false
	}
	if !hasMask {
		return true
	}
	if _, err := netip.ParseAddr(mask); err == nil {
		return true
	}
	bits, err := strconv.Atoi(mask)
	return err == nil && bits >= 0 && bits <= 128
}

func (c *Config) option(n int, raw, word string) {
	name, value, hasValue := strings.Cut(word, ":")
	rule, ok := knownOptions[name]
	if !ok {
		c.add(n, raw, Warning, "option-unknown", []string{word}, fmt.Sprintf("unknown option %q; the resolver ignores it", word))
		return
	}
	switch {
	case rule.numeric && !hasValue:
		c.add(n, raw, Error, "option-no-value", []string{name}, fmt.Sprintf("option %s needs a value (%s:N)", name, name))
		return
	case rule.numeric:
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 {
			c.add(n, raw, Error, "option-not-number", []string{name, value}, fmt.Sprintf("option %s: %q is not a number ≥ 0", name, value))
			return
		}
		if v > rule.max {
			c.add(n, raw, Warning, "option-range", []string{name, strconv.Itoa(v), strconv.Itoa(rule.max)}, fmt.Sprintf("option %s:%d is out of range; the resolver caps it at %d", name, v, rule.max))
		}
		if name == "attempts" && v == 0 || name == "timeout" && v == 0 {
			c.add(n, raw, Warning, "option-zero", []string{name}, fmt.Sprintf("option %s:0 is treated as 1 by some resolvers and disables queries in others", name))
		}
	case hasValue:
		c.add(n, raw, Warning, "option-value-ignored", []string{name, value}, fmt.Sprintf("option %s takes no value; %q is ignored", name, value))
	}
	c.Options = append(c.Options, Option{Name: name, Value: value, Line: n})
}
