// Package procnet reads the Linux /proc/net/{tcp,tcp6,udp,udp6,udplite,
// udplite6,raw,raw6} tables: the fallback when sock_diag is refused.
//
// The tables print addresses as hexadecimal 32-bit words in the host's byte
// order, so the parser (portable, and fuzzed) decodes them with the byte
// order of the machine that wrote them: the native one for live reads.
// Unwanted states are rejected by the st column before any address is
// decoded. The tables do not say whether an IPv6 socket is v6-only, so
// V6Only stays nil (the host's bindv6only then applies), and they carry no
// socket cookie and no bound device.
package procnet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// Address families accepted by Parse.
const (
	AFInet  = sockdiag.AFInet
	AFInet6 = sockdiag.AFInet6
)

// FileName returns the name of the table under /proc/net that lists the
// sockets of proto and family, e.g. "udplite6".
func FileName(proto snapshot.Proto, family int) (string, error) {
	var base string
	switch proto {
	case snapshot.TCP, snapshot.UDP, snapshot.UDPLite, snapshot.Raw:
		base = string(proto)
	default:
		return "", fmt.Errorf("/proc/net has no table of %s sockets", proto)
	}
	switch family {
	case AFInet:
		return base, nil
	case AFInet6:
		return base + "6", nil
	}
	return "", fmt.Errorf("address family %d is not AF_INET or AF_INET6", family)
}

// StateMask returns a filter that accepts the kernel states set in mask,
// the state bitmask of sock_diag (see sockdiag.Query.States), so that both
// sources select the same sockets.
func StateMask(mask uint32) func(state uint8) bool {
	return func(st uint8) bool { return st < 32 && mask&(1<<st) != 0 }
}

// Read reads the table of proto and family under procRoot ("/proc" when
// empty): <procRoot>/net/<table>, or <procRoot>/<pid>/net/<table> when pid
// is not empty, which shows the network namespace of that process ("self",
// "thread-self" or a number). filter is as for Parse.
func Read(procRoot, pid string, proto snapshot.Proto, family int, filter func(state uint8) bool) ([]snapshot.Socket, error) {
	name, err := FileName(proto, family)
	if err != nil {
		return nil, err
	}
	if procRoot == "" {
		procRoot = "/proc"
	}
	path := filepath.Join(procRoot, pid, "net", name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	socks, err := Parse(f, proto, family, filter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return socks, nil
}

// ReadProtos reads the IPv4 and IPv6 tables of each of protos in one
// namespace: <procRoot>/thread-self/net, the calling thread's (not
// <procRoot>/net, a link to self/net: the thread-group leader's, which may
// have entered another namespace), or <procRoot>/<pid>/net when pid > 0. Without
// established it keeps what a default sock_diag dump lists (listening TCP,
// unconnected datagram and raw sockets); with it, every state. A table the
// kernel does not have (tcp6 with IPv6 disabled, udplite without UDP-Lite)
// is skipped, since it can hold no sockets; when no table can be read at
// all it is an error.
func ReadProtos(procRoot string, pid int, protos []snapshot.Proto, established bool) ([]snapshot.Socket, error) {
	dir := "thread-self"
	if pid > 0 {
		dir = strconv.Itoa(pid)
	}
	q := sockdiag.Query{AllStates: established}
	var (
		all     []snapshot.Socket
		missing []error
	)
	for _, p := range protos {
		for _, fam := range []int{AFInet, AFInet6} {
			socks, err := Read(procRoot, dir, p, fam, StateMask(q.States(p)))
			if errors.Is(err, fs.ErrNotExist) {
				missing = append(missing, err)
				continue
			}
			if err != nil {
				return nil, err
			}
			all = append(all, socks...)
		}
	}
	if len(missing) == 2*len(protos) {
		return nil, fmt.Errorf("no /proc/net table readable: %w", errors.Join(missing...))
	}
	return all, nil
}

// Parse parses one /proc/net table of sockets of proto and family. filter,
// when not nil, is given each row's kernel state (the st column, e.g. 0x0A
// for TCP_LISTEN) and rows it rejects are skipped before their addresses
// are decoded. Errors name the line and what was expected there.
func Parse(r io.Reader, proto snapshot.Proto, family int, filter func(state uint8) bool) ([]snapshot.Socket, error) {
	return parse(r, proto, family, filter, binary.NativeEndian)
}

// maxFields is the most columns a row may have that the parser looks at
// (tcp rows have 17, udp and raw rows 13).
const maxFields = 20

func parse(r io.Reader, proto snapshot.Proto, family int, filter func(uint8) bool, order binary.ByteOrder) ([]snapshot.Socket, error) {
	if family != AFInet && family != AFInet6 {
		return nil, fmt.Errorf("address family %d is not AF_INET or AF_INET6", family)
	}
	br := bufio.NewReaderSize(r, 16<<10)
	var (
		socks []snapshot.Socket
		uids  []uint32 // backing store for the UID pointers, in chunks
		f     [maxFields][]byte
	)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return socks, fmt.Errorf("line %d: longer than %d bytes", n, br.Size())
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return socks, fmt.Errorf("line %d: %w", n, err)
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			if n == 1 {
				return nil, errors.New("line 1: expected the header \"sl local_address rem_address|remote_address st ...\", found end of input")
			}
			return socks, nil
		}
		var nf int
		var rest []byte
		if n == 1 {
			nf = fields(line, &f)
		} else {
			nf, rest = splitN(line, f[:4])
		}
		switch {
		case n == 1:
			if nf < 4 || string(f[0]) != "sl" || string(f[1]) != "local_address" || (string(f[2]) != "rem_address" && string(f[2]) != "remote_address") || string(f[3]) != "st" {
				return nil, fmt.Errorf("line 1: expected the header \"sl local_address rem_address|remote_address st ...\", found %q", clip(line))
			}
		case nf == 0:
			// A blank line: nothing to parse.
		default:
			s, ok, perr := parseRow(&f, nf, rest, proto, family, filter, order)
			if perr != nil {
				return socks, fmt.Errorf("line %d: %w", n, perr)
			}
			if ok {
				if s.Inode != 0 {
					if len(uids) == cap(uids) {
						uids = make([]uint32, 0, 128)
					}
					uids = append(uids, s.uid)
					s.Socket.UID = &uids[len(uids)-1]
				}
				socks = append(socks, s.Socket)
			}
		}
		if errors.Is(err, io.EOF) {
			return socks, nil
		}
	}
}

var littleProbe = [2]byte{1, 0}

type row struct {
	snapshot.Socket
	uid uint32
}

// parseRow decodes the columns of one row: 0 "sl:", 1 local address, 2
// remote address, 3 st, 7 uid, 9 inode. f holds the first nf (up to 4)
// columns; rest is the line after them, split only if the state is wanted.
func parseRow(f *[maxFields][]byte, nf int, rest []byte, proto snapshot.Proto, family int, filter func(uint8) bool, order binary.ByteOrder) (row, bool, error) {
	const columns = "expected at least 10 columns (sl, addresses, st, ..., uid, timeout, inode), found %d"
	if nf < 4 {
		return row{}, false, fmt.Errorf(columns, nf)
	}
	if sl := f[0]; len(sl) < 2 || sl[len(sl)-1] != ':' {
		return row{}, false, fmt.Errorf("expected a slot number ending in ':', found %q", clip(sl))
	}
	st, ok := hexUint(f[3], 2)
	if !ok || len(f[3]) != 2 {
		return row{}, false, fmt.Errorf("st: expected 2 hex digits, found %q", clip(f[3]))
	}
	if filter != nil && !filter(uint8(st)) {
		return row{}, false, nil
	}
	if more, _ := splitN(rest, f[4:10]); nf+more < 10 {
		return row{}, false, fmt.Errorf(columns, nf+more)
	}
	little := order.Uint16(littleProbe[:]) == 1 // bytes by hand: raw would escape through order.PutUint32
	local, err := addrPort(f[1], family, little)
	if err != nil {
		return row{}, false, fmt.Errorf("local_address: %w", err)
	}
	remote, err := addrPort(f[2], family, little)
	if err != nil {
		return row{}, false, fmt.Errorf("rem_address: %w", err)
	}
	uid, ok := decUint(f[7], 32)
	if !ok {
		return row{}, false, fmt.Errorf("uid: expected a decimal number, found %q", clip(f[7]))
	}
	inode, ok := decUint(f[9], 64)
	if !ok {
		return row{}, false, fmt.Errorf("inode: expected a decimal number, found %q", clip(f[9]))
	}
	s := row{uid: uint32(uid)}
	s.Proto, s.Local, s.State, s.Inode = proto, local, sockdiag.StateName(uint8(st)), inode
	if remote.Port() != 0 || !remote.Addr().IsUnspecified() {
		s.Remote = remote
	}
	return s, true, nil
}

// addrPort decodes "0100007F:1F90" (IPv4) or 32 hex digits and a port
// (IPv6): each 8-digit group is one 32-bit word of the address as the host
// stores it, printed as a number; the port is printed as a number.
func addrPort(b []byte, family int, little bool) (netip.AddrPort, error) {
	words := 1
	if family == AFInet6 {
		words = 4
	}
	if len(b) != words*8+5 || b[words*8] != ':' {
		return netip.AddrPort{}, fmt.Errorf("expected %d hex digits, ':' and 4 hex digits, found %q", words*8, clip(b))
	}
	var raw [16]byte
	for i := range words {
		w, ok := hexUint(b[i*8:i*8+8], 8)
		if !ok {
			return netip.AddrPort{}, fmt.Errorf("expected hex digits in address, found %q", clip(b))
		}
		if little {
			raw[i*4], raw[i*4+1], raw[i*4+2], raw[i*4+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
		} else {
			raw[i*4], raw[i*4+1], raw[i*4+2], raw[i*4+3] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
		}
	}
	port, ok := hexUint(b[words*8+1:], 4)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("expected 4 hex digits of port, found %q", clip(b))
	}
	var a netip.Addr
	if family == AFInet {
		a = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		a = netip.AddrFrom16(raw)
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// fields splits line at spaces and tabs into f, like strings.Fields
// without allocating, and returns how many it found (at most maxFields).
func fields(line []byte, f *[maxFields][]byte) int {
	n, _ := splitN(line, f[:])
	return n
}

// splitN stores the first len(f) space-separated fields of line in f and
// returns how many it found and the rest of the line.
func splitN(line []byte, f [][]byte) (int, []byte) {
	n := 0
	i := 0
	for i < len(line) && n < len(f) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if j > i {
			f[n] = line[i:j]
			n++
		}
		i = j
	}
	return n, line[i:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// hexUint parses 1 to max hex digits.
func hexUint(b []byte, max int) (uint64, bool) {
	if len(b) == 0 || len(b) > max {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// decUint parses a decimal number that fits in bits bits.
func decUint(b []byte, bits uint) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	limit := uint64(1)<<bits - 1
	if bits == 64 {
		limit = ^uint64(0)
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// clip shortens b for an error message.
func clip(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
