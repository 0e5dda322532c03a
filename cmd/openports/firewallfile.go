package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/firewall/pf"
	"github.com/openports/openports/internal/input"
	"github.com/openports/openports/internal/render"
)

// readFirewallFile reads a saved ruleset for analyze --firewall: the output
// of pfctl -sr (OpenBSD, FreeBSD), or of iptables-save or ip6tables-save.
func readFirewallFile(ctx context.Context, path string) (*firewall.Ruleset, error) {
	data, err := input.ReadFile(ctx, path, input.ToolOutput)
	if err != nil {
		return nil, fmt.Errorf("--firewall: %w", err)
	}
	var rs *firewall.Ruleset
	switch {
	case bytes.Contains(data, []byte("\n*filter")) || bytes.HasPrefix(data, []byte("*")) || bytes.Contains(data, []byte("\n*raw")):
		family := firewall.FamilyIP
		if bytes.Contains(data, []byte("ip6tables-save")) {
			family = firewall.FamilyIP6
		}
		rs, err = iptables.Parse(data, iptables.BackendLegacy, family)
	case pf.Detect(data):
		rs, err = pf.Parse(data)
	default:
		return nil, render.Err(render.MsgUsageFirewallFile, render.Escape(path))
	}
	if err != nil {
		return nil, fmt.Errorf("--firewall %s: %w", render.Escape(path), err)
	}
	return rs, nil
}
