package natrules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/openports/openports/internal/source/tool"
)

// Read is what ReadHost found: the rulesets of the backends that hold NAT
// rules, and what could not be read.
type Read struct {
	Rulesets []*Ruleset
	// Errors are the backends that could not be read, each wrapped with
	// what was tried.
	Errors []error
}

// Backends lists the backends that hold at least one rule in a nat table
// (an empty nat table, left by a loaded module, does not count).
func (r *Read) Backends() []Backend {
	var out []Backend
	for _, rs := range r.Rulesets {
		if rs.rules() > 0 {
			out = append(out, rs.Backend)
		}
	}
	return out
}

// ReadHost reads the NAT rules of the caller's network namespace: nftables
// over netlink, and the iptables-legacy nat tables through
// iptables-legacy-save / ip6tables-legacy-save (run by runner) when
// procRoot/net/ip_tables_names (ip6_tables_names) says such a table is
// loaded — the legacy tables are invisible over nftables netlink, and
// asking for them when none exists would load kernel modules.
func ReadHost(ctx context.Context, procRoot string, runner tool.Runner) *Read {
	res := &Read{}
	if rs, err := ReadNFTables(-1); err != nil {
		res.Errors = append(res.Errors, err)
	} else {
		res.Rulesets = append(res.Rulesets, rs)
	}
	legacy := &Ruleset{Backend: IPTablesLegacy}
	for _, v := range []struct{ names, save, family string }{
		{"net/ip_tables_names", "iptables-legacy-save", "ip"},
		{"net/ip6_tables_names", "ip6tables-legacy-save", "ip6"},
	} {
		b, err := os.ReadFile(filepath.Join(procRoot, v.names))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				res.Errors = append(res.Errors, fmt.Errorf("which iptables-legacy tables exist: %w", err))
			}
			continue // no x_tables: no legacy tables
		}
		if !hasLine(string(b), "nat") {
			continue
		}
		out, err := runner.Run(ctx, v.save, "-t", "nat")
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("iptables-legacy %s nat table is loaded but unreadable: %w", v.family, err))
			continue
		}
		rs, err := ParseSave(out, IPTablesLegacy, v.family)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s -t nat: %w", v.save, err))
			continue
		}
		legacy.Tables = append(legacy.Tables, rs.Tables...)
	}
	if len(legacy.Tables) > 0 {
		res.Rulesets = append(res.Rulesets, legacy)
	}
	return res
}

func hasLine(s, line string) bool {
	for l := range strings.Lines(s) {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
