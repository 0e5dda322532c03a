package live

import (
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/bsd"
)

// newSource runs sockstat -46l (internal/source/bsd).
func newSource(opt source.Options) source.Source { return bsd.New("freebsd", opt) }
