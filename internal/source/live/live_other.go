//go:build !linux && !netbsd && !openbsd && !freebsd && !darwin

package live

import (
	"context"
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
)

type unsupported struct{}

func newSource(source.Options) source.Source { return unsupported{} }

func (unsupported) Snapshot(context.Context) (*snapshot.Snapshot, error) {
	return nil, fmt.Errorf("%s: %w (use 'openports analyze' on saved tool output)", runtime.GOOS, source.ErrUnsupported)
}
