// Package schema generates the JSON Schemas (draft 2020-12) of openports'
// machine outputs from the Go types that write them (invopop/jsonschema):
// the report (-o json), the snapshot (openports snapshot) and the lines of
// watch -o json. The generated files live in docs/schema; a test keeps them
// equal to what the types say and validates every golden JSON output of
// the repository against them.
package schema

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
	"github.com/openports/openports/internal/watchpolicy"
)

// BaseID is the prefix of every schema's $id.
const BaseID = "https://github.com/openports/openports/docs/schema/"

// Files maps each schema file name in docs/schema to its generator.
var Files = map[string]func() *jsonschema.Schema{
	"report.schema.json":      Report,
	"snapshot.schema.json":    Snapshot,
	"watch-event.schema.json": WatchEvent,
}

// Report is the schema of `openports -o json`.
func Report() *jsonschema.Schema {
	s := reflector().Reflect(&report.Report{})
	s.ID = BaseID + "report.schema.json"
	s.Title = "openports report"
	fixSockets(s)
	return s
}

// Snapshot is the schema of `openports snapshot`.
func Snapshot() *jsonschema.Schema {
	s := reflector().Reflect(&snapshot.Snapshot{})
	s.ID = BaseID + "snapshot.schema.json"
	s.Title = "openports snapshot"
	fixSockets(s)
	return s
}

// SummaryLine is the last line of watch -o json.
type SummaryLine struct {
	Summary watch.Summary `json:"summary"`
}

// WatchEvent is the schema of one line of `openports watch -o json`: a
// socket event, a policy violation (watch --policy) or the summary.
func WatchEvent() *jsonschema.Schema {
	r := reflector()
	s := &jsonschema.Schema{
		Version:     jsonschema.Version,
		ID:          BaseID + "watch-event.schema.json",
		Title:       "openports watch event",
		Description: "One line of openports watch -o json: a socket that appeared, is gone or changed owner; a policy violation (watch --policy); or the closing summary.",
		Definitions: jsonschema.Definitions{},
	}
	for _, v := range []any{&watch.Event{}, &watchpolicy.Violation{}, &SummaryLine{}} {
		sub := r.Reflect(v)
		for name, def := range sub.Definitions {
			s.Definitions[name] = def
		}
		s.OneOf = append(s.OneOf, &jsonschema.Schema{Ref: sub.Ref})
	}
	// The "event" field tells the three apart.
	if p, ok := s.Definitions["Event"].Properties.Get("event"); ok {
		p.Enum = []any{string(watch.New), string(watch.Gone), string(watch.OwnerChanged)}
	}
	if p, ok := s.Definitions["Violation"].Properties.Get("event"); ok {
		p.Const = watchpolicy.EventName
	}
	fixSockets(s)
	return s
}

func reflector() *jsonschema.Reflector {
	str := func(desc string) *jsonschema.Schema {
		return &jsonschema.Schema{Type: "string", Description: desc}
	}
	return &jsonschema.Reflector{
		// A field is required unless it has omitempty; no field that
		// is not in the type is allowed (AllowAdditionalProperties false).
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeOf(netip.AddrPort{}):
				return str(`address and port: "192.0.2.1:53", "[::]:22", "" when unknown`)
			case reflect.TypeOf(netip.Addr{}):
				return str("IP address")
			case reflect.TypeOf(netip.Prefix{}):
				return str("address with prefix length: 192.0.2.1/24")
			case reflect.TypeOf(snapshot.Severity(0)):
				// An int in Go, written as its name (MarshalText).
				return &jsonschema.Schema{Type: "string", Enum: []any{"", "info", "review", "risky", "dangerous"},
					Description: `risk: "info", "review", "risky" or "dangerous" ("" when none)`}
			}
			return nil
		},
		Namer: func(t reflect.Type) string {
			// report.Socket and snapshot.Socket share a name.
			if t == reflect.TypeOf(report.Socket{}) {
				return "ReportSocket"
			}
			return t.Name()
		},
	}
}

// byteString is a string field Owner writes as a string when it is UTF-8
// and as an array of byte values otherwise (internal/snapshot/osstring.go).
func byteString() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		{Type: "string"},
		{Type: "array", Items: &jsonschema.Schema{Type: "integer", Minimum: json.Number("0"), Maximum: json.Number("255")}},
	}}
}

// fixSockets adds to the reflected schema what the types' own MarshalJSON
// methods write beyond their fields: the port of an unreadable address
// (local_port, remote_port), and byte strings of owners.
func fixSockets(s *jsonschema.Schema) {
	for _, name := range []string{"Socket", "ReportSocket"} {
		def, ok := s.Definitions[name]
		if !ok {
			continue
		}
		for _, p := range []string{"local_port", "remote_port"} {
			def.Properties.Set(p, &jsonschema.Schema{Type: "integer", Minimum: json.Number("0"), Maximum: json.Number("65535"),
				Description: "the port, when the address could not be read (then local/remote is \"\")"})
		}
	}
	if def, ok := s.Definitions["Owner"]; ok {
		def.Properties.Set("name", byteString())
		def.Properties.Set("exe", byteString())
		def.Properties.Set("cmdline", &jsonschema.Schema{Type: "array", Items: byteString()})
	}
}

// Marshal is the indented JSON of s, as the files in docs/schema hold it.
func Marshal(s *jsonschema.Schema) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", s.ID, err)
	}
	return append(b, '\n'), nil
}
