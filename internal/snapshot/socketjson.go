package snapshot

import (
	"bytes"
	"encoding/json"
	"net/netip"
)

// A parser that could not read an address (a host name, a cut column) keeps
// the port in Local or Remote with an invalid address, and the text in
// LocalText or RemoteText. netip.AddrPort encodes an invalid address as ""
// and would drop the port, so Socket writes it beside as local_port or
// remote_port in that case only.

type socketFields Socket // Socket without its JSON methods

// SocketJSON is a Socket in the form encoding/json writes it, without
// JSON methods of its own: a type that embeds it beside fields of its own
// (report.Socket's JSON form) is written in one pass, instead of splicing
// two encodings that encoding/json then checks again.
type SocketJSON struct {
	socketFields
	LocalPort  uint16 `json:"local_port,omitempty"`
	RemotePort uint16 `json:"remote_port,omitempty"`
}

// JSONForm returns s as SocketJSON.
func (s Socket) JSONForm() SocketJSON {
	j := SocketJSON{socketFields: socketFields(s)}
	if !s.Local.Addr().IsValid() {
		j.LocalPort = s.Local.Port()
	}
	if !s.Remote.Addr().IsValid() {
		j.RemotePort = s.Remote.Port()
	}
	return j
}

// MarshalJSON implements json.Marshaler.
func (s Socket) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.JSONForm())
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *Socket) UnmarshalJSON(b []byte) error {
	var j SocketJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*s = Socket(j.socketFields)
	if !s.Local.Addr().IsValid() && j.LocalPort != 0 {
		s.Local = netip.AddrPortFrom(netip.Addr{}, j.LocalPort)
	}
	if !s.Remote.Addr().IsValid() && j.RemotePort != 0 {
		s.Remote = netip.AddrPortFrom(netip.Addr{}, j.RemotePort)
	}
	return nil
}
