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
// counting its "\n" is passed cut to MaxLine bytes with long set. Only read
// errors are returned, wrapped with the number of the line being read.
func EachLine(r io.Reader, fn func(n int, line string, long bool)) error {
	return Lines(r, func(l Line) bool {
		fn(l.N, l.Text, l.Long)
		return true
	})
}

// Line is one line of an input, as Lines reads it.
type Line struct {
	// N is the line's 1-based number.
	N int
	// Text is the line without its "\n" or "\r\n" ending, cut to
	// MaxLine bytes when Long (more than MaxLine bytes with its "\n").
	Text string
	Long bool
	// Off is where the line starts in the input; Size is how many bytes
	// it takes there, its ending and the whole of a long line included.
	Off, Size int64
	// NL says the line ends in "\n": only an input's last line may not.
	NL bool
}

// Lines calls fn with every line of r until fn returns false. A line
// costs no copy beyond its Text, however long it is. Only read errors are
// returned, wrapped with the number of the line being read.
func Lines(r io.Reader, fn func(Line) bool) error {
	br := bufio.NewReaderSize(r, MaxLine)
	var long []byte // the first MaxLine bytes of a line the buffer cannot hold
	var l Line
	for {
		chunk, err := br.ReadSlice('\n')
		size := int64(len(chunk))
		text := chunk
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], chunk[:min(len(chunk), MaxLine)]...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				size += int64(len(chunk))
				if room := MaxLine - len(long); room > 0 {
					long = append(long, chunk[:min(len(chunk), room)]...)
				}
			}
			text = long
		}
		if size > 0 {
			l.N++
			l.Size, l.NL, l.Long = size, err == nil, size > MaxLine
			text = bytes.TrimSuffix(text, []byte("\n"))
			text = bytes.TrimSuffix(text, []byte("\r"))
			l.Text = string(text)
			if !fn(l) {
				return nil
			}
			l.Off += size
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", l.N+1, err)
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
