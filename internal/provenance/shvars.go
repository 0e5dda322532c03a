package provenance

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Assignment is one NAME=VALUE of a shell-variable configuration file
// (rc.conf and friends).
type Assignment struct {
	// Name and Value are the variable and its value with quotes removed.
	Name, Value string
	// File is the path as on the observed host, Line the 1-based line the
	// assignment starts on.
	File string
	Line int
	// Text is the assignment as written ("sshd=YES").
	Text string
	// Expands is true when the value refers to another variable or a
	// command (a "$" or "`" outside single quotes): openports does not
	// evaluate shell code, so such a value is not read as YES or NO.
	Expands bool
}

// LineError is a line of a configuration file openports could not read.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// maxLines bounds how many lines one configuration file may have.
const maxLines = 100000

// controlWords start shell lines that are not assignments and that a
// configuration file may hold around them (NetBSD's rc.conf sources the
// defaults inside an if; FreeBSD's defaults end in a function).
var controlWords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "for": true, "while": true,
	"until": true, "do": true, "done": true, "case": true, "esac": true, ".": true, "source": true,
	"return": true, "exit": true, "local": true, ":": true, "[": true, "[[": true, "test": true,
	"echo": true, "unset": true, "shift": true, "set": true, "{": true, "}": true, "break": true,
	"continue": true, "eval": true, "warn": true, "err": true,
}

// ParseShellVars reads the assignments of a shell-variable configuration
// file: NAME=VALUE, several per line, values bare, 'single-' or
// "double-quoted" (quotes may span lines), comments, and "export". Shell
// control lines (if/fi, ". file", function bodies) are skipped. Lines that
// are none of these are returned as errors with their line number; the
// assignments around them are kept.
func ParseShellVars(data []byte, file string) ([]Assignment, []error) {
	var out []Assignment
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	lineNo := 0
	depth := 0 // inside a function body or a case
	pending := ""
	start := 0
	for sc.Scan() {
		lineNo++
		if lineNo > maxLines {
			errs = append(errs, &LineError{file, lineNo, fmt.Sprintf("more than %d lines; rest ignored", maxLines)})
			break
		}
		line := sc.Text()
		if pending != "" {
			line = pending + "\n" + line
		} else {
			start = lineNo
		}
		if strings.HasSuffix(line, "\\") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			pending = strings.TrimSuffix(line, "\\")
			continue
		}
		if unclosedQuote(line) {
			pending = line
			continue
		}
		pending = ""
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if isFuncStart(trimmed) {
			if !strings.HasSuffix(trimmed, "}") {
				depth++
			}
			continue
		}
		if depth > 0 {
			if trimmed == "}" || strings.HasPrefix(trimmed, "} ") || strings.HasPrefix(trimmed, "};") {
				depth--
			}
			continue
		}
		as, err := parseAssignLine(line, file, start)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, as...)
	}
	if pending != "" {
		errs = append(errs, &LineError{file, start, "unterminated quote"})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read %s: %w", file, err))
	}
	return out, errs
}

// isFuncStart reports whether s starts a shell function definition.
func isFuncStart(s string) bool {
	s = strings.TrimPrefix(s, "function ")
	i := strings.Index(s, "()")
	if i <= 0 {
		return false
	}
	return isName(strings.TrimSpace(s[:i]))
}

// unclosedQuote reports whether s ends inside a quote.
func unclosedQuote(s string) bool {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == 0 && c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return false
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q == '"' && c == '\\':
			i++
		case q == '\\':
		case q != 0 && c == q:
			q = 0
		case q == 0 && c == '\\':
			i++
		}
	}
	return q != 0
}

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

// parseAssignLine reads the assignments of one logical line.
func parseAssignLine(line, file string, lineNo int) ([]Assignment, error) {
	var out []Assignment
	i := 0
	first := true
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == ';' || line[i] == '\n') {
			i++
		}
		if i >= len(line) || line[i] == '#' {
			return out, nil
		}
		// The next word up to "=" or a separator.
		j := i
		for j < len(line) && line[j] != '=' && line[j] != ' ' && line[j] != '\t' && line[j] != ';' && line[j] != '\n' {
			j++
		}
		word := line[i:j]
		if first && (word == "export" || word == "readonly") && j < len(line) && line[j] != '=' {
			i = j
			first = false
			continue
		}
		if j >= len(line) || line[j] != '=' {
			if first && controlWords[word] {
				return nil, nil
			}
			if first && strings.HasSuffix(word, "()") {
				return nil, nil
			}
			if len(out) > 0 || !first {
				return out, &LineError{file, lineNo, fmt.Sprintf("expected NAME=VALUE, got %q", clip(strings.TrimSpace(line[i:])))}
			}
			// A command line (a tool call, a test): not configuration.
			return nil, &LineError{file, lineNo, fmt.Sprintf("expected NAME=VALUE, got %q", clip(strings.TrimSpace(line)))}
		}
		if !isName(word) {
			return out, &LineError{file, lineNo, fmt.Sprintf("%q is not a variable name", clip(word))}
		}
		value, end, expands, err := shellWord(line, j+1)
		if err != nil {
			return out, &LineError{file, lineNo, err.Error()}
		}
		out = append(out, Assignment{Name: word, Value: value, File: file, Line: lineNo,
			Text: strings.ReplaceAll(line[i:end], "\n", " "), Expands: expands})
		i = end
		first = false
	}
}

// shellWord reads one shell word of line from i: bare characters, quoted
// parts and backslash escapes, up to an unquoted separator.
func shellWord(line string, i int) (value string, end int, expands bool, err error) {
	var b strings.Builder
	for i < len(line) {
		c := line[i]
		switch c {
		case ' ', '\t', ';', '\n':
			return b.String(), i, expands, nil
		case '#':
			if b.Len() == 0 {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteByte(c)
			i++
		case '\\':
			if i+1 < len(line) {
				b.WriteByte(line[i+1])
			}
			i += 2
		case '\'':
			k := strings.IndexByte(line[i+1:], '\'')
			if k < 0 {
				return "", i, expands, fmt.Errorf("unterminated quote")
			}
			b.WriteString(line[i+1 : i+1+k])
			i += k + 2
		case '"':
			i++
			closed := false
			for i < len(line) {
				d := line[i]
				if d == '"' {
					closed = true
					i++
					break
				}
				if d == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					b.WriteByte(line[i+1])
					i += 2
					continue
				}
				if d == '$' || d == '`' {
					expands = true
				}
				b.WriteByte(d)
				i++
			}
			if !closed {
				return "", i, expands, fmt.Errorf("unterminated quote")
			}
		case '$', '`':
			expands = true
			b.WriteByte(c)
			i++
		case '&', '|', '<', '>', '(', ')':
			return "", i, expands, fmt.Errorf("shell operator %q in a value: not a plain assignment", string(c))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i, expands, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// truth reads a YES/NO value as rc.subr does: yes, true, on, 1 and no,
// false, off, 0 in any case. ok is false for anything else.
func truth(v string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "on", "1":
		return true, true
	case "no", "false", "off", "0":
		return false, true
	}
	return false, false
}
