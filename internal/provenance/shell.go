package provenance

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Var is a shell variable after openports evaluated the configuration
// files as /etc/rc.subr sources them.
type Var struct {
	Name, Value string
	// Unknown is empty when Value is what the shell would compute, else a
	// reason code: the value depends on shell code openports does not run
	// ("command-substitution", "conditional", "expansion").
	Unknown string
	// File, Line and Text are the assignment that set it last.
	File string
	Line int
	Text string
	// Defaults is true when that assignment is in a defaults file
	// (/etc/defaults/rc.conf; OpenBSD's /etc/rc.conf).
	Defaults bool
}

// Reason codes of unknown values.
const (
	unknownCommand     = "command-substitution" // $(...) or `...`
	unknownConditional = "conditional"          // assigned inside if, case, a loop or after && / ||
	unknownExpansion   = "expansion"            // ${#x}, ${x%y}, $((...)) and the like
)

// shellEnv evaluates the assignments of shell configuration files: plain
// and quoted values, $var and ${var} references, ${var:-word},
// ${var-word}, ${var:=word}, ${var=word}, ${var:+word}, ". file" of files
// inside the root, if blocks whose condition is a file test or a test of
// a known variable, and unset. Other shell code is skipped; a variable it
// may set becomes unknown with the reason, never guessed.
type shellEnv struct {
	fsys     fs.FS
	vars     map[string]*Var
	problems []error
	// defaults are the files whose assignments are defaults.
	defaults map[string]bool
	// sourced counts the files sourced so far (bounded).
	sourced int
	// noSource: rc.d scripts are read for their variables only.
	noSource bool
}

// maxSourced bounds the files one evaluation may source.
const maxSourced = 64

func newShellEnv(fsys fs.FS) *shellEnv {
	return &shellEnv{fsys: fsys, vars: map[string]*Var{}, defaults: map[string]bool{}}
}

// clone copies the variables (for rc.conf.d/<script>, read per script).
func (e *shellEnv) clone() *shellEnv {
	c := *e
	c.vars = make(map[string]*Var, len(e.vars))
	for k, v := range e.vars {
		c.vars[k] = v
	}
	c.problems = nil
	return &c
}

// get returns the variable, nil when unset.
func (e *shellEnv) get(name string) *Var { return e.vars[name] }

// sourceFile evaluates the file at the absolute path p of the observed
// host. A missing file is not an error (rc.subr tests before sourcing).
func (e *shellEnv) sourceFile(p string) bool {
	return e.sourceFileAs(p, false)
}

func (e *shellEnv) sourceFileAs(p string, conditional bool) bool {
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	data, err := readLimited(e.fsys, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			e.problems = append(e.problems, err)
		}
		return false
	}
	e.sourced++
	if e.sourced > maxSourced {
		e.problems = append(e.problems, fmt.Errorf("/%s: more than %d files sourced; rest ignored", name, maxSourced))
		return false
	}
	e.eval(string(data), "/"+name, conditional)
	return true
}

// block is an open compound command.
type block struct {
	kind string // "if", "loop", "case", "brace", "func", "subshell"
	// run is what the current branch does: 1 runs, 0 skipped, -1 may run.
	run int
	// cond is the current if/elif condition's value (1, 0, -1).
	cond int
	// taken: an earlier branch of this if ran.
	taken bool
}

// eval runs the commands of one file. conditional marks every assignment
// as possibly not made.
func (e *shellEnv) eval(data, file string, conditional bool) {
	cmds, ok := lexShell(data)
	if !ok {
		e.problems = append(e.problems, &LineError{File: file, Line: strings.Count(data, "\n"), Msg: "the file ends inside a quote or substitution"})
	}
	var stack []block
	pendingFunc := false
	// chain is the state after && or ||: 1 the next command runs, 0 it
	// does not, -1 it may.
	chain := 1
	prevEnd := "\n"
	for _, c := range cmds {
		words := c.words
		// Reserved words that open, switch or close blocks, possibly
		// followed by a command on the same line ("then . /x").
		for len(words) > 0 {
			w := words[0]
			switch w {
			case "if", "while", "until":
				kind := "if"
				if w != "if" {
					kind = "loop"
				}
				r := -1
				if kind == "if" {
					r = e.test(words[1:])
				}
				stack = append(stack, block{kind: kind, cond: r, run: -1})
				words = nil
				continue
			case "for", "case":
				stack = append(stack, block{kind: map[string]string{"for": "loop", "case": "case"}[w], run: -1, cond: -1})
				words = nil
				continue
			case "then":
				if n := len(stack); n > 0 && stack[n-1].kind == "if" {
					stack[n-1].run = stack[n-1].cond
				}
				words = words[1:]
				continue
			case "elif", "else":
				if n := len(stack); n > 0 && stack[n-1].kind == "if" {
					b := &stack[n-1]
					// cond becomes whether this branch runs: never after
					// a branch that ran, maybe after one that may have.
					switch {
					case b.cond == 1 || b.taken:
						b.taken, b.cond = true, 0
					case b.cond == -1:
						b.cond = -1
					case w == "else":
						b.cond = 1
					default:
						b.cond = e.test(words[1:])
					}
					b.run = 0
					if w == "else" {
						b.run = b.cond
					}
				}
				if w == "elif" {
					words = nil
				} else {
					words = words[1:]
				}
				continue
			case "do":
				words = words[1:]
				continue
			case "fi", "done", "esac":
				if n := len(stack); n > 0 {
					stack = stack[:n-1]
				}
				words = words[1:]
				continue
			case "{":
				kind := "brace"
				if pendingFunc {
					kind = "func"
					pendingFunc = false
				}
				stack = append(stack, block{kind: kind, run: 1})
				words = words[1:]
				continue
			case "}":
				if n := len(stack); n > 0 {
					stack = stack[:n-1]
				}
				words = words[1:]
				continue
			case "function":
				pendingFunc = true
				words = nil
				continue
			}
			if strings.HasSuffix(w, "()") {
				pendingFunc = true
				words = words[1:]
				continue
			}
			break
		}
		if c.end == "(" && len(words) == 0 && !inCase(stack) {
			stack = append(stack, block{kind: "subshell", run: 0})
		}
		run := 1
		if conditional {
			run = -1
		}
		for _, b := range stack {
			switch {
			case b.kind == "func" || b.kind == "subshell" || b.run == 0:
				run = 0
			case b.run == -1 && run == 1:
				run = -1
			}
		}
		if prevEnd == "|" || c.end == "|" || c.end == "&" {
			run = 0 // a pipeline's commands run in subshells
		}
		switch {
		case chain == 0:
			run = 0
		case chain == -1 && run == 1:
			run = -1
		}
		result := -1
		if run != 0 && len(words) > 0 {
			result = e.command(words, c, file, run == -1)
		}
		if c.end == ")" && len(stack) > 0 && stack[len(stack)-1].kind == "subshell" {
			stack = stack[:len(stack)-1]
		}
		// The next command after && / || runs depending on this one.
		switch c.end {
		case "&&", "||":
			want := 1
			if c.end == "||" {
				want = 0
			}
			switch {
			case run == 0 && chain == 0:
				// a && b || c: c runs when a is false; unknown here.
				chain = -1
			case result == -1:
				chain = -1
			case result == want:
				chain = 1
			default:
				chain = 0
			}
		default:
			chain = 1
		}
		prevEnd = c.end
	}
}

func inCase(stack []block) bool {
	for _, b := range stack {
		if b.kind == "case" {
			return true
		}
	}
	return false
}

// command runs one simple command: assignments, ". file", ":", unset,
// export, and tests (whose result it returns: 1 true, 0 false, -1
// unknown). maybe marks the command as possibly not run.
func (e *shellEnv) command(words []string, c shCommand, file string, maybe bool) int {
	// Leading assignments.
	n := 0
	for n < len(words) && isAssignWord(words[n]) {
		n++
	}
	if n > 0 && n < len(words) {
		// VAR=x cmd: the assignments are for cmd's environment only.
		return -1
	}
	if n == len(words) {
		for _, w := range words {
			e.assign(w, c, file, maybe)
		}
		return 1
	}
	switch words[0] {
	case "export", "readonly", "local":
		for _, w := range words[1:] {
			if isAssignWord(w) {
				e.assign(w, c, file, maybe)
			}
		}
		return 1
	case "unset":
		for _, w := range words[1:] {
			if w == "-v" {
				continue
			}
			if maybe {
				if v := e.vars[w]; v != nil {
					nv := *v
					nv.Unknown = unknownConditional
					nv.File, nv.Line, nv.Text = file, c.line, c.text
					e.vars[w] = &nv
				}
				continue
			}
			delete(e.vars, w)
		}
		return 1
	case ":", "true":
		for _, w := range words[1:] {
			e.expand(w, c, file, maybe)
		}
		return 1
	case "false":
		return 0
	case ".", "source":
		if e.noSource || len(words) < 2 {
			return -1
		}
		p, unknown := e.expand(words[1], c, file, maybe)
		if unknown != "" || !strings.HasPrefix(p, "/") {
			return -1
		}
		if e.sourceFileAs(p, maybe) {
			return 1
		}
		return 0
	case "[", "test":
		return e.test(words)
	}
	return -1
}

// test evaluates a test command ("[ -r FILE ]", "test -f FILE", "[ -z
// "$x" ]"): 1 true, 0 false, -1 unknown.
func (e *shellEnv) test(words []string) int {
	if len(words) == 0 {
		return -1
	}
	if words[0] == "[" {
		if words[len(words)-1] != "]" {
			return -1
		}
		words = words[1 : len(words)-1]
	} else if words[0] == "test" {
		words = words[1:]
	} else {
		return -1
	}
	neg := false
	if len(words) > 0 && words[0] == "!" {
		neg = true
		words = words[1:]
	}
	if len(words) != 2 {
		return -1
	}
	arg, unknown := e.expandQuiet(words[1])
	if unknown != "" {
		return -1
	}
	r := -1
	switch words[0] {
	case "-r", "-f", "-e", "-s", "-d":
		if !strings.HasPrefix(arg, "/") {
			return -1
		}
		st, err := fs.Stat(e.fsys, strings.TrimPrefix(path.Clean(arg), "/"))
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			r = 0
		case err != nil:
			return -1
		case words[0] == "-d":
			r = b2i(st.IsDir())
		case words[0] == "-f":
			r = b2i(st.Mode().IsRegular())
		case words[0] == "-s":
			r = b2i(st.Size() > 0)
		default:
			r = 1
		}
	case "-z":
		r = b2i(arg == "")
	case "-n":
		r = b2i(arg != "")
	default:
		return -1
	}
	if neg {
		r = 1 - r
	}
	return r
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isAssignWord reports whether w is NAME=...
func isAssignWord(w string) bool {
	i := strings.IndexByte(w, '=')
	return i > 0 && isName(w[:i])
}

// assign performs NAME=VALUE.
func (e *shellEnv) assign(w string, c shCommand, file string, maybe bool) {
	i := strings.IndexByte(w, '=')
	name := w[:i]
	val, unknown := e.expand(w[i+1:], c, file, maybe)
	e.set(name, val, unknown, c.line, w, file, maybe)
}

// set records an assignment; text is the assignment as written.
func (e *shellEnv) set(name, val, unknown string, line int, text, file string, maybe bool) {
	if maybe && unknown == "" {
		unknown = unknownConditional
	}
	e.vars[name] = &Var{Name: name, Value: val, Unknown: unknown, File: file, Line: line, Text: strings.Join(strings.Fields(text), " "), Defaults: e.defaults[file]}
}

// expandQuiet expands w without side effects.
func (e *shellEnv) expandQuiet(w string) (string, string) {
	x := &expander{env: e, quiet: true}
	return x.word(w)
}

// expand expands w; ${x=word} and ${x:=word} assign.
func (e *shellEnv) expand(w string, c shCommand, file string, maybe bool) (string, string) {
	x := &expander{env: e, cmd: c, file: file, maybe: maybe}
	return x.word(w)
}

// expander expands one word.
type expander struct {
	env     *shellEnv
	cmd     shCommand
	file    string
	maybe   bool
	quiet   bool
	unknown string
}

func (x *expander) fail(reason string) {
	if x.unknown == "" {
		x.unknown = reason
	}
}

// word removes quotes and expands parameters of w.
func (x *expander) word(w string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(w); {
		c := w[i]
		switch c {
		case '\\':
			if i+1 < len(w) {
				if w[i+1] != '\n' {
					b.WriteByte(w[i+1])
				}
				i += 2
				continue
			}
			i++
		case '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				b.WriteString(w[i+1:])
				return b.String(), x.unknownOr(unknownExpansion)
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 2
		case '"':
			i++
			for i < len(w) && w[i] != '"' {
				switch w[i] {
				case '\\':
					if i+1 < len(w) && strings.IndexByte("$`\"\\\n", w[i+1]) >= 0 {
						if w[i+1] != '\n' {
							b.WriteByte(w[i+1])
						}
						i += 2
						continue
					}
					b.WriteByte('\\')
					i++
				case '$':
					i = x.dollar(w, i, &b)
				case '`':
					i = x.backquote(w, i)
				default:
					b.WriteByte(w[i])
					i++
				}
			}
			i++
		case '$':
			i = x.dollar(w, i, &b)
		case '`':
			i = x.backquote(w, i)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), x.unknown
}

func (x *expander) unknownOr(r string) string {
	if x.unknown != "" {
		return x.unknown
	}
	return r
}

func (x *expander) backquote(w string, i int) int {
	x.fail(unknownCommand)
	j := strings.IndexByte(w[i+1:], '`')
	if j < 0 {
		return len(w)
	}
	return i + 1 + j + 1
}

// dollar expands the $ expansion at w[i] into b and returns the index
// after it.
func (x *expander) dollar(w string, i int, b *strings.Builder) int {
	if i+1 >= len(w) {
		b.WriteByte('$')
		return i + 1
	}
	switch c := w[i+1]; {
	case c == '(':
		end := matching(w, i+1, '(', ')')
		if strings.HasPrefix(w[i+1:], "((") {
			x.fail(unknownExpansion)
		} else {
			x.fail(unknownCommand)
		}
		return end
	case c == '{':
		end := matching(w, i+1, '{', '}')
		inner := w[i+2 : max(i+2, end-1)]
		x.brace(inner, b)
		return end
	case c == '_' || isAlpha(c):
		j := i + 1
		for j < len(w) && (w[j] == '_' || isAlpha(w[j]) || (w[j] >= '0' && w[j] <= '9')) {
			j++
		}
		x.ref(w[i+1:j], b)
		return j
	case c >= '0' && c <= '9' || strings.IndexByte("@*#?$!-", c) >= 0:
		// Positional and special parameters: not set when rc.conf is
		// sourced by rc.subr in a way openports can know.
		x.fail(unknownExpansion)
		return i + 2
	}
	b.WriteByte('$')
	return i + 1
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// matching returns the index after the close balancing w[open].
func matching(w string, open int, o, c byte) int {
	depth := 0
	for i := open; i < len(w); i++ {
		switch w[i] {
		case '\\':
			i++
		case '\'':
			if j := strings.IndexByte(w[i+1:], '\''); j >= 0 && o != '{' {
				i += j + 1
			}
		case o:
			depth++
		case c:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(w)
}

// ref expands $name.
func (x *expander) ref(name string, b *strings.Builder) {
	v := x.env.vars[name]
	if v == nil {
		return
	}
	if v.Unknown != "" {
		x.fail(v.Unknown)
	}
	b.WriteString(v.Value)
}

// brace expands ${inner}.
func (x *expander) brace(inner string, b *strings.Builder) {
	j := 0
	for j < len(inner) && (inner[j] == '_' || isAlpha(inner[j]) || (j > 0 && inner[j] >= '0' && inner[j] <= '9')) {
		j++
	}
	name := inner[:j]
	if name == "" {
		x.fail(unknownExpansion)
		return
	}
	rest := inner[j:]
	if rest == "" {
		x.ref(name, b)
		return
	}
	colon := strings.HasPrefix(rest, ":")
	op := strings.TrimPrefix(rest, ":")
	if op == "" || strings.IndexByte("-=+?", op[0]) < 0 {
		x.fail(unknownExpansion) // ${x%y}, ${x#y} and the like
		return
	}
	word := op[1:]
	v := x.env.vars[name]
	if v != nil && v.Unknown != "" {
		// Whether the default applies depends on an unknown value.
		x.fail(v.Unknown)
	}
	set := v != nil && (!colon || v.Value != "")
	switch op[0] {
	case '-':
		if set {
			b.WriteString(v.Value)
			return
		}
		b.WriteString(x.sub(word))
	case '=':
		if set {
			b.WriteString(v.Value)
			return
		}
		val := x.sub(word)
		if !x.quiet {
			x.env.set(name, val, x.unknown, x.cmd.line, x.cmd.text, x.file, x.maybe)
		}
		b.WriteString(val)
	case '+':
		if set {
			b.WriteString(x.sub(word))
		}
	case '?':
		if set {
			b.WriteString(v.Value)
		}
	}
}

// sub expands the word of ${x-word}.
func (x *expander) sub(word string) string {
	y := &expander{env: x.env, cmd: x.cmd, file: x.file, maybe: x.maybe, quiet: x.quiet}
	s, unknown := y.word(word)
	if unknown != "" {
		x.fail(unknown)
	}
	return s
}

// LineError is a line of a configuration file openports could not read.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// truth reads a YES/NO value as rc.subr's checkyesno does: yes, true, on,
// 1 and no, false, off, 0 in any case. ok is false for anything else.
func truth(v string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "on", "1":
		return true, true
	case "no", "false", "off", "0":
		return false, true
	}
	return false, false
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
