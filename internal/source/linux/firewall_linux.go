package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/firewall/iptables"
	"github.com/openports/openports/internal/firewall/nft"
	"github.com/openports/openports/internal/source/tool"
)

// readFirewall reads the packet filter of the collector's own namespace
// (id self): nftables over netlink, and iptables-legacy when its tables
// are loaded (from the kernel when they hold only policies, otherwise
// through iptables-legacy-save). What cannot be read is listed
// in Unread, so that verdicts say unknown instead of open.
func readFirewall(ctx context.Context, self uint64, proc string) *firewall.Ruleset {
	rs, err := nft.Read(-1)
	if err != nil {
		// Backends is an array in the snapshot's schema, even empty.
		rs = &firewall.Ruleset{Backends: []string{}, Chains: []firewall.Chain{}}
		rs.Unread = append(rs.Unread, unread(nft.Backend, err))
	}
	rs.NetNS = self
	read := iptables.ReadLegacy
	if proc == "/proc" {
		// The kernel's procfs: its thread-self/net is the namespace
		// the tables can be asked for directly (self/net is the
		// thread-group leader's, which may be in another namespace).
		read = iptables.ReadOwnLegacy
	}
	legacy, err := read(ctx, tool.Exec{}, filepath.Join(proc, "thread-self/net"))
	switch {
	case err != nil:
		rs.Unread = append(rs.Unread, unread(iptables.BackendLegacy, err))
	case legacy != nil:
		rs.Merge(legacy)
	}
	return rs
}

func unread(backend string, err error) firewall.Unread {
	reason := "error"
	if errors.Is(err, os.ErrPermission) {
		reason = "permission"
	}
	return firewall.Unread{Backend: backend, Reason: reason, Detail: err.Error()}
}
