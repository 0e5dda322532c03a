// Package journal writes structured entries to the systemd journal through
// its native protocol (systemd.journal-fields(7), "Native Journal
// Protocol"): one datagram per entry on /run/systemd/journal/socket, each
// field KEY=value, so that priorities and fields survive where a line on
// stdout would be one unstructured MESSAGE.
package journal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
)

// SocketPath is where journald receives native entries.
const SocketPath = "/run/systemd/journal/socket"

// Priorities, as syslog(3) numbers them.
const (
	PriErr     = 3
	PriWarning = 4
	PriNotice  = 5
	PriInfo    = 6
)

// Writer sends entries to one journal socket.
type Writer struct {
	conn *net.UnixConn
	addr *net.UnixAddr
}

// Open returns a writer to the journal socket at path (SocketPath).
func Open(path string) (*Writer, error) {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("journal: open a datagram socket: %w", err)
	}
	return &Writer{conn: conn, addr: &net.UnixAddr{Name: path, Net: "unixgram"}}, nil
}

// Close closes the writer's socket.
func (w *Writer) Close() error { return w.conn.Close() }

// Send writes one entry: message, its priority, and fields (names of
// upper-case letters, digits and underscores, not starting with one).
func (w *Writer) Send(message string, priority int, fields map[string]string) error {
	b, err := Encode(message, priority, fields)
	if err != nil {
		return err
	}
	if _, err := w.conn.WriteToUnix(b, w.addr); err != nil {
		return fmt.Errorf("journal: send to %s: %w", w.addr.Name, err)
	}
	return nil
}

// Encode is the datagram of one entry. Fields come in name order, after
// MESSAGE and PRIORITY.
func Encode(message string, priority int, fields map[string]string) ([]byte, error) {
	var b bytes.Buffer
	writeField(&b, "MESSAGE", message)
	writeField(&b, "PRIORITY", fmt.Sprint(priority))
	names := make([]string, 0, len(fields))
	for k := range fields {
		if !validName(k) {
			return nil, fmt.Errorf("journal: invalid field name %q", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		writeField(&b, k, fields[k])
	}
	return b.Bytes(), nil
}

// writeField writes KEY=value, or for a value holding a newline the
// binary form: KEY, newline, its length as a little-endian uint64, the
// value, newline.
func writeField(b *bytes.Buffer, name, value string) {
	if !strings.Contains(value, "\n") {
		b.WriteString(name + "=" + value + "\n")
		return
	}
	b.WriteString(name + "\n")
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(value)))
	b.Write(n[:])
	b.WriteString(value + "\n")
}

func validName(s string) bool {
	if s == "" || s[0] == '_' || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// StreamIsJournal reports whether f is the stream systemd connected to the
// journal for this service: JOURNAL_STREAM (set by systemd, "DEVICE:INODE")
// names f's device and inode. A child whose output was redirected elsewhere
// inherits the variable but not the stream, and gets false.
func StreamIsJournal(f *os.File) bool {
	env := os.Getenv("JOURNAL_STREAM")
	if env == "" {
		return false
	}
	dev, ino, ok := fileID(f)
	return ok && env == fmt.Sprintf("%d:%d", dev, ino)
}
