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

type socketJSON struct {
	socketFields
	LocalPort  uint16 `json:"local_port,omitempty"`
	RemotePort uint16 `json:"remote_port,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (s Socket) MarshalJSON() ([]byte, error) {
	j := socketJSON{socketFields: socketFields(s)}
	if !s.Local.Addr().IsValid() {
		j.LocalPort = s.Local.Port()
	}
	if !s.Remote.Addr().IsValid() {
		j.RemotePort = s.Remote.Port()
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *Socket) UnmarshalJSON(b []byte) error {
	var j socketJSON
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
