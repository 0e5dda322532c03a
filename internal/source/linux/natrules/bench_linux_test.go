package natrules

import (
	"testing"

	"github.com/openports/openports/internal/firewall/nft"
)

// BenchmarkRulesets is what every live run adds for published ports: the
// NAT model decoded from the firewall dump the collector already made.
func BenchmarkRulesets(b *testing.B) {
	fw, err := nft.Read(-1)
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		Rulesets(fw)
	}
}
