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
