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

// Fields parses lsof's field output (-F), with newline or NUL (-F0)
// separated fields.
var Fields parse.Parser = fieldParser{}

type fieldParser struct{}

// Format returns "lsof-F".
func (fieldParser) Format() string { return FormatFields }

// processFields and fileFields are the field letters of lsof -F.
const (
	processFields = "pcuLRgKM"
	fileFields    = "faltdDsoikPnTGNZ"
)

const expectProto = "a P field with the protocol (run lsof -F with P)"

// Detect scores sample by the share of lines that are lsof fields, when at
// least one is a process ID field.
func (fieldParser) Detect(sample []byte) int {
	var rows, hits, pids int
	for line := range strings.Lines(string(sample)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		rows++
		ok := true
		for _, field := range strings.Split(line, "\x00") {
			if field == "" {
				continue
			}
			if !strings.ContainsRune(processFields+fileFields, rune(field[0])) || strings.Contains(field, " ") && field[0] != 'n' {
				ok = false
				break
			}
			if field[0] == 'p' {
				if !isDigits(field[1:]) {
					ok = false
					break
				}
				pids++
			}
		}
		if ok {
			hits++
		}
	}
	if rows == 0 || pids == 0 {
		return 0
	}
	return 100 * hits / rows
}

// fileSet is the fields of one open file of -F output.
type fileSet struct {
	fields   map[byte]string
	states   []string
	lines    []int
	nameLine int
	nameText string
	typeLine int
	typeText string
}

type fieldState struct {
	b       *builder
	proc    *snapshot.Owner
	hasProc bool
	file    *fileSet
}

// Parse reads a whole lsof -F output.
func (fieldParser) Parse(r io.Reader, name string) (*parse.Result, error) {
	st := &fieldState{b: newBuilder(name, FormatFields)}
	err := eachLine(r, func(n int, line string, long bool) {
		st.b.res.Lines++
		if long {
			st.b.problem(n, line[:min(len(line), 200)], expectShort)
			return
		}
		st.line(n, line)
	})
	if err != nil {
		return nil, fmt.Errorf("lsof -F %s: %w", name, err)
	}
	st.flush()
	return st.b.finish(), nil
}

func (st *fieldState) line(n int, line string) {
	if strings.TrimSpace(line) == "" {
		st.b.res.Skipped++
		return
	}
	var owner *fileSet // the file set this line belongs to, if any
	procLine := false
	for _, field := range strings.Split(line, "\x00") {
		if field == "" {
			continue
		}
		id, val := field[0], field[1:]
		switch {
		case id == 'p':
			pid, err := strconv.Atoi(val)
			if err != nil || pid < 0 {
				st.b.problem(n, line, expectPIDField)
				return
			}
			st.flush()
			st.proc = &snapshot.Owner{PID: pid}
			st.hasProc = true
			procLine = true
		case strings.IndexByte(processFields, id) >= 0:
			if !st.hasProc {
				st.b.problem(n, line, expectPIDField)
				return
			}
			st.procField(id, val)
			procLine = true
		case strings.IndexByte(fileFields, id) >= 0:
			if !st.hasProc {
				st.b.problem(n, line, expectPIDField)
				return
			}
			// A file set starts at f, or at a field the current set
			// already has (when f was not selected); T repeats.
			if st.file == nil || id == 'f' || id != 'T' && st.file.has(id) {
				st.flush()
				st.file = &fileSet{fields: map[byte]string{}}
			}
			switch id {
			case 'T':
				st.file.states = append(st.file.states, val)
			case 'n':
				st.file.nameLine, st.file.nameText = n, line
				st.file.fields[id] = val
			case 't':
				st.file.typeLine, st.file.typeText = n, line
				st.file.fields[id] = val
			default:
				st.file.fields[id] = val
			}
			if owner == nil {
				owner = st.file
			}
		default:
			st.b.problem(n, line, expectField)
			return
		}
	}
	switch {
	case owner != nil:
		owner.lines = append(owner.lines, n)
	case procLine:
		st.b.res.Parsed++
	default: // only NUL separators
		st.b.res.Skipped++
	}
}

func (f *fileSet) has(id byte) bool {
	_, ok := f.fields[id]
	return ok
}

func (st *fieldState) procField(id byte, val string) {
	switch id {
	case 'c':
		st.proc.Name = val
	case 'u':
		if uid, err := strconv.ParseUint(val, 10, 32); err == nil {
			st.proc.UID = snapshot.Uint32(uint32(uid))
		}
	case 'L':
		st.proc.User = val
	case 'R':
		if ppid, err := strconv.Atoi(val); err == nil && ppid >= 0 {
			st.proc.PPID = ppid
		}
	}
}

// flush turns the current file set into a socket, or skips it.
func (st *fieldState) flush() {
	f := st.file
	st.file = nil
	if f == nil {
		return
	}
	b := st.b
	typ := f.fields['t']
	name, hasName := f.fields['n']
	if strings.Contains(name, "Permission denied") {
		b.denied[st.proc.PID] = true
	}
	if typ != "IPv4" && typ != "IPv6" || !hasName {
		b.res.Skipped += len(f.lines)
		return
	}
	pname, hasProto := f.fields['P']
	proto, known := protos[pname]
	switch {
	case !hasProto:
		b.problem(f.typeLine, f.typeText, expectProto)
		b.res.Skipped += len(f.lines) - 1
		return
	case !known:
		b.res.Skipped += len(f.lines) // raw, ICMP: no port
		return
	}
	local, remote, expected := parseName(name, typ == "IPv6", proto)
	if expected != "" {
		b.problem(f.nameLine, f.nameText, expected)
		b.res.Skipped += len(f.lines) - 1
		return
	}
	state := defaultState(proto, remote)
	for _, t := range f.states {
		if v, ok := strings.CutPrefix(t, "ST="); ok {
			s, known := states[v]
			if !known {
				b.problem(f.nameLine, f.nameText, expectState)
				b.res.Skipped += len(f.lines) - 1
				return
			}
			state = s
		}
	}
	owner := *st.proc
	owner.FDs = nil
	if fd, ok := fdNumber(f.fields['f']); ok {
		owner.FDs = []int{fd}
	}
	device := f.fields['d']
	if i, ok := f.fields['i']; ok && isDigits(i) {
		device = i
	}
	b.add(sock{
		proto:     proto,
		v6:        typ == "IPv6",
		device:    device,
		local:     local,
		remote:    remote,
		state:     state,
		owner:     owner,
		truncated: utf8.RuneCountInString(owner.Name) == cmdWidth,
	})
	b.res.Parsed += len(f.lines)
}
