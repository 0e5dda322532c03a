package iptables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/source/tool"
)

// ReadLegacy reads the iptables-legacy rules of the namespace whose
// /proc/PID/net directory is procNet ("/proc/thread-self/net" for the calling thread's):
// it returns nil when no legacy table is loaded (the kernel lists none in
// ip_tables_names and ip6_tables_names), and otherwise runs
// iptables-legacy-save and ip6tables-legacy-save through run.
func ReadLegacy(ctx context.Context, run tool.Runner, procNet string) (*firewall.Ruleset, error) {
	return readLegacy(ctx, run, procNet, false)
}

// ReadOwnLegacy is ReadLegacy for the calling thread's own network namespace
// (procNet is "/proc/thread-self/net"): the tables of a family that hold nothing
// but the policies of their built-in chains, as on a host where something
// only listed them, are read from the kernel directly, as
// iptables-legacy-save reads them, instead of running it (a process of its
// own for every run); anything more is read through run.
func ReadOwnLegacy(ctx context.Context, run tool.Runner, procNet string) (*firewall.Ruleset, error) {
	return readLegacy(ctx, run, procNet, true)
}

func readLegacy(ctx context.Context, run tool.Runner, procNet string, own bool) (*firewall.Ruleset, error) {
	var out *firewall.Ruleset
	for _, v := range []struct {
		names, cmd, family string
	}{
		{"ip_tables_names", "iptables-legacy-save", firewall.FamilyIP},
		{"ip6_tables_names", "ip6tables-legacy-save", firewall.FamilyIP6},
	} {
		names, err := os.ReadFile(filepath.Join(procNet, v.names))
		if errors.Is(err, os.ErrNotExist) || err == nil && len(bytes.TrimSpace(names)) == 0 {
			continue // the module is not loaded, or holds no table
		}
		if err != nil {
			return nil, fmt.Errorf("iptables-legacy: %w", err)
		}
		data, ok := []byte(nil), false
		if own {
			data, ok = readPolicies(v.family, strings.Fields(string(names)))
		}
		if !ok {
			if data, err = run.Run(ctx, v.cmd); err != nil {
				return nil, fmt.Errorf("iptables-legacy: %w", err)
			}
		}
		rs, err := Parse(data, BackendLegacy, v.family)
		if err != nil {
			return nil, fmt.Errorf("iptables-legacy: %s: %w", v.cmd, err)
		}
		if out == nil {
			out = rs
			continue
		}
		out.Chains = append(out.Chains, rs.Chains...)
		out.Sets = append(out.Sets, rs.Sets...)
	}
	return out, nil
}
