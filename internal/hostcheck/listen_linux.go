package hostcheck

import (
	"context"
	"net/netip"

	"github.com/openports/openports/internal/source/linux"
)

// udpListeners lists the UDP sockets bound to port in the calling
// process's network namespace, through the collection core list uses.
func udpListeners(_ context.Context, port uint16) ([]netip.Addr, error) {
	return linux.BoundUDP(port)
}
