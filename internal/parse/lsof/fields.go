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
	nameLine int
	nameText string
	typeLine int
	typeText string
	// outcome is set when the set is flushed.
	outcome outcome
	// problemLine and expected describe an outcome of bad.
	problemLine int
	expected    string
}

type outcome int

const (
	pending outcome = iota
	parsed
	skipped
	bad
)

// lineRec is a line whose category (parsed, skipped, problem) waits for the
// file sets it holds fields of to be flushed.
type lineRec struct {
	n    int
	text string
	proc bool
	sets []*fileSet
}

type fieldState struct {
	b       *builder
	proc    *snapshot.Owner
	hasProc bool
	file    *fileSet
	queue   []lineRec
}

// Parse reads a whole lsof -F output.
func (fieldParser) Parse(r io.Reader, name string) (*parse.Result, error) {
	st := &fieldState{b: newBuilder(name, FormatFields)}
	err := parse.EachRow(r, name, st.b.res, func(n int, line string) {
		st.line(n, line)
		st.drain()
	})
	if err != nil {
		return nil, fmt.Errorf("lsof -F %s: %w", name, err)
	}
	st.flush()
	st.drain()
	return st.b.finish(), nil
}

// check reports what is wrong with a line's fields, "" when nothing.
func (st *fieldState) check(fields []string) string {
	hasProc := st.hasProc
	for _, field := range fields {
		id, val := field[0], field[1:]
		switch {
		case id == 'p':
			if pid, err := strconv.Atoi(val); err != nil || pid < 0 {
				return expectPIDField
			}
			hasProc = true
		case strings.IndexByte(processFields+fileFields, id) >= 0:
			if !hasProc {
				return expectPIDField
			}
		default:
			return expectField
		}
	}
	return ""
}

func (st *fieldState) line(n int, line string) {
	var fields []string
	for _, f := range strings.Split(line, "\x00") {
		if f != "" && f != "\r" {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		st.b.res.Skipped++
		return
	}
	if expected := st.check(fields); expected != "" {
		// Nothing of a bad line is used; lines before it may still wait
		// in the queue, so this one joins it to keep problems in order.
		st.queue = append(st.queue, lineRec{n: n, text: line, sets: []*fileSet{{outcome: bad, problemLine: n, expected: expected}}})
		return
	}
	rec := lineRec{n: n, text: line}
	for _, field := range fields {
		id, val := field[0], field[1:]
		switch {
		case id == 'p':
			pid, _ := strconv.Atoi(val)
			st.flush()
			st.proc = &snapshot.Owner{PID: pid}
			st.hasProc = true
			rec.proc = true
		case strings.IndexByte(processFields, id) >= 0:
			st.procField(id, val)
			rec.proc = true
		default: // a file field (check passed)
			// A file set starts at f, or at a field the current set
			// already has (when f was not selected); T repeats.
			if st.file == nil || id == 'f' || id != 'T' && st.file.has(id) {
				st.flush()
				st.file = &fileSet{fields: map[byte]string{}}
			}
			if len(rec.sets) == 0 || rec.sets[len(rec.sets)-1] != st.file {
				rec.sets = append(rec.sets, st.file)
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
		}
	}
	st.queue = append(st.queue, rec)
}

// drain settles the lines at the front of the queue whose file sets are
// all flushed: a line is a problem when a set failed on it, parsed when it
// holds process fields or fields of a socket, skipped otherwise.
func (st *fieldState) drain() {
	b := st.b
	i := 0
	for ; i < len(st.queue); i++ {
		rec := st.queue[i]
		done, isParsed, expected := true, rec.proc, ""
		for _, f := range rec.sets {
			switch f.outcome {
			case pending:
				done = false
			case parsed:
				isParsed = true
			case bad:
				if f.problemLine == rec.n && expected == "" {
					expected = f.expected
				}
			}
		}
		if !done {
			break
		}
		switch {
		case expected != "":
			b.problem(rec.n, rec.text, expected)
		case isParsed:
			b.res.Parsed++
		default:
			b.res.Skipped++
		}
	}
	st.queue = st.queue[i:]
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

// flush turns the current file set into a socket, or skips it, and
// records the outcome for the lines that hold its fields.
func (st *fieldState) flush() {
	f := st.file
	st.file = nil
	if f == nil {
		return
	}
	f.outcome = skipped
	b := st.b
	typ := f.fields['t']
	name, hasName := f.fields['n']
	if strings.Contains(name, "Permission denied") {
		b.denied[st.proc.PID] = true
	}
	if typ != "IPv4" && typ != "IPv6" || !hasName {
		return
	}
	fail := func(line int, expected string) {
		f.outcome, f.problemLine, f.expected = bad, line, expected
	}
	pname, hasProto := f.fields['P']
	proto, known := protos[pname]
	switch {
	case !hasProto:
		fail(f.typeLine, expectProto)
		return
	case !known:
		return // raw, ICMP: no port
	}
	names, expected := parseName(name, typ == "IPv6", proto)
	if expected != "" {
		fail(f.nameLine, expected)
		return
	}
	state := defaultState(proto, names)
	for _, t := range f.states {
		if v, ok := strings.CutPrefix(t, "ST="); ok {
			s, known := states[v]
			if !known {
				fail(f.nameLine, expectState)
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
		proto:      proto,
		v6:         typ == "IPv6",
		device:     device,
		local:      names.local,
		remote:     names.remote,
		localText:  names.localText,
		remoteText: names.remoteText,
		portText:   names.portText,
		state:      state,
		owner:      owner,
		truncated:  utf8.RuneCountInString(owner.Name) == cmdWidth,
	})
	f.outcome = parsed
}
