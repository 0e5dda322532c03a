package provenance

import (
	"os"
	"testing"
)

// BenchmarkLoadSystemdUnits measures what list pays at every run on a
// systemd host before it resolves anything: reading this host's unit tree
// (its directories, enablement links, aliases, masks and presets; unit
// files are read when a verdict needs them) through the RootFS that
// --root opens. It needs a unit tree, not systemd running.
func BenchmarkLoadSystemdUnits(b *testing.B) {
	if _, err := os.Stat("/usr/lib/systemd/system"); err != nil {
		b.Skipf("no unit tree on this host: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		root, err := OpenRoot("/")
		if err != nil {
			b.Fatal(err)
		}
		sd, _ := loadSystemd(root)
		if len(sd.units) == 0 {
			b.Fatal("no unit read")
		}
		if err := root.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
