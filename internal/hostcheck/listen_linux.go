package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"

	"github.com/prometheus/procfs"
)

// udpListeners reads /proc/net/udp and udp6 of the calling process's
// network namespace.
func udpListeners(_ context.Context, port uint16) ([]netip.Addr, error) {
	pfs, err := procfs.NewFS("/proc")
	if err != nil {
		return nil, fmt.Errorf("open /proc: %w", err)
	}
	var out []netip.Addr
	for _, read := range []struct {
		name string
		fn   func() (procfs.NetUDP, error)
	}{{"/proc/net/udp", pfs.NetUDP}, {"/proc/net/udp6", pfs.NetUDP6}} {
		lines, err := read.fn()
		if errors.Is(err, fs.ErrNotExist) {
			continue // IPv6 disabled
		}
		if err != nil {
			return out, fmt.Errorf("read %s: %w", read.name, err)
		}
		for _, l := range lines {
			if l == nil || l.LocalPort != uint64(port) {
				continue
			}
			if a, ok := netip.AddrFromSlice(l.LocalAddr); ok {
				out = append(out, a.Unmap())
			}
		}
	}
	return out, nil
}
