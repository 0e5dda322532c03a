package hostcheck

import (
	"context"
	"net/netip"

	"github.com/openports/openports/internal/hostcheck/ifaces"
	"github.com/openports/openports/internal/hostcheck/routes"
	"github.com/openports/openports/internal/input"
)

// Host supplies the facts the checks judge. Live reads the running
// system; tests supply their own.
type Host interface {
	Interfaces(ctx context.Context) ([]ifaces.Interface, error)
	Routes(ctx context.Context) ([]routes.Route, error)
	// UDPListeners returns the local addresses of the bound, unconnected
	// UDP sockets on port.
	UDPListeners(ctx context.Context, port uint16) ([]netip.Addr, error)
	ReadFile(ctx context.Context, name string) ([]byte, error)
	Hostname() (string, error)
}

// Live is the running host.
type Live struct{}

// Interfaces lists the host's interfaces (netlink on Linux, ifconfig -a
// elsewhere).
func (Live) Interfaces(ctx context.Context) ([]ifaces.Interface, error) { return ifaces.Collect(ctx) }

// Routes lists the main routing table (netlink on Linux, netstat -rn
// elsewhere).
func (Live) Routes(ctx context.Context) ([]routes.Route, error) { return routes.Collect(ctx) }

// UDPListeners lists the addresses bound to UDP port on this host.
func (Live) UDPListeners(ctx context.Context, port uint16) ([]netip.Addr, error) {
	return udpListeners(ctx, port)
}

// ReadFile reads a resolver configuration through a size limit: a
// resolv.conf that is a device or a huge file must not be read whole,
// and one that is a FIFO stops when ctx ends (Ctrl-C).
func (Live) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return input.ReadFile(ctx, name, input.HostFile)
}

// Hostname returns the host's name.
func (Live) Hostname() (string, error) { return osHostname() }

// listens reports whether a socket bound to one of bound accepts
// datagrams sent to a: bound to a itself, or to the wildcard of its family
// (an IPv6 wildcard also takes IPv4 unless IPV6_V6ONLY, which /proc does
// not show, so it is taken to).
func listens(bound []netip.Addr, a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, b := range bound {
		b = b.Unmap()
		switch {
		case b == a:
			return true
		case b.IsUnspecified() && b.Is4() && a.Is4():
			return true
		case b.IsUnspecified() && b.Is6():
			return true
		}
	}
	return false
}
