package schema

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/openports/openports/internal/golden"
)

const schemaDir = "../../docs/schema"

// TestSchemasUpToDate regenerates the schemas from the Go types and
// compares them with docs/schema (go test ./internal/schema -update
// rewrites them).
func TestSchemasUpToDate(t *testing.T) {
	for name, gen := range Files {
		b, err := Marshal(gen())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"$schema": "https://json-schema.org/draft/2020-12/schema"`)) {
			t.Errorf("%s is not a draft 2020-12 schema", name)
		}
		golden.Check(t, filepath.Join(schemaDir, name), b)
	}
}

// compiled compiles the schemas of docs/schema.
func compiled(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	out := map[string]*jsonschema.Schema{}
	for name := range Files {
		path := filepath.Join(schemaDir, name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := c.AddResource(BaseID+name, doc); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile(BaseID + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// kindOf says which schema a golden JSON file's document follows, and
// where in it: a report has rows, a snapshot sockets and schema; parser
// goldens hold a snapshot under "snapshot"; watch goldens are JSON lines.
func kindOf(path string, v any) (schema string, doc any) {
	if strings.HasSuffix(path, ".jsonl") {
		return "watch-event.schema.json", v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", nil
	}
	switch {
	case m["rows"] != nil && m["schema"] != nil:
		return "report.schema.json", m
	case m["sockets"] != nil && m["schema"] != nil:
		return "snapshot.schema.json", m
	case m["snapshot"] != nil:
		return kindOf(path, m["snapshot"])
	}
	return "", nil
}

// TestGoldenOutputsValidate validates every golden JSON output in the
// repository's testdata directories that is a report, a snapshot or a watch
// event against its schema.
func TestGoldenOutputsValidate(t *testing.T) {
	schemas := compiled(t)
	root := "../.."
	counts := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "dist" || d.Name() == "build") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.Contains(path, "testdata") || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".jsonl")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var docs []any
		if strings.HasSuffix(path, ".jsonl") {
			for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
				if err != nil {
					t.Errorf("%s: %v", path, err)
					return nil
				}
				docs = append(docs, v)
			}
		} else {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return nil // not a JSON document (a fuzz seed, a broken input on purpose)
			}
			docs = append(docs, v)
		}
		for _, v := range docs {
			name, doc := kindOf(path, v)
			if name == "" {
				continue
			}
			counts[name]++
			if err := schemas[name].Validate(doc); err != nil {
				t.Errorf("%s does not follow %s:\n%v", path, name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for k, n := range counts {
		seen = append(seen, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(seen)
	t.Logf("validated %s", strings.Join(seen, ", "))
	for name := range Files {
		if counts[name] == 0 {
			t.Errorf("no golden output validated against %s", name)
		}
	}
}

// TestSchemasReject: the schemas are strict enough to catch what a change
// of the types would break: unknown and missing fields, wrong types.
func TestSchemasReject(t *testing.T) {
	schemas := compiled(t)
	for _, tc := range []struct {
		schema, doc string
		ok          bool
	}{
		{"report.schema.json", `{"schema":1,"source":"x","complete":true,"rows":[],"exit_code":0}`, true},
		{"report.schema.json", `{"schema":1,"source":"x","complete":true,"rows":[],"exit_code":0,"surprise":1}`, false},
		{"report.schema.json", `{"schema":1,"source":"x","rows":[],"exit_code":0}`, false},
		{"report.schema.json", `{"schema":"1","source":"x","complete":true,"rows":[],"exit_code":0}`, false},
		{"snapshot.schema.json", `{"schema":1,"taken":"2026-12-02T03:00:00Z","source":"x","privilege":{"euid":0},"sockets":[{"proto":"tcp","local":"","local_port":22,"state":"LISTEN","owners":[{"pid":1,"name":[255,104]}],"owner_state":"complete"}]}`, true},
		{"snapshot.schema.json", `{"schema":1,"taken":"2026-12-02T03:00:00Z","source":"x","privilege":{"euid":0},"sockets":[{"proto":"tcp","local":"","state":"LISTEN","owners":[{"pid":1,"name":[256]}],"owner_state":"complete"}]}`, false},
		{"watch-event.schema.json", `{"time":"2026-12-02T03:00:00Z","event":"new","proto":"udp","local":"192.0.2.1:40000","owner_state":"complete","seen_by":"ebpf"}`, true},
		{"watch-event.schema.json", `{"time":"2026-12-02T03:00:00Z","event":"born","proto":"udp","local":"192.0.2.1:40000","owner_state":"complete","seen_by":"ebpf"}`, false},
		{"watch-event.schema.json", `{"summary":{"start":"2026-12-02T03:00:00Z","duration_s":1,"mode":"poll","initial_sockets":1,"new":0,"gone":0,"owner_changed":0,"new_with_owner":0,"polls":5,"namespaces":1,"owner_scans":1}}`, true},
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		err = schemas[tc.schema].Validate(doc)
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: valid %v, want %v (%v)", tc.schema, tc.doc, err == nil, tc.ok, err)
		}
	}
}
