// Package live picks the live collector of the platform openports runs on.
package live

import (
	"context"
	"time"

	"github.com/openports/openports/internal/identity"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
)

// New returns the live source for this platform. On platforms without one,
// its Snapshot returns an error wrapping source.ErrUnsupported. Its
// snapshots name the tool that took them and the host's machine id.
func New(opt source.Options) source.Source { return stamped{newSource(opt)} }

// stamped adds the identity of the tool and of the host to a collector's
// snapshot.
type stamped struct{ source.Source }

func (s stamped) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	start := time.Now()
	snap, err := s.Source.Snapshot(ctx)
	if snap != nil {
		snap.CollectSeconds = time.Since(start).Seconds()
		snap.Tool = identity.Current().Tool()
		if snap.MachineID == "" {
			snap.MachineID = identity.MachineID("/")
		}
	}
	return snap, err
}
