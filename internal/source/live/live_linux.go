package live

import (
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux"
)

func newSource(opt source.Options) source.Source { return linux.New(opt) }
