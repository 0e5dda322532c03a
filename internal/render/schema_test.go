package render

import (
	"bytes"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestJSONFieldsAreDocumented fails when the JSON output has a field that
// docs/json.md does not describe.
func TestJSONFieldsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	collectKeys(renderedJSON(t, fixtureReport(t, true)), keys)
	collectKeys(renderedJSON(t, firewallReport()), keys)
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
	if len(keys) < 30 {
		t.Errorf("only %d distinct keys seen: the fixture no longer exercises the schema", len(keys))
	}
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
