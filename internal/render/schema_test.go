package render

import (
	"bytes"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
)

// TestJSONFieldsAreDocumented fails when the JSON output has a field that
// docs/json.md does not describe.
func TestJSONFieldsAreDocumented(t *testing.T) {
	keys := undocumented(t, fixtureReport(t, true))
	undocumented(t, firewallReport())
	if len(keys) < 30 {
		t.Errorf("only %d distinct keys seen: the fixture no longer exercises the schema", len(keys))
	}
}

// undocumented reports, as a test error, every key of r's JSON that
// docs/json.md does not describe, and returns the keys seen.
func undocumented(t *testing.T, r *report.Report) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	collectKeys(renderedJSON(t, r), keys)
	var missing []string
	for k := range keys {
		if !bytes.Contains(doc, []byte("`"+k+"`")) {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/json.md does not document: %s", strings.Join(missing, ", "))
	}
	return keys
}

func collectKeys(v any, keys map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			keys[k] = true
			if k == "hidden" { // its keys are data (reasons), not fields
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
