package ifaces

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Problem is a line of ifconfig output that was not understood.
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

// IfconfigResult is what ParseIfconfig made of an output.
type IfconfigResult struct {
	Interfaces []Interface `json:"interfaces"`
	Problems   []Problem   `json:"problems,omitempty"`
	Lines      int         `json:"lines"`
}

// maxIfconfigLines bounds the input read.
const maxIfconfigLines = 100000

// ParseIfconfig reads `ifconfig -a` output in any of the formats seen in
// the wild: NetBSD, FreeBSD, OpenBSD and macOS ("wm0: flags=8843<UP,...>
// mtu 1500", indented inet/inet6/status lines), Linux net-tools 2.x
// ("ens33: flags=4163<UP,...>  mtu 1500") and the older net-tools format
// ("eth0      Link encap:Ethernet", "inet addr:"). Indented lines it has no
// use for (ether, media, options, ...) are skipped; an address line it
// cannot read and an unindented line that is not an interface header are
// Problems. name labels problems. err is only for I/O failures.
func ParseIfconfig(r io.Reader, name string) (*IfconfigResult, error) {
	res := &IfconfigResult{}
	br := bufio.NewReaderSize(r, 64*1024)
	var cur *Interface
	masters := map[string]string{} // member → bridge, from "member:" lines
	flush := func() {
		if cur != nil {
			res.Interfaces = append(res.Interfaces, *cur)
			cur = nil
		}
	}
	for res.Lines < maxIfconfigLines {
		b, isPrefix, err := br.ReadLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			flush()
			setMasters(res.Interfaces, masters)
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
		if strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			i, ok := parseHeader(line)
			if !ok {
				problem("an interface header (NAME: flags=... or NAME Link encap:...)")
				continue
			}
			cur = i
			continue
		}
		if cur == nil {
			problem("an interface header before indented lines")
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "member:" {
			masters[f[1]] = cur.Name
			continue
		}
		if msg := parseDetail(cur, strings.TrimSpace(line)); msg != "" {
			problem(msg)
		}
	}
	flush()
	setMasters(res.Interfaces, masters)
	return res, nil
}

// setMasters records the bridge each "member:" line named.
func setMasters(ifs []Interface, masters map[string]string) {
	for k := range ifs {
		if m, ok := masters[ifs[k].Name]; ok && ifs[k].Master == "" {
			ifs[k].Master = m
		}
	}
}

// parseHeader reads the first line of an interface.
func parseHeader(line string) (*Interface, bool) {
	// Old Linux net-tools: "eth0      Link encap:Ethernet  HWaddr ..."
	if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[1], "Link") {
		i := &Interface{Name: f[0]}
		if strings.Contains(line, "Local Loopback") {
			i.Loopback = true
		}
		return i, true
	}
	name, rest, ok := strings.Cut(line, ": flags=")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return nil, false
	}
	i := &Interface{Name: name}
	// rest: "8843<UP,BROADCAST,...> metric 0 mtu 1500" or "0<> mtu 1280"
	open := strings.IndexByte(rest, '<')
	closeAt := strings.IndexByte(rest, '>')
	if open < 0 || closeAt < open {
		return nil, false
	}
	if _, err := parseFlagWord(rest[:open]); err != nil {
		return nil, false
	}
	setFlags(i, strings.Split(rest[open+1:closeAt], ","))
	tail := strings.Fields(rest[closeAt+1:])
	for k := 0; k+1 < len(tail); k++ {
		if tail[k] == "mtu" {
			mtu, err := strconv.Atoi(tail[k+1])
			if err != nil || mtu < 0 {
				return nil, false
			}
			i.MTU = mtu
		}
	}
	return i, true
}

// parseFlagWord accepts the numeric flags word, hex with or without 0x.
func parseFlagWord(s string) (uint64, error) {
	s = strings.TrimPrefix(s, "0x")
	return strconv.ParseUint(s, 16, 64)
}

func setFlags(i *Interface, flags []string) {
	for _, f := range flags {
		switch f {
		case "UP":
			i.Up = true
		case "RUNNING":
			i.Running = true
		case "LOOPBACK":
			i.Loopback = true
		case "POINTOPOINT":
			i.PointToPoint = true
		}
	}
}

// parseDetail reads one indented line into i. It returns what was expected
// when the line is an address or status line it cannot read, "" otherwise.
func parseDetail(i *Interface, s string) string {
	f := strings.Fields(s)
	switch {
	case f[0] == "inet" && len(f) >= 2 && f[1] == "addr:" || strings.HasPrefix(s, "inet addr:"):
		return oldInet(i, s)
	case f[0] == "inet6" && len(f) >= 2 && f[1] == "addr:":
		return oldInet6(i, f)
	case f[0] == "inet":
		return inet(i, f)
	case f[0] == "inet6":
		return inet6(i, f)
	case f[0] == "status:":
		st := strings.TrimSpace(strings.TrimPrefix(s, "status:"))
		i.OperState = st
		switch st {
		case "active", "associated", "running":
			i.Carrier = boolp(true)
		case "no carrier", "inactive", "down", "no network":
			i.Carrier = boolp(false)
		}
	case f[0] == "RX" || strings.Contains(s, "txqueuelen"):
		// Linux net-tools: IFF_RUNNING is the operational state, which
		// is down without carrier; there is no status line.
		if i.Carrier == nil {
			i.Carrier = boolp(i.Running)
		}
	case strings.Contains(s, "MTU:") && (f[0] == "UP" || f[0] == "BROADCAST" || f[0] == "LOOPBACK" || f[0] == "POINTOPOINT" || f[0] == "MULTICAST" || f[0] == "RUNNING" || f[0] == "NOARP"):
		// Old net-tools flags line: "UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1"
		for _, w := range f {
			if v, ok := strings.CutPrefix(w, "MTU:"); ok {
				mtu, err := strconv.Atoi(v)
				if err != nil || mtu < 0 {
					return "MTU:N"
				}
				i.MTU = mtu
			}
		}
		setFlags(i, f)
		i.Carrier = boolp(i.Running)
	}
	return ""
}

// inet reads "inet 10.0.2.15 netmask 0xffffff00 broadcast ..." (BSD),
// "inet 10.0.0.2/24 broadcast ..." (NetBSD) and "inet 192.168.71.137
// netmask 255.255.255.0 broadcast ..." (net-tools 2.x).
func inet(i *Interface, f []string) string {
	const want = "inet ADDRESS[/BITS] [netmask MASK]"
	if len(f) < 2 {
		return want
	}
	if strings.Contains(f[1], "/") {
		p, err := netip.ParsePrefix(f[1])
		if err != nil || !p.Addr().Is4() {
			return want
		}
		i.Addrs = append(i.Addrs, Addr{Prefix: p})
		return ""
	}
	a, err := netip.ParseAddr(f[1])
	if err != nil || !a.Is4() {
		return want
	}
	bits := 32
	for k := 2; k+1 < len(f); k++ {
		if f[k] == "netmask" {
			b, ok := maskBits(f[k+1])
			if !ok {
				return "a netmask (0xffffff00 or 255.255.255.0)"
			}
			bits = b
		}
	}
	i.Addrs = append(i.Addrs, Addr{Prefix: netip.PrefixFrom(a, bits)})
	return ""
}

// inet6 reads "inet6 fe80::1%lo0 prefixlen 64 scopeid 0x2" (BSD, macOS),
// "inet6 fe80::...%wm3/64 flags 0x8<DETACHED>" (NetBSD) and
// "inet6 fe80::... prefixlen 64 scopeid 0x20<link>" (net-tools 2.x), with
// the BSD address flags tentative, duplicated and deprecated.
func inet6(i *Interface, f []string) string {
	const want = "inet6 ADDRESS[%ZONE][/BITS] [prefixlen N]"
	if len(f) < 2 {
		return want
	}
	addrText, bitsText, hasBits := strings.Cut(f[1], "/")
	a, err := netip.ParseAddr(addrText)
	if err != nil || !a.Is6() {
		return want
	}
	bits := 128
	if hasBits {
		b, err := strconv.Atoi(bitsText)
		if err != nil || b < 0 || b > 128 {
			return want
		}
		bits = b
	}
	var ad Addr
	for k := 2; k < len(f); k++ {
		w := strings.ToLower(f[k])
		switch {
		case w == "prefixlen" && k+1 < len(f):
			b, err := strconv.Atoi(f[k+1])
			if err != nil || b < 0 || b > 128 {
				return "prefixlen 0..128"
			}
			bits = b
			k++
		case w == "tentative" || strings.Contains(w, "<tentative"):
			ad.Tentative = true
		case w == "duplicated" || strings.Contains(w, "duplicated"):
			ad.DADFailed = true
		case w == "deprecated" || strings.Contains(w, "deprecated"):
			ad.Deprecated = true
		}
	}
	ad.Prefix = netip.PrefixFrom(a.WithZone(""), bits)
	if !ad.Prefix.IsValid() {
		return want
	}
	i.Addrs = append(i.Addrs, ad)
	return ""
}

// oldInet reads "inet addr:192.168.248.129  Bcast:192.168.248.255  Mask:255.255.255.0".
func oldInet(i *Interface, s string) string {
	const want = "inet addr:ADDRESS [Mask:MASK]"
	var addr netip.Addr
	bits := 32
	for _, w := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(w, "addr:"):
			a, err := netip.ParseAddr(strings.TrimPrefix(w, "addr:"))
			if err != nil || !a.Is4() {
				return want
			}
			addr = a
		case strings.HasPrefix(w, "Mask:"):
			b, ok := maskBits(strings.TrimPrefix(w, "Mask:"))
			if !ok {
				return want
			}
			bits = b
		}
	}
	if !addr.IsValid() {
		return want
	}
	i.Addrs = append(i.Addrs, Addr{Prefix: netip.PrefixFrom(addr, bits)})
	return ""
}

// oldInet6 reads "inet6 addr: fe80::c1ca:3dee:39f7:5937/64 Scope:Link".
func oldInet6(i *Interface, f []string) string {
	const want = "inet6 addr: ADDRESS/BITS"
	if len(f) < 3 {
		return want
	}
	p, err := netip.ParsePrefix(f[2])
	if err != nil || !p.Addr().Is6() {
		return want
	}
	i.Addrs = append(i.Addrs, Addr{Prefix: p})
	return ""
}

// maskBits converts a netmask written as 0xffffff00, ffffff00 or
// 255.255.255.0 to a prefix length; a mask with holes is refused.
func maskBits(s string) (int, bool) {
	var m uint32
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		b := a.As4()
		m = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	} else {
		v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 32)
		if err != nil {
			return 0, false
		}
		m = uint32(v)
	}
	bits := 0
	for bits < 32 && m&(1<<(31-bits)) != 0 {
		bits++
	}
	if bits < 32 && m<<bits != 0 {
		return 0, false
	}
	return bits, true
}

func boolp(b bool) *bool { return &b }
