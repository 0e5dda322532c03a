package live

import (
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/darwin"
)

// newSource runs lsof -i -n -P, or netstat -anv without lsof
// (internal/source/darwin).
func newSource(opt source.Options) source.Source { return darwin.New(opt) }
