package lsof

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// Table parses lsof's ordinary column output.
var Table parse.Parser = tableParser{}

type tableParser struct{}

// Format returns "lsof".
func (tableParser) Format() string { return FormatTable }

// Detect scores sample by lsof's header and the share of rows that are
// internet sockets in lsof's columns.
func (tableParser) Detect(sample []byte) int {
	rows, header, hits := parse.CountRows(sample, isTableHeader, func(f []string) bool {
		p := pidIndex(f)
		return p > 0 && typeIndex(f, p) > 0
	})
	if rows == 0 {
		return 0
	}
	if header > 0 {
		return min(100, 60+40*(hits+1)/rows)
	}
	return 90 * hits / rows
}

func isTableHeader(f []string) bool {
	return len(f) >= 4 && f[0] == "COMMAND" && f[1] == "PID" && f[len(f)-1] == "NAME"
}

// pidIndex is the index of the PID column: the first all-digit field
// after the command (which may hold spaces); -1 when there is none.
func pidIndex(f []string) int {
	for i := 1; i < len(f) && i < 4; i++ {
		if isDigits(f[i]) {
			return i
		}
	}
	return -1
}

// typeIndex is the index of an IPv4/IPv6 TYPE column after the PID, USER
// and FD columns; -1 when the row is not an internet socket.
func typeIndex(f []string, pid int) int {
	for k := pid + 3; k < len(f) && k <= pid+5; k++ {
		if f[k] == "IPv4" || f[k] == "IPv6" {
			return k
		}
	}
	return -1
}

// otherNSProtos are the protocols of Linux lsof's "protocol: X" rows that
// are internet sockets.
var otherNSProtos = map[string]bool{
	"TCP": true, "TCPv6": true, "UDP": true, "UDPv6": true,
	"UDPLITE": true, "UDPLITEv6": true, "SCTP": true, "SCTPv6": true,
}

// fdIndex is the index of an FD column after the PID, (TID, TASKCMD) and
// USER columns; -1 when there is none.
func fdIndex(f []string, pid int) int {
	for i := pid + 2; i < len(f) && i <= pid+4; i++ {
		if isFD(f[i]) {
			return i
		}
	}
	return -1
}

// isFD reports whether s is an lsof FD column: a descriptor number with
// its access mode and lock letters ("3u", "12r", "4uW"), or one of the
// names lsof gives other open files ("cwd", "mem", "mem-W").
func isFD(s string) bool {
	// A memory-mapped file may carry its lock after a dash ("mem-W").
	name, _, _ := strings.Cut(s, "-")
	switch name {
	case "cwd", "rtd", "txt", "mem", "DEL", "NOFD", "mmap", "ltx", "Mxx", "m86",
		"pd", "tr", "v86", "err", "jld", "twd", "ctty", "trp", "unknown":
		return true
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 || len(s)-end > 2 {
		return false
	}
	for _, c := range s[end:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == ' ') {
			return false
		}
	}
	return true
}

// Parse reads a whole lsof output.
func (tableParser) Parse(r io.Reader, name string) (*parse.Result, error) {
	b := newBuilder(name, FormatTable)
	if err := parse.EachRow(r, name, b.res, b.tableLine); err != nil {
		return nil, fmt.Errorf("lsof %s: %w", name, err)
	}
	return b.finish(), nil
}

func (b *builder) tableLine(n int, line string) {
	f := strings.Fields(line)
	switch {
	case len(f) == 0, strings.HasPrefix(f[0], "#"):
		b.res.Skipped++
		return
	case isTableHeader(f):
		// Only Linux's lsof has a TID column.
		if len(f) > 2 && f[2] == "TID" {
			b.linux = true
		}
		b.res.Skipped++
		return
	case strings.HasPrefix(line, "lsof:"), strings.HasPrefix(line, "Output information may be incomplete"):
		// Warnings lsof writes to stderr, when they were saved too.
		if strings.Contains(line, "Permission denied") {
			b.deniedRow++
		}
		b.res.Skipped++
		return
	}
	p := pidIndex(f)
	if p < 0 {
		b.problem(n, line, expectRow)
		return
	}
	pid, err := strconv.Atoi(f[p])
	if err != nil {
		b.problem(n, line, expectRow)
		return
	}
	if strings.Contains(line, "Permission denied") {
		b.denied[pid] = true
		b.res.Skipped++
		return
	}
	k := typeIndex(f, p)
	if k < 0 {
		// Another kind of file: directory, library, pipe, unix
		// socket... when it has lsof's shape (USER and FD after the PID).
		fi := fdIndex(f, p)
		if fi < 0 {
			b.problem(n, line, expectRow)
			return
		}
		// Linux lsof cannot read the address of a socket that lives in
		// another network namespace: "sock ... NODE protocol: TCP".
		if l := len(f); fi+1 < l && f[fi+1] == "sock" && l >= 3 && f[l-2] == "protocol:" && otherNSProtos[f[l-1]] {
			b.otherNS[f[l-3]] = true
		}
		b.res.Skipped++
		return
	}
	// After TYPE: DEVICE, usually SIZE/OFF, then NODE (the protocol).
	j := -1
	for i := k + 2; i < len(f) && i <= k+3; i++ {
		if _, ok := protos[f[i]]; ok {
			j = i
			break
		}
		if f[i] == "ICMP" || f[i] == "ICMPV6" || f[i] == "RAW" || f[i] == "RAW6" {
			b.res.Skipped++ // raw and ping sockets carry no port
			return
		}
	}
	if j < 0 || j+1 >= len(f) || len(f) > j+3 {
		b.problem(n, line, expectSocket)
		return
	}
	proto := protos[f[j]]
	names, expected := parseName(f[j+1], f[k] == "IPv6", proto)
	if expected != "" {
		b.problem(n, line, expected)
		return
	}
	state := defaultState(proto, names)
	if j+2 < len(f) {
		word, ok := strings.CutPrefix(f[j+2], "(")
		word, ok2 := strings.CutSuffix(word, ")")
		st, known := states[word]
		if !ok || !ok2 || !known {
			b.problem(n, line, expectState)
			return
		}
		state = st
	}
	fd, ok := fdNumber(f[k-1])
	if !ok {
		b.problem(n, line, expectSocket)
		return
	}
	cmd := strings.Join(f[:p], " ")
	owner := snapshot.Owner{PID: pid, Name: cmd, FDs: []int{fd}}
	user := f[k-2]
	if isDigits(user) {
		if uid, err := strconv.ParseUint(user, 10, 32); err == nil {
			owner.UID = snapshot.Uint32(uint32(uid))
		}
	} else {
		owner.User = user
	}
	b.add(sock{
		proto:      proto,
		v6:         f[k] == "IPv6",
		device:     f[k+1],
		local:      names.local,
		remote:     names.remote,
		localText:  names.localText,
		remoteText: names.remoteText,
		portText:   names.portText,
		state:      state,
		owner:      owner,
		truncated:  utf8.RuneCountInString(cmd) == cmdWidth,
	})
	b.res.Parsed++
}
