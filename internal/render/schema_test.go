package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/watch"
	"github.com/openports/openports/internal/watchpolicy"
)

// TestJSONFieldsAreDocumented fails when the JSON output of any command
// has a field that docs/json.md does not describe: every JSON writer of
// every registry writes its fixtures (list's report, check's, diff's and
// explain's results, watch's events and summary), and every field of the
// types they write is looked up by reflection too, so that a field no
// fixture fills in (DNS answers, a route's flags) is not missed.
func TestJSONFieldsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]map[string]bool{}
	seen := func(what string) map[string]bool {
		if keys[what] == nil {
			keys[what] = map[string]bool{}
		}
		return keys[what]
	}
	o := Options{Knowledge: kb(t)}
	for _, r := range []*report.Report{fixtureReport(t, true), firewallReport(), dockerReport(t, false)} {
		collectKeys(writtenJSON(t, Reports, r, o), seen("list"))
	}
	checks, _ := filepath.Glob("../hostcheck/testdata/*.json")
	diffs, _ := filepath.Glob("../diff/testdata/*.json")
	if len(checks) == 0 || len(diffs) == 0 {
		t.Fatal("no check or diff fixtures")
	}
	for _, f := range checks {
		collectKeys(writtenJSON(t, Checks, readJSON[*hostcheck.Result](t, f), o), seen("check"))
	}
	collectKeys(writtenJSON(t, Checks, hostileCheck(t), o), seen("check"))
	for _, f := range diffs {
		collectKeys(writtenJSON(t, Diffs, readJSON[*diff.Result](t, f), o), seen("diff"))
	}
	var entries []Explanation
	for _, e := range kb(t).Entries() {
		entries = append(entries, e)
	}
	collectKeys(writtenJSON(t, Explanations, entries, o), seen("explain"))
	for _, it := range watchItems() {
		collectKeys(writtenJSON(t, Watches, it, o), seen("watch"))
	}
	for _, v := range violations(t) {
		collectKeys(writtenJSON(t, Violations, v, o), seen("watch --policy"))
	}
	for what, v := range map[string]any{
		"watch --policy": watchpolicy.Violation{},
		"list":           report.Report{}, "check": hostcheck.Result{}, "diff": diff.Result{},
		"explain": explained{}, "watch": watch.Event{}, "watch summary": watch.Summary{},
	} {
		fieldNames(reflect.TypeOf(v), seen(what), map[reflect.Type]bool{})
	}
	for what, ks := range keys {
		var missing []string
		for k := range ks {
			if !bytes.Contains(doc, []byte("`"+k+"`")) {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("docs/json.md does not document these fields of %s -o json: %s", what, strings.Join(missing, ", "))
		}
	}
	if n := len(keys["list"]); n < 30 {
		t.Errorf("only %d distinct keys seen in list's JSON: the fixture no longer exercises the schema", n)
	}
	for _, what := range []string{"check", "diff", "explain", "watch"} {
		if len(keys[what]) < 5 {
			t.Errorf("only %d keys seen in %s's JSON: the scan is broken", len(keys[what]), what)
		}
	}
}

// writtenJSON writes v with reg's JSON writer and decodes every JSON value
// it wrote (watch writes one per line).
func writtenJSON[T any](t *testing.T, reg *Registry[T], v T, o Options) []any {
	t.Helper()
	write, err := reg.Writer(FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf, v, o); err != nil {
		t.Fatal(err)
	}
	var out []any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var x any
		if err := dec.Decode(&x); err != nil {
			t.Fatalf("%s -o json: %v", reg.what, err)
		}
		out = append(out, x)
	}
	return out
}

// fieldNames adds the JSON names of t's fields, and of the structs they
// hold, to names.
func fieldNames(t reflect.Type, names map[string]bool, done map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || done[t] {
		return
	}
	done[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			fieldNames(f.Type, names, done)
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
		fieldNames(f.Type, names, done)
	}
}

func collectKeys(v any, keys map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			keys[k] = true
			// Their keys are data (reasons, errors, a gap's named values),
			// not fields.
			if k == "hidden" || k == "errors" || k == "args" {
				continue
			}
			collectKeys(e, keys)
		}
	case []any:
		for _, e := range x {
			collectKeys(e, keys)
		}
	}
}

// TestCSVColumnsAreDocumented fails when a CSV column is not in
// docs/csv.md.
func TestCSVColumnsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/csv.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cols := range [][]string{ReportCSVColumns, CheckCSVColumns, DiffCSVColumns} {
		for _, c := range cols {
			if !bytes.Contains(doc, []byte("`"+c+"`")) {
				t.Errorf("docs/csv.md does not document the column %s", c)
			}
		}
	}
}
