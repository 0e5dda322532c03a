// Package live picks the live collector of the platform openports runs on.
package live

import "github.com/openports/openports/internal/source"

// New returns the live source for this platform. On platforms without one,
// its Snapshot returns an error wrapping source.ErrUnsupported.
func New(opt source.Options) source.Source { return newSource(opt) }
