package snapshot

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Process names, command lines and executable paths come from the kernel as
// bytes: they may hold any byte but NUL, and need not be UTF-8. encoding/json
// would replace invalid bytes with U+FFFD, losing them, so Owner encodes such
// a string as an array of byte values instead (as journalctl -o json does),
// and accepts both forms when decoding. Valid UTF-8 stays a plain string.

// ownerJSON mirrors Owner with the byte-string fields left open.
type ownerJSON struct {
	PID       int               `json:"pid"`
	StartTime uint64            `json:"start_time,omitempty"`
	PPID      int               `json:"ppid,omitempty"`
	Name      json.RawMessage   `json:"name"`
	Cmdline   []json.RawMessage `json:"cmdline,omitempty"`
	Exe       json.RawMessage   `json:"exe,omitempty"`
	UID       *uint32           `json:"uid,omitempty"`
	User      string            `json:"user,omitempty"`
	FDs       []int             `json:"fds,omitempty"`
	Via       string            `json:"via,omitempty"`
}

// MarshalJSON encodes o losslessly (see the comment above ownerJSON).
func (o Owner) MarshalJSON() ([]byte, error) {
	j := ownerJSON{PID: o.PID, StartTime: o.StartTime, PPID: o.PPID, UID: o.UID, User: o.User, FDs: o.FDs, Via: o.Via}
	j.Name = marshalBytes(o.Name)
	if o.Exe != "" {
		j.Exe = marshalBytes(o.Exe)
	}
	for _, a := range o.Cmdline {
		j.Cmdline = append(j.Cmdline, marshalBytes(a))
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (o *Owner) UnmarshalJSON(b []byte) error {
	var j ownerJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*o = Owner{PID: j.PID, StartTime: j.StartTime, PPID: j.PPID, UID: j.UID, User: j.User, FDs: j.FDs, Via: j.Via}
	var err error
	if o.Name, err = unmarshalBytes(j.Name); err != nil {
		return fmt.Errorf("owner %d name: %w", j.PID, err)
	}
	if o.Exe, err = unmarshalBytes(j.Exe); err != nil {
		return fmt.Errorf("owner %d exe: %w", j.PID, err)
	}
	for i, a := range j.Cmdline {
		s, err := unmarshalBytes(a)
		if err != nil {
			return fmt.Errorf("owner %d cmdline[%d]: %w", j.PID, i, err)
		}
		o.Cmdline = append(o.Cmdline, s)
	}
	return nil
}

func marshalBytes(s string) json.RawMessage {
	var b []byte
	if utf8.ValidString(s) {
		b, _ = json.Marshal(s) // a string always encodes
		return b
	}
	raw := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		raw[i] = int(s[i])
	}
	b, _ = json.Marshal(raw) // a slice of ints always encodes
	return b
}

func unmarshalBytes(m json.RawMessage) (string, error) {
	if len(m) == 0 || string(m) == "null" {
		return "", nil
	}
	if m[0] == '"' {
		var s string
		err := json.Unmarshal(m, &s)
		return s, err
	}
	var raw []byte
	var ints []int
	if err := json.Unmarshal(m, &ints); err != nil {
		return "", fmt.Errorf("want a string or an array of byte values: %w", err)
	}
	raw = make([]byte, len(ints))
	for i, v := range ints {
		if v < 0 || v > 255 {
			return "", fmt.Errorf("byte value %d out of range", v)
		}
		raw[i] = byte(v)
	}
	return string(raw), nil
}
