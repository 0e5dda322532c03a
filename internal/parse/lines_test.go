package parse_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
)

type seenLine struct {
	n    int
	text string
	long bool
}

func eachLine(t *testing.T, r io.Reader) ([]seenLine, error) {
	t.Helper()
	var got []seenLine
	err := parse.EachLine(r, func(n int, line string, long bool) {
		got = append(got, seenLine{n, line, long})
	})
	return got, err
}

func TestEachLine(t *testing.T) {
	long := strings.Repeat("x", parse.MaxLine+10)
	tests := []struct {
		name string
		in   string
		want []seenLine
	}{
		{"empty", "", nil},
		{"no final newline", "a\nb", []seenLine{{1, "a", false}, {2, "b", false}}},
		{"crlf", "a\r\nb\r\n", []seenLine{{1, "a", false}, {2, "b", false}}},
		{"one cr only", "a\r\r\n", []seenLine{{1, "a\r", false}}},
		{"blank lines counted", "\n\nc\n", []seenLine{{1, "", false}, {2, "", false}, {3, "c", false}}},
		{"MaxLine with its newline", strings.Repeat("y", parse.MaxLine-1) + "\nz\n", []seenLine{{1, strings.Repeat("y", parse.MaxLine-1), false}, {2, "z", false}}},
		{"one byte over with its newline", strings.Repeat("y", parse.MaxLine) + "\nz\n", []seenLine{{1, strings.Repeat("y", parse.MaxLine), true}, {2, "z", false}}},
		{"long line cut", "a\n" + long + "\nb\n", []seenLine{{1, "a", false}, {2, long[:parse.MaxLine], true}, {3, "b", false}}},
		{"MaxLine at the end without newline", strings.Repeat("y", parse.MaxLine), []seenLine{{1, strings.Repeat("y", parse.MaxLine), false}}},
		{"crlf makes it long", strings.Repeat("y", parse.MaxLine-1) + "\r\n", []seenLine{{1, strings.Repeat("y", parse.MaxLine-1), true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eachLine(t, strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %s, want %s", describe(got), describe(tt.want))
			}
		})
	}
}

// describe prints lines shortened, for failure messages.
func describe(lines []seenLine) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "[%d %d bytes %.20q long=%v]", l.n, len(l.text), l.text, l.long)
	}
	return b.String()
}

// Lines says where each line is and how many bytes it takes (all of a
// long one), whether it ended in a newline, and stops when fn says so.
func TestLinesPlaces(t *testing.T) {
	long := strings.Repeat("x", 2*parse.MaxLine+5)
	in := "a\r\n" + long + "\n\nlast"
	type place struct {
		n         int
		off, size int64
		nl, long  bool
		text      string
	}
	want := []place{
		{1, 0, 3, true, false, "a"},
		{2, 3, int64(len(long)) + 1, true, true, long[:parse.MaxLine]},
		{3, int64(len(long)) + 4, 1, true, false, ""},
		{4, int64(len(long)) + 5, 4, false, false, "last"},
	}
	for stop := 1; stop <= len(want); stop++ {
		var got []place
		err := parse.Lines(strings.NewReader(in), func(l parse.Line) bool {
			got = append(got, place{l.N, l.Off, l.Size, l.NL, l.Long, l.Text})
			return len(got) < stop
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[:stop]) {
			t.Errorf("stop after %d: got %.300v, want %.300v", stop, got, want[:stop])
		}
	}
}

func TestEachLineReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(boom))
	got, err := eachLine(t, r)
	if !errors.Is(err, boom) || err.Error() != "read line 3: boom" {
		t.Errorf("error %v, want read line 3: boom", err)
	}
	if len(got) != 2 {
		t.Errorf("got %v, want the two lines before the error", got)
	}
}

// TestRewindable: an input that cannot seek is held and read again whole;
// one that can is used as it is; a read error is returned.
func TestRewindable(t *testing.T) {
	for _, r := range []io.Reader{iotest.OneByteReader(strings.NewReader("a\nb\n")), strings.NewReader("a\nb\n")} {
		rs, err := parse.Rewindable(r)
		if err != nil {
			t.Fatal(err)
		}
		for pass := range 2 {
			if _, err := rs.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := parse.EachLine(rs, func(_ int, line string, _ bool) { got = append(got, line) }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("%T, pass %d: got %q", r, pass, got)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := parse.Rewindable(io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Errorf("read error: got %v, want boom", err)
	}
}

func TestAddOwner(t *testing.T) {
	var s snapshot.Socket
	parse.AddOwner(&s, snapshot.Owner{PID: 10, Name: "master", FDs: []int{12}})
	parse.AddOwner(&s, snapshot.Owner{PID: 20, Name: "smtpd", FDs: []int{6}})
	parse.AddOwner(&s, snapshot.Owner{PID: 10, Name: "other", FDs: []int{3, 12}})
	if len(s.Owners) != 2 {
		t.Fatalf("owners %+v, want 2", s.Owners)
	}
	if o := s.Owners[0]; o.PID != 10 || o.Name != "master" || !slices.Equal(o.FDs, []int{3, 12}) {
		t.Errorf("merged owner %+v, want PID 10 master FDs [3 12]", o)
	}
	if o := s.Owners[1]; o.PID != 20 || !slices.Equal(o.FDs, []int{6}) {
		t.Errorf("second owner %+v", o)
	}
}

// FuzzLines checks that EachLine passes as many lines as the input has, that
// EachLine numbers them in order and never passes more than MaxLine bytes,
// and flags only lines it cut.
func FuzzLines(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nc"))
	f.Add([]byte("\r\r\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var n int
		err := parse.EachLine(strings.NewReader(string(in)), func(k int, line string, long bool) {
			if long && len(line) < parse.MaxLine-1 {
				t.Fatalf("line %d of %d bytes flagged long", k, len(line))
			}
			n++
			if k != n || len(line) > parse.MaxLine {
				t.Fatalf("line %d (want %d) of %d bytes, long %v", k, n, len(line), long)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(string(in), "\n")
		if len(in) > 0 && in[len(in)-1] != '\n' {
			lines++ // the last line without a newline
		}
		if lines != n {
			t.Errorf("the input has %d lines, EachLine passed %d", lines, n)
		}
	})
}
