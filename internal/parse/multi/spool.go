package multi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/openports/openports/internal/parse"
)

// spoolMemory is how much of an input a spool keeps in memory before it
// moves to a temporary file: a large input (a million connections, a
// damaged file of random bytes) is read as a stream and never held whole.
var spoolMemory = 4 << 20 // a variable for tests

// spool keeps the bytes of an input as it is read once, so that each part
// can be read again from its own offsets (detection, the split into runs
// of different tools, parsers that look at a part twice) without holding
// a large input in memory.
type spool struct {
	ctx  context.Context // a done ctx fails every read
	mem  []byte
	file *os.File // the bytes once past spoolMemory; removed on creation
	// noFile is set when no temporary file could be made.
	noFile bool
	size   int64
	// block is the file's bytes from blockAt: parts made of many short
	// runs are read a line at a time, which must not cost a system call
	// each.
	block   []byte
	blockAt int64
}

// spoolBlock is how much of the file a spool reads at once.
const spoolBlock = 256 << 10

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && !s.noFile && len(s.mem)+len(p) > spoolMemory {
		// Without a writable temporary directory the input stays in
		// memory, as it would have to for any reading twice.
		if f, err := os.CreateTemp("", "openports-analyze-*"); err != nil {
			s.noFile = true
		} else {
			// Removed at once: the open file lives until Close, and
			// nothing is left behind if the process is killed.
			os.Remove(f.Name())
			if _, err := f.Write(s.mem); err != nil {
				f.Close()
				return 0, err
			}
			s.file, s.mem = f, nil
		}
	}
	if s.file != nil {
		n, err := s.file.Write(p)
		s.size += int64(n)
		return n, err
	}
	s.mem = append(s.mem, p...)
	s.size += int64(len(p))
	return len(p), nil
}

func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.file == nil {
		return bytes.NewReader(s.mem).ReadAt(p, off)
	}
	if len(p) >= spoolBlock {
		return s.file.ReadAt(p, off)
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= s.size {
			return n, io.EOF
		}
		if at < s.blockAt || at >= s.blockAt+int64(len(s.block)) {
			if s.block == nil {
				s.block = make([]byte, spoolBlock)
			}
			s.blockAt = at - at%spoolBlock
			m, err := s.file.ReadAt(s.block[:cap(s.block)], s.blockAt)
			s.block = s.block[:m]
			if m == 0 {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return n, err
			}
		}
		n += copy(p[n:], s.block[at-s.blockAt:])
	}
	return n, nil
}

// Close frees the spool (and its file).
func (s *spool) Close() error {
	s.mem = nil
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// section returns a seekable reader of the bytes [from, to) of the spool.
func (s *spool) section(from, to int64) *io.SectionReader {
	return io.NewSectionReader(s, from, to-from)
}

// eachLine calls fn with every line of r as parse.Lines reads it: its
// text without the line ending, its offset in r, its length with the line
// ending, and whether it ends in a newline (only the last line may not).
// Every trailing "\r" is dropped, not just one: the splitter's looks at a
// line ignore a doubled CR ending ("\r\r\n"), the parsers of the parts
// read the bytes themselves. fn returns false to stop. Only read errors are
// returned.
func eachLine(r io.Reader, fn func(line string, off, size int64, nl bool) bool) error {
	return parse.Lines(r, func(l parse.Line) bool {
		return fn(strings.TrimRight(l.Text, "\r"), l.Off, l.Size, l.NL)
	})
}

// pieces reads several sections of a spool one after another, as one
// seekable input, each ending in a newline.
type pieces struct {
	parts []io.ReaderAt
	// starts[i] is where parts[i] starts; starts[len(parts)] is the size.
	starts []int64
}

func (p *pieces) add(r io.ReaderAt, size int64) {
	if len(p.starts) == 0 {
		p.starts = []int64{0}
	}
	p.parts = append(p.parts, r)
	p.starts = append(p.starts, p.starts[len(p.starts)-1]+size)
}

func (p *pieces) size() int64 {
	if len(p.starts) == 0 {
		return 0
	}
	return p.starts[len(p.starts)-1]
}

func (p *pieces) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		at := off + int64(n)
		if at >= p.size() {
			return n, io.EOF
		}
		i := sort.Search(len(p.parts), func(i int) bool { return p.starts[i+1] > at }) // the part holding at
		want := min(int64(len(b)-n), p.starts[i+1]-at)
		m, err := p.parts[i].ReadAt(b[n:n+int(want)], at-p.starts[i])
		n += m
		if err != nil && !(errors.Is(err, io.EOF) && int64(m) == want) {
			return n, err
		}
	}
	return n, nil
}
