package journal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSend sends an entry to a datagram socket standing in for journald's
// and decodes it by the native protocol's rules.
func TestSend(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "socket")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w, err := Open(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fields := map[string]string{"OPENPORTS_PORT": "4444", "OPENPORTS_PROGRAM": "evil\nname"}
	if err := w.Send("tcp port 4444: not in the policy", PriWarning, fields); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := l.ReadFromUnix(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, buf[:n])
	want := map[string]string{
		"MESSAGE": "tcp port 4444: not in the policy", "PRIORITY": "4",
		"OPENPORTS_PORT": "4444", "OPENPORTS_PROGRAM": "evil\nname",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entry %q\ndecoded %v\nwant    %v", buf[:n], got, want)
	}
	if _, err := Encode("m", PriInfo, map[string]string{"_PID": "1"}); err == nil {
		t.Error("a trusted field (_PID) was accepted")
	}
	if _, err := Encode("m", PriInfo, map[string]string{"lower": "1"}); err == nil {
		t.Error("a lower-case field name was accepted")
	}
}

// decode reads a native-protocol datagram.
func decode(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			t.Fatalf("unterminated field %q", b)
		}
		line := b[:nl]
		if eq := bytes.IndexByte(line, '='); eq >= 0 {
			out[string(line[:eq])] = string(line[eq+1:])
			b = b[nl+1:]
			continue
		}
		b = b[nl+1:]
		if len(b) < 8 {
			t.Fatalf("binary field %s without a length", line)
		}
		size := binary.LittleEndian.Uint64(b[:8])
		b = b[8:]
		if uint64(len(b)) < size+1 || b[size] != '\n' {
			t.Fatalf("binary field %s: bad length %d", line, size)
		}
		out[string(line)] = string(b[:size])
		b = b[size+1:]
	}
	return out
}

func TestStreamIsJournal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dev, ino, ok := fileID(w)
	if !ok {
		t.Skip("no device and inode for files on this platform")
	}
	t.Setenv("JOURNAL_STREAM", "")
	if StreamIsJournal(w) {
		t.Error("true without JOURNAL_STREAM")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", dev, ino))
	if !StreamIsJournal(w) {
		t.Error("false for the stream JOURNAL_STREAM names")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", dev, ino+1))
	if StreamIsJournal(w) {
		t.Error("true for another stream (output redirected)")
	}
}
