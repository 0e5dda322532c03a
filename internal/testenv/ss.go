package testenv

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SSSocket is one line of `ss -tulpnH` (optionally with -e): the
// independent view tests compare openports with.
type SSSocket struct {
	// Netid is "tcp", "udp", ...
	Netid string
	// State is LISTEN, UNCONN, ...
	State string
	// Local is the local address and port. A wildcard printed as "*" (an
	// IPv6 socket that also accepts IPv4) is "[::]" here with Dual set.
	Local netip.AddrPort
	// Dual is true when ss printed the address as "*".
	Dual bool
	// Iface is the bound device ss printed after "%", if any.
	Iface string
	// Peer is the peer column as printed.
	Peer string
	// Users are the processes ss listed as holding the socket.
	Users []SSUser
	// Inode is the "ino:" field of ss -e, 0 without -e.
	Inode uint64
	// V6Only is the "v6only:" field of ss -e, nil without it.
	V6Only *bool
}

// SSUser is one ("name",pid=N,fd=M) of the users:(...) field.
type SSUser struct {
	Name string
	PID  int
	FD   int
}

// PIDs returns the distinct PIDs of the socket's users in ascending order.
func (s SSSocket) PIDs() []int {
	var pids []int
	for _, u := range s.Users {
		pids = append(pids, u.PID)
	}
	return sortedUnique(pids)
}

var (
	ssUserRe  = regexp.MustCompile(`\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)`)
	ssInodeRe = regexp.MustCompile(`\bino:(\d+)\b`)
	ssV6Re    = regexp.MustCompile(`\bv6only:([01])\b`)
)

// ParseSS parses the output of `ss -tulpnH` (also with -e, and without -p).
// Errors name the line and what was expected.
func ParseSS(r io.Reader) ([]SSSocket, error) {
	var out []SSSocket
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 6 {
			return nil, fmt.Errorf("ss line %d: want at least 6 fields (netid state recv-q send-q local peer), got %d: %q", n, len(f), line)
		}
		local, dual, iface, err := parseSSAddr(f[4])
		if err != nil {
			return nil, fmt.Errorf("ss line %d: local address: %w", n, err)
		}
		s := SSSocket{Netid: f[0], State: f[1], Local: local, Dual: dual, Iface: iface, Peer: f[5]}
		rest := strings.Join(f[6:], " ")
		if i := strings.Index(rest, "users:("); i >= 0 {
			for _, m := range ssUserRe.FindAllStringSubmatch(rest[i:], -1) {
				pid, err := strconv.Atoi(m[2])
				if err != nil {
					return nil, fmt.Errorf("ss line %d: pid %q: %w", n, m[2], err)
				}
				fd, err := strconv.Atoi(m[3])
				if err != nil {
					return nil, fmt.Errorf("ss line %d: fd %q: %w", n, m[3], err)
				}
				s.Users = append(s.Users, SSUser{Name: m[1], PID: pid, FD: fd})
			}
			if len(s.Users) == 0 {
				return nil, fmt.Errorf("ss line %d: users:(...) without a (\"name\",pid=N,fd=M) entry: %q", n, line)
			}
		}
		if m := ssInodeRe.FindStringSubmatch(rest); m != nil {
			ino, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ss line %d: inode %q: %w", n, m[1], err)
			}
			s.Inode = ino
		}
		if m := ssV6Re.FindStringSubmatch(rest); m != nil {
			v := m[1] == "1"
			s.V6Only = &v
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ss output: %w", err)
	}
	return out, nil
}

// parseSSAddr parses ss's "ADDR[%IFACE]:PORT", where ADDR is an IPv4
// address, "[IPv6]", or "*".
func parseSSAddr(s string) (ap netip.AddrPort, dual bool, iface string, err error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return ap, false, "", fmt.Errorf("%q: want ADDRESS:PORT", s)
	}
	host, portStr := s[:i], s[i+1:]
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return ap, false, "", fmt.Errorf("%q: port: %w", s, err)
	}
	if j := strings.LastIndexByte(host, '%'); j >= 0 && !strings.HasSuffix(host, "]") {
		host, iface = host[:j], host[j+1:]
	}
	var addr netip.Addr
	switch {
	case host == "*":
		addr, dual = netip.IPv6Unspecified(), true
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		addr, err = netip.ParseAddr(host[1 : len(host)-1])
		if err == nil && addr.Zone() != "" {
			iface = addr.Zone()
			addr = addr.WithZone("")
		}
		if err == nil && !addr.Is6() {
			err = fmt.Errorf("%q is not IPv6", host)
		}
	default:
		addr, err = netip.ParseAddr(host)
		if err == nil && !addr.Is4() {
			err = fmt.Errorf("%q: an IPv6 address without brackets", host)
		}
	}
	if err != nil {
		return ap, false, "", fmt.Errorf("%q: address: %w", s, err)
	}
	return netip.AddrPortFrom(addr, uint16(port)), dual, iface, nil
}

// sortedUnique returns v's distinct values in ascending order.
func sortedUnique(v []int) []int {
	if len(v) == 0 {
		return nil
	}
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}
