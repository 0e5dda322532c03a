package render

import (
	"testing"

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
	goldenAll(t, Reports, "list", "docker-host", dockerReport(t, false), Options{Knowledge: kb(t)})
}

// TestPublishedFieldsAreWritten: the Docker host's report exercises the
// fields of published ports and containers (TestJSONFieldsAreDocumented
// checks that docs/json.md describes them).
func TestPublishedFieldsAreWritten(t *testing.T) {
	keys := map[string]bool{}
	collectKeys(writtenJSON(t, Reports, dockerReport(t, false), Options{}), keys)
	for _, k := range []string{"published", "target", "target_netns", "container", "engine", "state_file"} {
		if !keys[k] {
			t.Errorf("the Docker host report has no %q: the fixture no longer exercises it", k)
		}
	}
}
