// Package netif lists the network interfaces of a Linux network namespace
// with their addresses, so that a socket bound to one address can be named
// with its interface and a socket bound to a device with its name.
package netif

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/openports/openports/internal/snapshot"
)

// sortInterfaces orders interfaces by index and each one's addresses
// IPv4 first, then by address and prefix length.
func sortInterfaces(ifs []snapshot.Interface) {
	slices.SortFunc(ifs, func(a, b snapshot.Interface) int { return cmp.Compare(a.Index, b.Index) })
	for i := range ifs {
		slices.SortFunc(ifs[i].Addrs, func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
		})
	}
}
