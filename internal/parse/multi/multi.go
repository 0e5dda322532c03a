// Package multi reads one saved input that may hold the outputs of several
// tools one after another (the seed's `netstat -f inet -na | grep LISTEN`
// followed by its `fstat | grep :`), detects the format of each part and
// parses it with its parser from internal/parse/..., keeping the input's own
// line numbers in every problem.
//
// An input is cut into segments at:
//
//   - comment lines ("# netstat -an") and shell prompt lines ("$ fstat",
//     "nbsd# sockstat -4ln", "% netstat -an"): strong boundaries, whose
//     command also hints at the tool;
//   - header lines of a tool other than the one the segment is in
//     ("USER CMD PID FD" after netstat lines);
//   - otherwise, when a segment's parser reports problems, runs of lines
//     that another tool recognises, if parsing the runs apart leaves fewer
//     problems.
//
// Joining the sockets of one segment to the owners of another is the job
// of internal/parse/join.
package multi

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/fstat"
	"github.com/openports/openports/internal/parse/lsof"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/parse/nmap"
	"github.com/openports/openports/internal/parse/sockstat"
	"github.com/openports/openports/internal/parse/ss"
	"github.com/openports/openports/internal/snapshot"
)

// FormatUnknown names a segment no parser recognised.
const FormatUnknown = "unknown"

// expectAny is the Expected text of a line in a segment no parser knows.
const expectAny = "output of netstat, ss, lsof, fstat or sockstat"

// ExpectWholeLine is the Expected text of a last line without a newline.
const ExpectWholeLine = "a line ending in a newline (the input ends inside this line, which may have been cut from a longer one; it is not used)"

// Parsers returns every parser of saved tool output, in a fixed order.
func Parsers() []parse.Parser {
	ps := netstat.All()
	return append(ps, ss.New(), lsof.Table, lsof.Fields, fstat.New(), sockstat.New(), nmap.New())
}

// detectParsers is Parsers, made once: detection runs on every line of a
// part that is split into runs of different tools.
var detectParsers = sync.OnceValue(Parsers)

// Formats lists the format names Parsers provides.
func Formats() []string {
	var out []string
	for _, p := range Parsers() {
		out = append(out, p.Format())
	}
	return out
}

// ByFormat returns the parser named format, or an error listing the names
// there are.
func ByFormat(format string) (parse.Parser, error) {
	for _, p := range Parsers() {
		if p.Format() == format {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q (want one of: %s)", format, strings.Join(Formats(), ", "))
}

// Family is the tool a format belongs to: "netstat" for every netstat
// dialect, "lsof" for both lsof formats, the format itself otherwise.
func Family(format string) string {
	f, _, _ := strings.Cut(format, "-")
	return f
}

// Candidate is one parser's score for a sample.
type Candidate struct {
	Format string `json:"format"`
	Score  int    `json:"score"`
}

// Detect scores sample with every parser and returns the best one, its
// score, and all candidates that scored above 0, best first (ties keep the
// order of Parsers). The best parser is nil when nothing scored.
func Detect(sample []byte) (parse.Parser, int, []Candidate) {
	return detect(sample, "")
}

// detect is Detect with a tool hinted by a command line: a parser of the
// hinted family wins when it scores at all.
func detect(sample []byte, hint string) (parse.Parser, int, []Candidate) {
	ps := detectParsers()
	type scored struct {
		p     parse.Parser
		score int
		order int
	}
	var all []scored
	for i, p := range ps {
		if s := p.Detect(sample); s > 0 {
			all = append(all, scored{p, s, i})
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var cands []Candidate
	for _, s := range all {
		cands = append(cands, Candidate{s.p.Format(), s.score})
	}
	if len(all) == 0 {
		return nil, 0, nil
	}
	best := all[0]
	if hint != "" {
		for _, s := range all {
			if Family(s.p.Format()) == hint {
				best = s
				break
			}
		}
	}
	return best.p, best.score, cands
}

// Options tune Parse.
type Options struct {
	// Format forces one parser for every segment ("" detects).
	Format string
	// ListeningOnly asks the parsers that can (parse.ListeningParser) to
	// leave connected sockets out as they read; Result.Connected counts
	// them.
	ListeningOnly bool
	// Context, once done (Ctrl-C, SIGTERM), stops the parse between
	// reads with its error; nil never stops.
	Context context.Context
}

// Segment is one part of an input, in one format.
type Segment struct {
	// Format is the format the segment was parsed as, or FormatUnknown.
	Format string `json:"format"`
	// Score is the format's detection score (0 when forced or unknown).
	Score int `json:"score"`
	// Forced is true when the format came from Options.Format.
	Forced bool `json:"forced,omitempty"`
	// Alternatives are all the formats that scored, best first.
	Alternatives []Candidate `json:"alternatives,omitempty"`
	// Command is the command line of the comment or prompt line that
	// introduced the segment, if any.
	Command string `json:"command,omitempty"`
	// First and Last are the segment's line numbers in the input.
	First int `json:"first"`
	Last  int `json:"last"`
	// Result is what the parser made of the segment, its problems
	// numbered as lines of the whole input. Its Snapshot is nil for
	// FormatUnknown.
	Result *parse.Result `json:"-"`
}

// Input is what Parse made of one input.
type Input struct {
	// Name is the input's name (a file name, or "-").
	Name string
	// Segments are the input's parts in order.
	Segments []Segment
	// Problems are the lines no parser understood, in line order: the
	// first parse.MaxProblems of each part; MoreProblems counts the rest.
	Problems     []parse.LineError
	MoreProblems int
	// Lines counts the input's lines; Boundaries the comment and prompt
	// lines between segments, which are skipped.
	Lines, Boundaries int
}

// Parse reads r once, as a stream, cuts it into segments and parses each.
// The input is kept in a spool (memory, then a temporary file) rather than
// in memory, so that its size costs no memory.
func Parse(r io.Reader, name string, opt Options) (*Input, error) {
	var forced parse.Parser
	if opt.Format != "" {
		p, err := ByFormat(opt.Format)
		if err != nil {
			return nil, err
		}
		forced = p
	}
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	// The parts are read back from the spool, not from r: the spool
	// stops them once ctx is done.
	src := &source{listeningOnly: opt.ListeningOnly, spool: spool{ctx: ctx}}
	defer src.Close()
	in := &Input{Name: name}
	k := newChunker()
	var used int64 // where the lines that are used end
	err := eachLine(io.TeeReader(r, &src.spool), func(line string, off, size int64, nl bool) bool {
		i := in.Lines
		if i%4096 == 0 && ctx.Err() != nil {
			return false // reported below
		}
		in.Lines++
		if !nl && strings.TrimSpace(line) != "" {
			// The input ends inside its last line: whatever it says
			// may be the start of a longer line (a port 41 cut from
			// 4123), so it is reported and not used.
			in.Problems = append(in.Problems, parse.LineError{File: name, Line: i + 1, Text: parse.Clip(line), Expected: ExpectWholeLine})
			return true
		}
		k.line(i, line, off, size)
		used = off + size
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	lines := in.Lines
	if len(in.Problems) > 0 {
		lines-- // the cut last line
	}
	for _, c := range k.end(lines, used) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if c.boundary {
			in.Boundaries++
			continue
		}
		var segs []Segment
		if forced != nil {
			segs = []Segment{parseWith(forced, src, c, name, 0, nil, true)}
		} else {
			segs = detectAndParse(src, c, name)
		}
		for _, s := range segs {
			in.Segments = append(in.Segments, s)
			if s.Result != nil {
				in.Problems = append(in.Problems, s.Result.Problems...)
				in.MoreProblems += s.Result.MoreProblems
			}
		}
	}
	if err := ctx.Err(); err != nil {
		// A part cut short by ctx is no result.
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	slices.SortStableFunc(in.Problems, func(a, b parse.LineError) int { return cmp.Compare(a.Line, b.Line) })
	return in, nil
}

// source is the input read once, kept in its spool.
type source struct {
	spool
	// listeningOnly is Options.ListeningOnly.
	listeningOnly bool
}

// eachLineOf calls fn with every line of c and its 0-based number in the
// input.
func (src *source) eachLineOf(c chunk, fn func(i int, line string) bool) {
	i := c.first
	// A failed read of the spool leaves the rest of the chunk unread;
	// the parser reading the same bytes reports it.
	_ = eachLine(src.section(c.from, c.to), func(line string, _, _ int64, _ bool) bool {
		ok := fn(i, line)
		i++
		return ok
	})
}

// chunk is a run of lines [first, last) (0-based indices), either one
// boundary line or the content between boundaries.
type chunk struct {
	first, last int
	// from and to are the chunk's bytes in the input.
	from, to int64
	boundary bool
	// command and hint come from the boundary line before the chunk.
	command, hint string
	// family is the tool lineRuns recognised the run's lines as.
	family string
}

// chunker cuts lines, given one by one, at boundary lines and at headers
// of another tool. Chunks holding only blank lines are dropped.
type chunker struct {
	out          []chunk
	cur          chunk
	family       string // the tool of the current chunk, from a hint or header
	content      bool   // the current chunk has a non-blank line
	contentLines int
	notice       bool // the chunk so far is a parenthesised notice
	prevContent  bool // the line before is not blank
}

func newChunker() *chunker { return &chunker{} }

func (k *chunker) flush(end int, off int64) {
	k.cur.last, k.cur.to = end, off
	if k.content {
		k.out = append(k.out, k.cur)
	}
}

// line takes line i of the input, which starts at byte off and is size
// bytes long with its line ending.
func (k *chunker) line(i int, line string, off, size int64) {
	t := strings.TrimSpace(line)
	defer func() { k.prevContent = t != "" }()
	if cmd, ok := boundaryCommand(line); ok {
		k.flush(i, off)
		k.out = append(k.out, chunk{first: i, last: i + 1, from: off, to: off + size, boundary: true})
		hint := toolOf(cmd)
		k.cur, k.family, k.content, k.contentLines, k.notice = chunk{first: i + 1, from: off + size, command: cmd, hint: hint}, hint, false, 0, false
		return
	}
	if h := headerFamily(line); h != "" {
		// A header right after the chunk's only line is that line's
		// section title (a localised "Connexions Internet actives").
		titled := k.family == "" && (k.contentLines == 1 && k.prevContent || k.notice)
		if k.content && h != k.family && !titled {
			k.flush(i, off)
			k.cur, k.content, k.contentLines, k.notice = chunk{first: i, from: off}, false, 0, false
		}
		k.family = h
	}
	if t != "" {
		// A tool's parenthesised notice on stderr ("(Not all
		// processes could be identified, ...)") heads the output.
		if k.contentLines == 0 {
			k.notice = strings.HasPrefix(t, "(")
		}
		k.content = true
		k.contentLines++
	}
}

// end closes the last chunk at line n, byte off, and returns the chunks.
func (k *chunker) end(n int, off int64) []chunk {
	k.flush(n, off)
	return k.out
}

// tools are the commands whose output Parsers read.
var tools = []string{"netstat", "ss", "lsof", "fstat", "sockstat"}

// boundaryCommand reports whether line is a comment ("# netstat -an") or
// a shell prompt with a command ("$ fstat", "nbsd# sockstat -4ln",
// "root@h:~# ss -tulpn", "% netstat -an", zsh's "user@mac ~ % lsof -i"),
// and returns the command. A prompt counts only when the command runs one
// of the tools, so that data lines are never taken for prompts.
func boundaryCommand(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#") {
		return strings.TrimSpace(strings.TrimLeft(t, "#")), true
	}
	// The prompt is at most three words ending in $, #, % or >.
	words := 0
	for i := 0; i < len(t) && words < 3; i++ {
		switch {
		case t[i] == '\t':
			return "", false
		case t[i] != ' ':
			continue
		}
		words++
		if i == 0 || !strings.ContainsRune("$#%>", rune(t[i-1])) {
			continue
		}
		cmd := strings.TrimSpace(t[i+1:])
		if toolOf(cmd) != "" {
			return cmd, true
		}
	}
	return "", false
}

// toolOf names the tool a command line runs first ("netstat" for
// "sudo netstat -an | grep LISTEN"), or "".
func toolOf(cmd string) string {
	first, _, _ := strings.Cut(cmd, "|")
	for _, w := range strings.Fields(first) {
		switch w {
		case "sudo", "doas", "env", "command", "exec":
			continue
		}
		if i := strings.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		if slices.Contains(tools, w) {
			return w
		}
		return ""
	}
	return ""
}

// headerFamily names the tool whose header or section title line is, or "".
func headerFamily(line string) string {
	// Most lines are rows: their first word rules them out without
	// splitting the line.
	switch first, _ := parse.NextField(line); first {
	case "Proto", "Active", "Aktive", "Registered", "Tcpcb", "Socket", "Address", "PCB", "Netid", "State", "COMMAND", "USER":
	default:
		if !strings.HasPrefix(first, "p") {
			return ""
		}
	}
	f := strings.Fields(line)
	if len(f) == 1 && len(f[0]) > 1 && f[0][0] == 'p' && parse.IsDigits(f[0][1:]) {
		return "lsof" // an lsof -F process record starts a part
	}
	if len(f) < 2 {
		return ""
	}
	switch {
	case f[0] == "Proto" && (f[1] == "Recv-Q" || f[1] == "Recv-Q:"),
		f[0] == "Active" && (f[1] == "Internet" || f[1] == "UNIX"),
		f[0] == "Aktive", f[0] == "Registered" && f[1] == "kernel",
		(f[0] == "Tcpcb" || f[0] == "Socket" || f[0] == "Address" || f[0] == "PCB") && f[1] == "Proto":
		return "netstat"
	case (f[0] == "Netid" || f[0] == "State") && strings.Contains(line, "Address:Port"):
		return "ss"
	case f[0] == "COMMAND" && f[1] == "PID" && f[len(f)-1] == "NAME":
		return "lsof"
	case len(f) >= 4 && f[0] == "USER" && f[1] == "CMD" && f[2] == "PID" && f[3] == "FD":
		return "fstat"
	case len(f) >= 5 && f[0] == "USER" && f[1] == "COMMAND" && f[2] == "PID" && f[3] == "FD" && f[4] == "PROTO":
		return "sockstat"
	}
	return ""
}

// sampleLines is how many lines of a segment detection looks at.
const sampleLines = 64

// sample returns the first lines of c, each ending in a newline.
func (src *source) sample(c chunk) []byte {
	var b []byte
	n := 0
	src.eachLineOf(c, func(_ int, line string) bool {
		b = append(append(b, line...), '\n')
		n++
		return n < sampleLines
	})
	return b
}

// detectAndParse parses chunk c with the format detection picks, and cuts
// it into runs of different tools when that leaves fewer problems.
func detectAndParse(src *source, c chunk, name string) []Segment {
	p, score, cands := detect(src.sample(c), c.hint)
	if p == nil {
		return []Segment{unknownSegment(src, c, name)}
	}
	whole := parseWith(p, src, c, name, score, cands, false)
	if whole.Result.ProblemCount() == 0 {
		return []Segment{whole}
	}
	runs := lineRuns(src, c)
	if len(runs) < 2 {
		return []Segment{whole}
	}
	// Runs of one format are parsed together: lines of two tools that
	// alternate without a boundary make one part per tool, not one per
	// line.
	type group struct {
		p     parse.Parser
		score int
		cands []Candidate
		runs  []chunk
	}
	var groups []*group
	byFormat := map[string]*group{}
	var split []Segment
	problems := 0
	byFamily := map[string]*group{}
	for _, r := range runs {
		// Detect once per tool: the runs of one tool are read alike.
		if g := byFamily[r.family]; g != nil && r.family != "" {
			g.runs = append(g.runs, r)
			continue
		}
		rp, rs, rc := detect(src.sample(r), r.hint)
		if rp == nil {
			s := unknownSegment(src, r, name)
			problems += s.Result.ProblemCount()
			split = append(split, s)
			continue
		}
		g := byFormat[rp.Format()]
		if g == nil {
			g = &group{p: rp, score: rs, cands: rc}
			byFormat[rp.Format()] = g
			groups = append(groups, g)
		}
		if byFamily[r.family] == nil {
			byFamily[r.family] = g
		}
		g.runs = append(g.runs, r)
	}
	for _, g := range groups {
		s := parseRuns(g.p, src, g.runs, name, g.score, g.cands)
		problems += s.Result.ProblemCount()
		split = append(split, s)
	}
	if problems >= whole.Result.ProblemCount() {
		return []Segment{whole}
	}
	slices.SortStableFunc(split, func(a, b Segment) int { return cmp.Compare(a.First, b.First) })
	return split
}

// parseRuns parses the runs of one format as one part, its problems
// numbered as lines of the whole input. A single run is parseWith's.
func parseRuns(p parse.Parser, src *source, runs []chunk, name string, score int, cands []Candidate) Segment {
	if len(runs) == 1 {
		return parseWith(p, src, runs[0], name, score, cands, false)
	}
	var part pieces
	// before[i] counts the part's lines before runs[i].
	before := make([]int, len(runs))
	lines := 0
	for i, r := range runs {
		before[i] = lines
		lines += r.last - r.first
		part.add(src.section(r.from, r.to), r.to-r.from)
		var lastByte [1]byte
		if r.to > r.from {
			if _, err := src.ReadAt(lastByte[:], r.to-1); err == nil && lastByte[0] != '\n' {
				part.add(strings.NewReader("\n"), 1)
			}
		}
	}
	// lineOf maps line n (1-based) of the part to the input's 0-based line.
	lineOf := func(n int) int {
		i := sort.Search(len(runs), func(i int) bool { return before[i] >= n }) - 1
		return runs[i].first + n - 1 - before[i]
	}
	if lp, ok := p.(parse.ListeningParser); ok && src.listeningOnly {
		p = lp.ListeningOnly()
	}
	res, err := p.Parse(io.NewSectionReader(&part, 0, part.size()), name)
	if err != nil {
		// Only a failed read of the spool.
		res = parse.NewResult(p.Format())
		for _, r := range runs {
			src.eachLineOf(r, func(i int, line string) bool {
				res.Problem(name, i+1, line, err.Error())
				return true
			})
		}
	}
	for i := range res.Problems {
		res.Problems[i].File = name
		if n := res.Problems[i].Line; n >= 1 && n <= lines {
			res.Problems[i].Line = lineOf(n) + 1
		}
	}
	slices.SortStableFunc(res.Problems, func(a, b parse.LineError) int { return cmp.Compare(a.Line, b.Line) })
	first, last := runs[0], runs[len(runs)-1]
	return Segment{Format: p.Format(), Score: score, Alternatives: cands, Command: first.command,
		First: first.first + 1, Last: last.last, Result: res}
}

// lineRuns cuts chunk c into runs of consecutive lines that the same tool
// recognises best, line by line. Lines no tool recognises (blank lines,
// garbage) stay in the run they are in.
func lineRuns(src *source, c chunk) []chunk {
	var runs []chunk
	cur := c
	family := c.hint
	i := c.first
	var sample []byte
	_ = eachLine(src.section(c.from, c.to), func(line string, off, _ int64, _ bool) bool {
		defer func() { i++ }()
		sample = append(append(sample[:0], line...), '\n')
		p, _, _ := detect(sample, "")
		if p == nil {
			return true
		}
		f := Family(p.Format())
		if family == "" || i == cur.first {
			// The run's first line names its tool, whatever the
			// command hinted: a run is never empty.
			family = f
			return true
		}
		if f != family {
			cur.last, cur.to, cur.family = i, c.from+off, family
			runs = append(runs, cur)
			cur = chunk{first: i, from: c.from + off}
			family = f
		}
		return true
	})
	cur.last, cur.to, cur.family = c.last, c.to, family
	return append(runs, cur)
}

// parseWith parses chunk c with p and renumbers its problems as lines of
// the whole input.
func parseWith(p parse.Parser, src *source, c chunk, name string, score int, cands []Candidate, forced bool) Segment {
	if lp, ok := p.(parse.ListeningParser); ok && src.listeningOnly {
		p = lp.ListeningOnly()
	}
	// The chunk's bytes as they are in the spool, read as a stream.
	res, err := p.Parse(src.section(c.from, c.to), name)
	if err != nil {
		// Parsers return errors only for failed reads (of the spool);
		// keep the lines as problems all the same.
		s := unknownSegment(src, c, name)
		s.Format = p.Format()
		for i := range s.Result.Problems {
			s.Result.Problems[i].Expected = err.Error()
		}
		return s
	}
	for i := range res.Problems {
		res.Problems[i].File = name
		res.Problems[i].Line += c.first
	}
	return Segment{Format: p.Format(), Score: score, Forced: forced, Alternatives: cands, Command: c.command,
		First: c.first + 1, Last: c.last, Result: res}
}

// unknownSegment makes every non-blank line of c a problem.
func unknownSegment(src *source, c chunk, name string) Segment {
	res := &parse.Result{Lines: c.last - c.first}
	src.eachLineOf(c, func(i int, line string) bool {
		if strings.TrimSpace(line) == "" {
			res.Skipped++
			return true
		}
		res.Problem(name, i+1, line, expectAny)
		return true
	})
	return Segment{Format: FormatUnknown, Command: c.command, First: c.first + 1, Last: c.last, Result: res}
}

// NoOutput returns an error naming the input when no part of it is output
// of a known tool: it is empty, blank, or no line of it could be read. A
// line that gave a socket counts even when part of it is a problem (ss's
// unreadable process column: Parsed leaves it out, the socket is kept).
func (in *Input) NoOutput() error {
	for _, s := range in.Segments {
		if s.Format == FormatUnknown || s.Result == nil {
			continue
		}
		r := s.Result
		if r.Parsed > 0 || r.ProblemCount() == 0 || r.Connected > 0 || (r.Snapshot != nil && len(r.Snapshot.Sockets) > 0) {
			return nil
		}
	}
	if in.ProblemCount() == 0 {
		return fmt.Errorf("%s: no output of netstat, ss, lsof, fstat or sockstat (the input is empty or blank)", in.Name)
	}
	return fmt.Errorf("%s: no line is output of netstat, ss, lsof, fstat or sockstat", in.Name)
}

// ProblemCount is the number of lines of the input not understood.
func (in *Input) ProblemCount() int { return len(in.Problems) + in.MoreProblems }

// ProblemsGap is the gap of n lines not understood, in whole or in part
// (a socket whose process column is unreadable is kept): what they held
// may not all be in the view.
func ProblemsGap(n int) snapshot.Gap {
	return snapshot.Gap{Area: "input", Reason: "lines-not-understood", Count: n,
		Args:   map[string]string{"count": strconv.Itoa(n)},
		Detail: "lines of the input were not understood, in whole or in part (see the warnings); what they held may not all be in this view"}
}
