package provenance

import (
	"strings"
)

// A shell file is read as a list of simple commands, each a list of raw
// words (quotes kept, for expansion later) and the operator that ends it.
// This is the part of sh(1)'s grammar that rc.conf files and the top level
// of rc.d scripts use; what it does not model (here-documents' contents,
// arithmetic) is consumed without being misread as commands.

// shCommand is one simple command.
type shCommand struct {
	words []string
	line  int    // line of the first word
	end   string // "\n", ";", "&&", "||", "|", "&", ";;", "(", ")" or "" at the end
	text  string // the command as written, on one line
}

// maxCommands bounds the commands read from one file.
const maxCommands = 200000

// lexShell splits data into commands. ok is false when the file ends
// inside a quote or substitution (the last command is then dropped).
func lexShell(data string) (cmds []shCommand, ok bool) {
	l := &shLexer{s: data, line: 1}
	for len(cmds) < maxCommands {
		c, more := l.command()
		if len(c.words) > 0 || (c.end != "\n" && c.end != "") {
			cmds = append(cmds, c)
		}
		if !more {
			break
		}
	}
	return cmds, !l.broken
}

type shLexer struct {
	s        string
	i        int
	line     int
	broken   bool
	heredocs []heredoc // pending here-documents, read after the current line
}

type heredoc struct {
	delim string
	strip bool // <<- strips leading tabs
}

// command reads the next simple command; more is false at the end.
func (l *shLexer) command() (shCommand, bool) {
	var c shCommand
	for {
		l.skipBlanks()
		if l.i >= len(l.s) {
			c.end = ""
			c.text = strings.Join(c.words, " ")
			return c, false
		}
		ch := l.s[l.i]
		switch {
		case ch == '#':
			for l.i < len(l.s) && l.s[l.i] != '\n' {
				l.i++
			}
			continue
		case ch == '\n':
			c.text = strings.Join(c.words, " ")
			l.i++
			l.line++
			l.readHeredocs()
			c.end = "\n"
			return c, true
		case ch == ';' || ch == '&' || ch == '|':
			c.text = strings.Join(c.words, " ")
			op := string(ch)
			l.i++
			if l.i < len(l.s) && (l.s[l.i] == ch) {
				op += string(ch)
				l.i++
			}
			c.end = op
			return c, true
		case ch == '(' || ch == ')':
			// "name()" is a function definition: keep it as one word.
			if ch == '(' && len(c.words) == 1 && strings.HasPrefix(l.s[l.i:], "()") {
				c.words[0] += "()"
				l.i += 2
				continue
			}
			c.text = strings.Join(c.words, " ")
			l.i++
			c.end = string(ch)
			return c, true
		}
		if len(c.words) == 0 {
			c.line = l.line
		}
		w := l.word()
		c.words = append(c.words, w)
	}
}

func (l *shLexer) skipBlanks() {
	for l.i < len(l.s) {
		switch {
		case l.s[l.i] == ' ' || l.s[l.i] == '\t' || l.s[l.i] == '\r':
			l.i++
		case l.s[l.i] == '\\' && l.i+1 < len(l.s) && l.s[l.i+1] == '\n':
			l.i += 2
			l.line++
		default:
			return
		}
	}
}

// word reads one word, quotes and substitutions included.
func (l *shLexer) word() string {
	start := l.i
	for l.i < len(l.s) {
		ch := l.s[l.i]
		switch ch {
		case ' ', '\t', '\r', '\n', ';', '&', '|', '(', ')':
			return l.s[start:l.i]
		case '\\':
			if l.i+1 < len(l.s) && l.s[l.i+1] == '\n' {
				l.line++
			}
			l.i += 2
		case '\'':
			l.i++
			l.until('\'')
		case '"':
			l.i++
			l.dquote()
		case '`':
			l.i++
			l.backquote()
		case '$':
			l.dollar()
		case '<':
			if strings.HasPrefix(l.s[l.i:], "<<") {
				l.i += 2
				strip := false
				if l.i < len(l.s) && l.s[l.i] == '-' {
					strip = true
					l.i++
				}
				for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
					l.i++
				}
				ds := l.i
				for l.i < len(l.s) && strings.IndexByte(" \t\n;&|()<>", l.s[l.i]) < 0 {
					l.i++
				}
				d := strings.NewReplacer("'", "", "\"", "", "\\", "").Replace(l.s[ds:l.i])
				if d != "" {
					l.heredocs = append(l.heredocs, heredoc{delim: d, strip: strip})
				}
				continue
			}
			l.i++
		default:
			l.i++
		}
	}
	if l.i > len(l.s) {
		l.i = len(l.s)
	}
	return l.s[start:l.i]
}

// until moves past the next c (single quotes: no escapes).
func (l *shLexer) until(c byte) {
	for l.i < len(l.s) {
		if l.s[l.i] == '\n' {
			l.line++
		}
		if l.s[l.i] == c {
			l.i++
			return
		}
		l.i++
	}
	l.broken = true
}

// dquote moves past the closing double quote.
func (l *shLexer) dquote() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case '"':
			l.i++
			return
		case '\\':
			if l.i+1 < len(l.s) && l.s[l.i+1] == '\n' {
				l.line++
			}
			l.i += 2
		case '`':
			l.i++
			l.backquote()
		case '$':
			l.dollar()
		case '\n':
			l.line++
			l.i++
		default:
			l.i++
		}
	}
	l.broken = true
}

func (l *shLexer) backquote() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case '`':
			l.i++
			return
		case '\\':
			l.i += 2
			continue
		case '\n':
			l.line++
		}
		l.i++
	}
	l.broken = true
}

// dollar moves past a $ expansion at l.i: $name, ${...}, $(...), $((...)).
func (l *shLexer) dollar() {
	l.i++
	if l.i >= len(l.s) {
		return
	}
	switch l.s[l.i] {
	case '{':
		l.i++
		l.nested('{', '}')
	case '(':
		l.i++
		l.nested('(', ')')
	}
}

// nested moves past the close that balances an open already read,
// respecting quotes inside.
func (l *shLexer) nested(open, close byte) {
	depth := 1
	for l.i < len(l.s) && depth > 0 {
		switch c := l.s[l.i]; c {
		case '\\':
			if l.i+1 < len(l.s) && l.s[l.i+1] == '\n' {
				l.line++
			}
			l.i += 2
			continue
		case '\'':
			l.i++
			l.until('\'')
			continue
		case '"':
			l.i++
			l.dquote()
			continue
		case '`':
			l.i++
			l.backquote()
			continue
		case '$':
			l.dollar()
			continue
		case '\n':
			l.line++
		case open:
			depth++
		case close:
			depth--
		}
		l.i++
	}
	if depth > 0 {
		l.broken = true
	}
}

// readHeredocs skips the bodies of here-documents started on the line
// just ended.
func (l *shLexer) readHeredocs() {
	for _, h := range l.heredocs {
		for l.i < len(l.s) {
			end := strings.IndexByte(l.s[l.i:], '\n')
			var ln string
			if end < 0 {
				ln = l.s[l.i:]
				l.i = len(l.s)
			} else {
				ln = l.s[l.i : l.i+end]
				l.i += end + 1
			}
			l.line++
			if h.strip {
				ln = strings.TrimLeft(ln, "\t")
			}
			if ln == h.delim {
				break
			}
		}
	}
	l.heredocs = l.heredocs[:0]
}
