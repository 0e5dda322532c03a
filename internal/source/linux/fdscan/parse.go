package fdscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The decoders in this file are portable and allocation-free: they work on
// byte slices the scanner reuses, so that the cost of a scan grows with the
// sockets found and not with the descriptors read. Each one is fuzzed.

// socketPrefix starts the link text of a socket descriptor: "socket:[12345]".
var socketPrefix = []byte("socket:[")

// parseBracketed parses the decimal number in "<prefix>N]" exactly, without
// allocating. It reports false for any other text, for an empty or
// overlong number and for a value that does not fit in a uint64.
func parseBracketed(link, prefix []byte) (uint64, bool) {
	if len(link) < len(prefix)+2 || !bytes.HasPrefix(link, prefix) || link[len(link)-1] != ']' {
		return 0, false
	}
	return parseUint(link[len(prefix) : len(link)-1])
}

// parseSocketInode returns the inode of a descriptor link "socket:[N]".
func parseSocketInode(link []byte) (uint64, bool) { return parseBracketed(link, socketPrefix) }

// parseUint parses a non-empty string of decimal digits into a uint64,
// rejecting overflow and any other byte.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parsePID parses a /proc entry or descriptor name: decimal digits without
// a sign, at most math.MaxInt32. Names such as "self", "." or "acpi" are not
// PIDs.
func parsePID(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	v, ok := parseUint(b)
	if !ok || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// procStat is what the scanner needs from /proc/PID/stat.
type procStat struct {
	// Comm is the raw command name between the parentheses. /proc/PID/stat
	// prints it unescaped (unlike /proc/PID/status), so it is lossless; it
	// aliases the input buffer.
	Comm []byte
	// PPID is field 4.
	PPID int
	// StartTime is field 22, in clock ticks after boot.
	StartTime uint64
}

// errStatFormat is wrapped by parseStat errors.
var errStatFormat = errors.New("malformed stat")

// parseStat decodes /proc/PID/stat. The command name may contain spaces,
// parentheses and newlines; the kernel never puts a ')' in the fields after
// it, so the name ends at the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return st, fmt.Errorf("%w: no (comm)", errStatFormat)
	}
	st.Comm = b[open+1 : end]
	rest := b[end+1:]
	// Fields after the name, numbered as in proc(5): 3 state, 4 ppid, ...,
	// 22 starttime.
	field := 2
	for len(rest) > 0 && field < 22 {
		// Skip one separator, then take the next token.
		if rest[0] != ' ' {
			return st, fmt.Errorf("%w: field %d: want a space", errStatFormat, field+1)
		}
		rest = rest[1:]
		n := bytes.IndexAny(rest, " \n")
		if n < 0 {
			n = len(rest)
		}
		tok := rest[:n]
		rest = rest[n:]
		field++
		switch field {
		case 4:
			v, ok := parseUint(tok)
			if !ok || v > math.MaxInt32 {
				return st, fmt.Errorf("%w: ppid %q", errStatFormat, tok)
			}
			st.PPID = int(v)
		case 22:
			v, ok := parseUint(tok)
			if !ok {
				return st, fmt.Errorf("%w: starttime %q", errStatFormat, tok)
			}
			st.StartTime = v
			return st, nil
		}
	}
	return st, fmt.Errorf("%w: %d fields, want at least 22", errStatFormat, field)
}

// errStatusFormat is wrapped by parseStatusEUID errors.
var errStatusFormat = errors.New("malformed status")

// parseStatusEUID returns the effective user id from the "Uid:" line of
// /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs").
func parseStatusEUID(b []byte) (uint32, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte("Uid:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 2 {
			return 0, fmt.Errorf("%w: Uid line has %d fields, want 4", errStatusFormat, len(f))
		}
		v, ok := parseUint(f[1])
		if !ok || v > math.MaxUint32 {
			return 0, fmt.Errorf("%w: effective uid %q", errStatusFormat, f[1])
		}
		return uint32(v), nil
	}
	return 0, fmt.Errorf("%w: no Uid line", errStatusFormat)
}

// splitCmdline turns /proc/PID/cmdline into arguments. Arguments are
// separated by NUL and the last one is NUL-terminated; a process that
// rewrote its argument area (setproctitle) may leave no NUL at all, and then
// the whole text is one argument. Every other byte is kept as it is.
func splitCmdline(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	n := bytes.Count(b, []byte{0}) + 1
	args := make([]string, 0, n)
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return append(args, string(b))
		}
		args = append(args, string(b[:i]))
		b = b[i+1:]
	}
}

// direntHeader is the size of struct linux_dirent64 before d_name:
// d_ino (8), d_off (8), d_reclen (2), d_type (1).
const direntHeader = 19

// errDirent is wrapped by nextDirent errors.
var errDirent = errors.New("malformed dirent")

// nextDirent decodes the first struct linux_dirent64 in buf as getdents64
// returns it (native byte order). name is d_name without its NUL and
// aliases buf; rest is what follows the record.
func nextDirent(buf []byte) (name []byte, typ uint8, rest []byte, err error) {
	if len(buf) < direntHeader {
		return nil, 0, nil, fmt.Errorf("%w: %d bytes left, want at least %d", errDirent, len(buf), direntHeader)
	}
	reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
	if reclen < direntHeader+1 || reclen > len(buf) {
		return nil, 0, nil, fmt.Errorf("%w: record length %d with %d bytes left", errDirent, reclen, len(buf))
	}
	typ = buf[18]
	name = buf[direntHeader:reclen]
	i := bytes.IndexByte(name, 0)
	if i < 0 {
		return nil, 0, nil, fmt.Errorf("%w: name not terminated", errDirent)
	}
	return name[:i], typ, buf[reclen:], nil
}
