package testenv

import (
	"net/netip"
	"testing"
)

// Addresses of BridgeHost's client link.
var (
	ClientHostAddr4 = netip.MustParsePrefix("198.51.100.1/24")
	ClientAddr4     = netip.MustParsePrefix("198.51.100.2/24")
)

// BridgeHost makes e a container host as Docker's documented rules expect
// it: the test namespace's veth to the peer is renamed "bridge1" (the
// peer plays a container on that bridge, routed through the host),
// forwarding is on, and a third namespace, the client, is linked to the
// host on 198.51.100.0/24 (op-cli0 on the host's side) to connect to the
// host's published ports. It returns the client.
func (e *Env) BridgeHost(t testing.TB) *NS {
	t.Helper()
	e.NS.Run(t, "ip", "link", "set", VethMain, "down")
	e.NS.Run(t, "ip", "link", "set", VethMain, "name", "bridge1")
	e.NS.Run(t, "ip", "link", "set", "bridge1", "up")
	e.NS.Run(t, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	e.Peer.Run(t, "ip", "route", "add", "default", "via", MainAddr4.String())
	return e.AddPeer(t, "op-cli0", "op-cli1", ClientHostAddr4, ClientAddr4)
}
