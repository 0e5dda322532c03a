package natrules

import (
	"context"
	"testing"

	"github.com/openports/openports/internal/source/tool"
)

// BenchmarkReadHost is what every live run adds: the nftables dump of the
// caller's namespace and the check for iptables-legacy nat tables.
func BenchmarkReadHost(b *testing.B) {
	for b.Loop() {
		r := ReadHost(context.Background(), "/proc", tool.Exec{})
		if len(r.Errors) > 0 {
			b.Skip(r.Errors[0])
		}
	}
}
