package snapshot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// Write encodes s as indented JSON.
func Write(w io.Writer, s *Snapshot) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// ReadFile reads the snapshot file at path (tests and fixtures; commands
// read through internal/input, which bounds the size).
func ReadFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Read decodes a snapshot written by Write. Unknown fields are an error, so
// that a file from a newer openports is not silently misread.
func Read(r io.Reader) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s *Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	// A snapshot that is not whole must not read as one with no sockets
	// (every socket "gone" in a diff).
	switch {
	case s == nil:
		return nil, fmt.Errorf("decode snapshot: null is no snapshot")
	case s.Schema < 1:
		return nil, fmt.Errorf("decode snapshot: schema missing or invalid (%d): not an openports snapshot", s.Schema)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode snapshot: data after the snapshot")
	}
	if s.Schema > SchemaVersion {
		return nil, fmt.Errorf("decode snapshot: schema %d is newer than this openports understands (%d)", s.Schema, SchemaVersion)
	}
	return s, nil
}

// Sort puts the sockets and their owners into the stable order every
// renderer relies on: namespace, protocol, local port, local address,
// remote, inode; owners by PID.
func (s *Snapshot) Sort() {
	for i := range s.Sockets {
		slices.SortFunc(s.Sockets[i].Owners, func(a, b Owner) int {
			return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime))
		})
	}
	slices.SortFunc(s.Sockets, CompareSockets)
}

// CompareSockets orders sockets for display and comparison.
func CompareSockets(a, b Socket) int {
	return cmp.Or(
		cmp.Compare(a.NetNS, b.NetNS),
		cmp.Compare(a.Proto, b.Proto),
		cmp.Compare(a.Local.Port(), b.Local.Port()),
		a.Local.Addr().Compare(b.Local.Addr()),
		a.Remote.Compare(b.Remote),
		cmp.Compare(a.Inode, b.Inode),
	)
}
