package fdscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSocketInode(t *testing.T) {
	tests := []struct {
		name   string
		link   string
		socket uint64
		sockOK bool
	}{
		{"socket", "socket:[12345]", 12345, true},
		{"socket max", "socket:[18446744073709551615]", 18446744073709551615, true},
		{"socket overflow", "socket:[18446744073709551616]", 0, false},
		{"socket empty", "socket:[]", 0, false},
		{"socket letters", "socket:[12a]", 0, false},
		{"socket sign", "socket:[-1]", 0, false},
		{"socket unterminated", "socket:[12", 0, false},
		{"socket trailing", "socket:[12] ", 0, false},
		{"pipe", "pipe:[12345]", 0, false},
		{"anon", "anon_inode:[eventfd]", 0, false},
		{"path", "/dev/null", 0, false},
		{"path like socket", "/tmp/socket:[1]", 0, false},
		{"empty", "", 0, false},
		{"netns", "net:[4026531840]", 0, false},
		{"other ns", "mnt:[4026531841]", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSocketInode([]byte(tt.link))
			if got != tt.socket || ok != tt.sockOK {
				t.Errorf("parseSocketInode(%q) = %d, %v; want %d, %v", tt.link, got, ok, tt.socket, tt.sockOK)
			}
		})
	}
}

func TestParsePID(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true},
		{"4194304", 4194304, true},
		{"2147483647", 2147483647, true},
		{"2147483648", 0, false},
		{"99999999999", 0, false},
		{"self", 0, false},
		{".", 0, false},
		{"..", 0, false},
		{"", 0, false},
		{"12a", 0, false},
		{"+1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parsePID([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parsePID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// statLine builds a /proc/PID/stat line as the kernel prints it.
func statLine(pid int, comm string, ppid int, start uint64) string {
	// Fields 3..21, then 22 starttime, then the rest of a real line.
	return strings.Join([]string{
		itoa(pid), "(" + comm + ")", "S", itoa(ppid), itoa(pid), itoa(pid), "0", "-1", "4194560",
		"120", "0", "0", "0", "3", "1", "0", "0", "20", "0", "1", "0",
		utoa(start), "12345678", "345", "18446744073709551615", "1", "1", "0", "0", "0", "0", "0",
		"4096", "1260", "0", "0", "0", "17", "1", "0", "0", "0", "0", "0",
	}, " ") + "\n"
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{"plain", statLine(812, "sshd", 1, 2049), procStat{Comm: []byte("sshd"), PPID: 1, StartTime: 2049}, false},
		{"spaces and parens", statLine(9, "a) (b c) S 7 8", 3, 77), procStat{Comm: []byte("a) (b c) S 7 8"), PPID: 3, StartTime: 77}, false},
		{"newline in comm", statLine(9, "x\ny)", 4, 5), procStat{Comm: []byte("x\ny)"), PPID: 4, StartTime: 5}, false},
		{"non-utf8 comm", statLine(9, "\xff\xfe", 4, 5), procStat{Comm: []byte("\xff\xfe"), PPID: 4, StartTime: 5}, false},
		{"empty comm", statLine(9, "", 0, 1), procStat{Comm: []byte(""), PPID: 0, StartTime: 1}, false},
		{"no newline", strings.TrimSuffix(statLine(9, "x", 1, 99), "\n"), procStat{Comm: []byte("x"), PPID: 1, StartTime: 99}, false},
		{"exactly 22 fields", "1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 42\n", procStat{Comm: []byte("init"), PPID: 0, StartTime: 42}, false},
		{"short", "1 (init) S 0 1 1 0\n", procStat{}, true},
		{"no parens", "1 init S 0 1 1 0\n", procStat{}, true},
		{"bad ppid", "1 (init) S x 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 42\n", procStat{}, true},
		{"bad start", "1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4x2\n", procStat{}, true},
		{"double space", "1 (init) S  0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 42\n", procStat{}, true},
		{"empty", "", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errStatFormat) {
					t.Errorf("error %v does not wrap errStatFormat", err)
				}
				return
			}
			if !bytes.Equal(got.Comm, tt.want.Comm) || got.PPID != tt.want.PPID || got.StartTime != tt.want.StartTime {
				t.Errorf("parseStat(%q) = {%q %d %d}, want {%q %d %d}", tt.in, got.Comm, got.PPID, got.StartTime, tt.want.Comm, tt.want.PPID, tt.want.StartTime)
			}
		})
	}
}

func TestParseStatusEUID(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    uint32
		wantErr bool
	}{
		{"setuid", "Name:\tping\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n", 0, false},
		{"plain", "Name:\tx\nUid:\t33\t33\t33\t33\n", 33, false},
		{"max", "Uid:\t4294967295\t4294967295\t4294967295\t4294967295", 4294967295, false},
		{"overflow", "Uid:\t1\t4294967296\t1\t1\n", 0, true},
		{"name that looks like uid", "Name:\tUid:\t5\t5\nUid:\t7\t8\t9\t10\n", 8, false},
		{"short", "Uid:\t1\n", 0, true},
		{"missing", "Name:\tx\nGid:\t1\t1\t1\t1\n", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatusEUID([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSplitCmdline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one", "sshd\x00", []string{"sshd"}},
		{"args", "/usr/sbin/nginx\x00-g\x00daemon off;\x00", []string{"/usr/sbin/nginx", "-g", "daemon off;"}},
		{"empty arg", "a\x00\x00b\x00", []string{"a", "", "b"}},
		{"rewritten", "sshd: alice [priv]", []string{"sshd: alice [priv]"}},
		{"non-utf8 and newline", "x\xff\ny\x00\xfe\x00", []string{"x\xff\ny", "\xfe"}},
		{"only nul", "\x00", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitCmdline([]byte(tt.in)); !slices.Equal(got, tt.want) {
				t.Errorf("splitCmdline(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// dirent encodes one linux_dirent64 record, padded to 8 bytes.
func dirent(ino uint64, typ uint8, name string) []byte {
	reclen := (direntHeader + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b[0:], ino)
	binary.NativeEndian.PutUint64(b[8:], 1)
	binary.NativeEndian.PutUint16(b[16:], uint16(reclen))
	b[18] = typ
	copy(b[direntHeader:], name)
	return b
}

func TestNextDirent(t *testing.T) {
	good := slices.Concat(dirent(1, 4, "."), dirent(2, 10, "12"), dirent(3, 10, "a-long-name-of-24-bytes!"))
	var names []string
	var types []uint8
	for b := good; len(b) > 0; {
		name, typ, rest, err := nextDirent(b)
		if err != nil {
			t.Fatalf("nextDirent: %v", err)
		}
		names = append(names, string(name))
		types = append(types, typ)
		b = rest
	}
	if want := []string{".", "12", "a-long-name-of-24-bytes!"}; !slices.Equal(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if want := []uint8{4, 10, 10}; !slices.Equal(types, want) {
		t.Errorf("types = %v, want %v", types, want)
	}

	bad := []struct {
		name string
		buf  []byte
	}{
		{"short header", good[:10]},
		{"reclen past end", good[:20]},
		{"reclen zero", func() []byte { b := dirent(1, 4, "x"); b[16], b[17] = 0, 0; return b }()},
		{"unterminated", func() []byte {
			b := dirent(1, 4, "abcd")
			for i := direntHeader; i < len(b); i++ {
				b[i] = 'a'
			}
			return b
		}()},
	}
	for _, tt := range bad {
		if _, _, _, err := nextDirent(tt.buf); !errors.Is(err, errDirent) {
			t.Errorf("%s: err = %v, want errDirent", tt.name, err)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(statLine(1, "a) (b", 0, 5)))
	f.Add([]byte("1 (x) S"))
	f.Add([]byte(")("))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStat(b)
		if err == nil && !bytes.Contains(b, st.Comm) {
			t.Errorf("comm %q not in input", st.Comm)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Uid:\t1\t2\t3\t4\n"))
	f.Add([]byte("Uid:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStatusEUID(b) // must not panic
	})
}

func FuzzParseLink(f *testing.F) {
	f.Add([]byte("socket:[1]"))
	f.Add([]byte("net:[4026531840]"))
	f.Add([]byte("socket:["))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, ok := parseSocketInode(b); ok {
			if want := "socket:[" + utoa(v) + "]"; string(b) != want && !strings.HasPrefix(string(b), "socket:[0") {
				t.Errorf("parseSocketInode(%q) = %d, which prints as %q", b, v, want)
			}
		}
		_, _ = parsePID(b)
	})
}

func FuzzSplitCmdline(f *testing.F) {
	f.Add([]byte("a\x00b\x00"))
	f.Add([]byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		args := splitCmdline(b)
		joined := strings.Join(args, "\x00")
		if want := strings.TrimSuffix(string(b), "\x00"); joined != want {
			t.Errorf("splitCmdline(%q) joined = %q, want %q", b, joined, want)
		}
	})
}

func FuzzNextDirent(f *testing.F) {
	f.Add(slices.Concat(dirent(1, 4, "."), dirent(2, 10, "12")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for range len(b) + 1 {
			name, _, rest, err := nextDirent(b)
			if err != nil {
				return
			}
			if bytes.IndexByte(name, 0) >= 0 {
				t.Fatalf("name %q holds a NUL", name)
			}
			if len(rest) >= len(b) {
				t.Fatalf("no progress: %d bytes left of %d", len(rest), len(b))
			}
			b = rest
		}
	})
}
