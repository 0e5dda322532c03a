package nft

import (
	"errors"
	"fmt"

	"github.com/openports/openports/internal/firewall"
)

// readTries is how many reads Read makes while the ruleset keeps changing
// under it: the first and two retries.
const readTries = 3

// errDumpInterrupted is a dump the kernel flagged NLM_F_DUMP_INTR: the
// ruleset changed while it was sent, so its parts may not belong together.
var errDumpInterrupted = errors.New("dump interrupted by a ruleset change (NLM_F_DUMP_INTR)")

// consistent calls read between two calls of gen (the kernel's ruleset
// generation, which every committed change increments) and returns the
// first ruleset read with the same generation before and after: the
// several dumps read joins then saw one ruleset, not parts of two. After
// tries reads that changed, the ruleset is not read (an error: the
// backend unread, its verdicts unknown), never a mix.
func consistent(gen func() (uint32, error), read func() (*firewall.Ruleset, error), tries int) (*firewall.Ruleset, error) {
	for range tries {
		before, err := gen()
		if err != nil {
			return nil, fmt.Errorf("nftables: ruleset generation: %w", err)
		}
		rs, err := read()
		if err != nil && !errors.Is(err, errDumpInterrupted) {
			return nil, err
		}
		after, gerr := gen()
		if gerr != nil {
			return nil, fmt.Errorf("nftables: ruleset generation: %w", gerr)
		}
		if err == nil && before == after {
			return rs, nil
		}
	}
	return nil, fmt.Errorf("nftables: the ruleset changed during each of %d reads; not read", tries)
}
