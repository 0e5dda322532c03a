package render

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/report"
)

// dockerReport analyses the snapshot openports took of a Docker-shaped
// host (test/integration TestDockerPublishedPort: Docker's iptables rules
// for -p 8080:80, no userland proxy, the container's listeners on 80 and
// 9090, taken with --netns all).
func dockerReport(t *testing.T, all bool) *report.Report {
	t.Helper()
	return snapshotReport(t, "../analysis/testdata/docker-host.snapshot.json", all)
}

func TestDockerHostGolden(t *testing.T) {
	for _, tc := range []struct {
		name, format, lang string
	}{
		{"docker-host.table", "table", "en"},
		{"docker-host.ja.table", "table", "ja"},
		{"docker-host.json", "json", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.format, Options{Lang: tc.lang, Knowledge: kb(t)})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := r.Render(&buf, dockerReport(t, false)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name), buf.Bytes())
		})
	}
}

// TestPublishedFieldsAreDocumented: the fields of published ports and
// containers are in docs/json.md too.
func TestPublishedFieldsAreDocumented(t *testing.T) {
	keys := undocumented(t, dockerReport(t, false))
	for _, k := range []string{"published", "target", "target_netns", "container", "engine", "state_file"} {
		if !keys[k] {
			t.Errorf("the Docker host report has no %q: the fixture no longer exercises it", k)
		}
	}
}
