package routes

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Problem is a line of routing-table output that was not understood.
type Problem struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Text     string `json:"text"`
	Expected string `json:"expected"`
}

// Error formats the problem as file:line: expected ..., got "...".
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: expected %s, got %q", p.File, p.Line, p.Expected, p.Text)
}

// NetstatResult is what ParseNetstat made of an output.
type NetstatResult struct {
	Routes   []Route   `json:"routes"`
	Problems []Problem `json:"problems,omitempty"`
	// Lines counts the lines read, Skipped the rows of sections other
	// than IPv4 and IPv6 (AppleTalk, ...).
	Lines   int `json:"lines"`
	Skipped int `json:"skipped,omitempty"`
}

type section int

const (
	secNone section = iota
	secBSD4
	secBSD6
	secLinux4
	secLinux6
	secOther
)

const maxNetstatLines = 1000000

// ParseNetstat reads routing tables as printed by `netstat -rn` / `netstat
// -r` on NetBSD, FreeBSD, OpenBSD and macOS ("Internet:" and "Internet6:"
// sections) and by Linux `netstat -rn`, `route -n` and `route -6 -n`
// ("Kernel IP routing table"). Names printed instead of addresses (without
// -n) are kept as text. name labels problems; err is only for I/O failures.
func ParseNetstat(r io.Reader, name string) (*NetstatResult, error) {
	res := &NetstatResult{}
	br := bufio.NewReaderSize(r, 64*1024)
	sec := secNone
	var cols map[string]int
	for res.Lines < maxNetstatLines {
		b, isPrefix, err := br.ReadLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("read %s: %w", name, err)
		}
		for isPrefix && err == nil {
			_, isPrefix, err = br.ReadLine()
		}
		res.Lines++
		line := strings.TrimRight(string(b), " \t\r")
		problem := func(expected string) {
			res.Problems = append(res.Problems, Problem{File: name, Line: res.Lines, Text: line, Expected: expected})
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed == "Routing tables":
			continue
		case trimmed == "Internet:":
			sec, cols = secBSD4, nil
			continue
		case trimmed == "Internet6:":
			sec, cols = secBSD6, nil
			continue
		case trimmed == "Kernel IP routing table":
			sec, cols = secLinux4, nil
			continue
		case trimmed == "Kernel IPv6 routing table":
			sec, cols = secLinux6, nil
			continue
		case strings.HasSuffix(trimmed, ":") && !strings.Contains(trimmed, " "):
			sec, cols = secOther, nil
			continue
		case strings.HasPrefix(trimmed, "Destination"):
			cols = header(trimmed)
			continue
		}
		switch {
		case sec == secOther:
			res.Skipped++
			continue
		case sec == secNone:
			problem("a section title (Internet:, Kernel IP routing table)")
			continue
		case cols == nil:
			problem("a Destination header line")
			continue
		}
		rt, msg := parseRow(sec, cols, strings.Fields(trimmed))
		if msg != "" {
			problem(msg)
			continue
		}
		res.Routes = append(res.Routes, rt)
	}
	return res, nil
}

// header maps column names to field indexes; "Next Hop" counts as one.
func header(s string) map[string]int {
	s = strings.Replace(s, "Next Hop", "NextHop", 1)
	cols := map[string]int{}
	for k, f := range strings.Fields(s) {
		cols[f] = k
	}
	return cols
}

func field(f []string, cols map[string]int, names ...string) (string, bool) {
	for _, n := range names {
		if k, ok := cols[n]; ok && k < len(f) {
			return f[k], true
		}
	}
	return "", false
}

func parseRow(sec section, cols map[string]int, f []string) (Route, string) {
	r := Route{Type: TypeUnicast}
	if len(f) < 3 {
		return r, "DESTINATION GATEWAY FLAGS ... INTERFACE"
	}
	v6 := sec == secBSD6 || sec == secLinux6
	flags, _ := field(f, cols, "Flags", "Flag")
	r.Flags = flags
	switch sec {
	case secBSD4, secBSD6:
		dst, ok := bsdDest(f[0], v6, strings.Contains(flags, "H"))
		if !ok {
			return r, "a destination (default, ADDRESS[/BITS], a truncated BSD network)"
		}
		r.Dst = dst
		if strings.Contains(flags, "R") {
			r.Type = TypeUnreachable
		}
		if strings.Contains(flags, "B") {
			r.Type = TypeBlackhole
		}
	case secLinux4:
		mask, ok := field(f, cols, "Genmask")
		if !ok {
			return r, "a Genmask column"
		}
		bits, ok := dottedBits(mask)
		if !ok {
			return r, "a netmask in the Genmask column"
		}
		a, err := netip.ParseAddr(f[0])
		switch {
		case f[0] == "default":
			a = netip.IPv4Unspecified()
		case err != nil || !a.Is4():
			return r, "an IPv4 destination"
		}
		r.Dst = netip.PrefixFrom(a, bits)
	case secLinux6:
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			// net-tools prints ::ffff:0.0.0.0/96 as "0.0.0.0/96".
			at, bt, _ := strings.Cut(f[0], "/")
			a, errA := netip.ParseAddr(at)
			bits, errB := strconv.Atoi(bt)
			if errA == nil && errB == nil && a.Is4() && bits >= 0 && bits <= 128 {
				p, err = netip.PrefixFrom(netip.AddrFrom16(a.As16()), bits), nil
			}
		}
		if err != nil || !p.Addr().Is6() || !p.IsValid() {
			return r, "an IPv6 destination/bits"
		}
		r.Dst = p
		if strings.Contains(flags, "!") {
			r.Type = TypeUnreachable
		}
	}
	if !r.Dst.IsValid() {
		return r, "a valid destination"
	}
	gw, _ := field(f, cols, "Gateway", "NextHop")
	if a, err := netip.ParseAddr(gw); err == nil && a.Is6() == v6 {
		if !a.IsUnspecified() {
			r.Gateway = a
		}
	} else if gw != "" && gw != "*" {
		r.GatewayText = gw
	}
	r.Iface, _ = field(f, cols, "Netif", "Interface", "Iface", "If")
	if m, ok := field(f, cols, "Metric", "Met"); ok {
		if v, err := strconv.Atoi(m); err == nil {
			r.Metric = v
		}
	}
	return r, ""
}

// bsdDest reads a BSD destination: "default", "localhost", "10.0.2/24",
// "127" and "192.168.1" (macOS omits trailing zero octets and, without a
// slash, the classful length), "fe80::%em0/64", or a host address.
func bsdDest(s string, v6, host bool) (netip.Prefix, bool) {
	switch s {
	case "default":
		if v6 {
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0), true
		}
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), true
	case "localhost":
		if v6 {
			return netip.PrefixFrom(netip.IPv6Loopback(), 128), true
		}
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 32), true
	}
	addrText, bitsText, hasBits := strings.Cut(s, "/")
	if v6 {
		if i := strings.IndexByte(addrText, '%'); i >= 0 {
			addrText = addrText[:i]
		}
		a, err := netip.ParseAddr(addrText)
		if err != nil || !a.Is6() {
			return netip.Prefix{}, false
		}
		bits := 128
		if hasBits {
			b, err := strconv.Atoi(bitsText)
			if err != nil || b < 0 || b > 128 {
				return netip.Prefix{}, false
			}
			bits = b
		}
		return netip.PrefixFrom(a, bits), true
	}
	parts := strings.Split(addrText, ".")
	if len(parts) < 1 || len(parts) > 4 {
		return netip.Prefix{}, false
	}
	var b [4]byte
	for k, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 || p == "" {
			return netip.Prefix{}, false
		}
		b[k] = byte(v)
	}
	bits := 8 * len(parts)
	if len(parts) == 4 && !host && !hasBits {
		bits = 32
	}
	if hasBits {
		v, err := strconv.Atoi(bitsText)
		if err != nil || v < 0 || v > 32 {
			return netip.Prefix{}, false
		}
		bits = v
	}
	return netip.PrefixFrom(netip.AddrFrom4(b), bits), true
}

// dottedBits converts 255.255.255.0 to 24; a mask with holes is refused.
func dottedBits(s string) (int, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bits := 0
	for bits < 32 && m&(1<<(31-bits)) != 0 {
		bits++
	}
	if bits < 32 && m<<bits != 0 {
		return 0, false
	}
	return bits, true
}
