package report

import (
	"bytes"
	"encoding/json"

	"github.com/openports/openports/internal/snapshot"
)

// analysisFields are what Socket adds to snapshot.Socket in JSON.
type analysisFields struct {
	Exposure  snapshot.Exposure `json:"exposure"`
	Reach     snapshot.Reach    `json:"reach"`
	Interface string            `json:"exposure_interface,omitempty"`
}

// socketJSON is a Socket in the form encoding/json writes it: the
// snapshot socket's fields, then the analysis fields, in one object.
type socketJSON struct {
	snapshot.SocketJSON
	analysisFields
}

// MarshalJSON writes the snapshot socket's fields and the analysis fields
// side by side in one object. (snapshot.Socket has its own MarshalJSON,
// which embedding would otherwise promote, dropping the analysis fields.)
func (s Socket) MarshalJSON() ([]byte, error) {
	return json.Marshal(socketJSON{s.Socket.JSONForm(), analysisFields{s.Exposure, s.Reach, s.Interface}})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Socket) UnmarshalJSON(b []byte) error {
	var a analysisFields
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	// Strip the analysis fields so that the snapshot socket's strict
	// decoder sees only its own.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	delete(m, "exposure")
	delete(m, "reach")
	delete(m, "exposure_interface")
	rest, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := json.NewDecoder(bytes.NewReader(rest)).Decode(&s.Socket); err != nil {
		return err
	}
	s.Exposure, s.Reach, s.Interface = a.Exposure, a.Reach, a.Interface
	return nil
}
