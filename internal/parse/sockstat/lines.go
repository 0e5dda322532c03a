package sockstat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxLine is the longest line the parser accepts; a longer one is reported
// as a problem (with its text shortened) instead of being held in memory.
const maxLine = 64 << 10

// eachLine calls fn with every line of r (without its line ending) and its
// 1-based number. A line longer than maxLine is passed cut to maxLine bytes
// with long set. Only read errors are returned.
func eachLine(r io.Reader, fn func(n int, line string, long bool)) error {
	br := bufio.NewReaderSize(r, 4096)
	n := 0
	for {
		var buf []byte
		long := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(buf)+len(chunk) > maxLine {
				long = true
				if room := maxLine - len(buf); room > 0 {
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
