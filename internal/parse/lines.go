package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLine is the longest line EachLine passes whole; a longer one is passed
// cut to MaxLine bytes and flagged, so that a parser can report it as a
// problem instead of holding it in memory.
const MaxLine = 64 << 10

// EachLine calls fn with every line of r (without its "\n" or "\r\n" line
// ending) and its 1-based number. A line that is longer than MaxLine bytes
// counting its "\n" is passed cut to MaxLine bytes with long set. Only read errors are returned, wrapped with the
// number of the line being read.
func EachLine(r io.Reader, fn func(n int, line string, long bool)) error {
	br := bufio.NewReaderSize(r, 4096)
	n := 0
	for {
		var buf []byte
		long := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(buf)+len(chunk) > MaxLine {
				long = true
				if room := MaxLine - len(buf); room > 0 {
					buf = append(buf, chunk[:room]...)
				}
			} else {
				buf = append(buf, chunk...)
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if len(buf) > 0 {
			n++
			line := buf
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			fn(n, string(line), long)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", n+1, err)
		}
	}
}

// Rewindable returns r as a reader that can be read again from its start:
// r itself when it can seek (analyze gives every part so, read from its
// spool), otherwise all of r held in memory. It is for parsers whose
// reading of a line depends on the whole output, which read it twice.
func Rewindable(r io.Reader) (io.ReadSeeker, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		return rs, nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(data), nil
}

// MaxQuote is the most of a line a problem quotes.
const MaxQuote = 200

// Clip returns line cut to MaxQuote bytes (at a UTF-8 boundary), with "…"
// when it was cut, for quoting a line in a problem.
func Clip(line string) string { return ClipTo(line, MaxQuote) }

// ClipTo returns s cut to limit bytes (at a UTF-8 boundary), with "…"
// when it was cut.
func ClipTo(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
