package live

import (
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/bsd"
)

// newSource runs netstat -an and fstat -n (internal/source/bsd).
func newSource(opt source.Options) source.Source { return bsd.New("openbsd", opt) }
