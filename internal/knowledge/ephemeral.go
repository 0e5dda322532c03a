package knowledge

import "github.com/openports/openports/internal/snapshot"

// defaultEphemeral holds each platform's default range of automatically
// assigned ("ephemeral", "anonymous") ports, for saved outputs of hosts whose
// own setting is not known. A live collector reads the host's value instead
// (Linux: /proc/sys/net/ipv4/ip_local_port_range).
//
// Sources:
//   - linux: Documentation/networking/ip-sysctl.rst, ip_local_port_range
//     "The default values are 32768 and 60999".
//   - netbsd: sysctl(7) net.inet.ip.anonportmin/anonportmax; <netinet/in.h>
//     IPPORT_ANONMIN 49152, IPPORT_ANONMAX 65535.
//   - freebsd: <netinet/in.h> IPPORT_EPHEMERALFIRST 10000,
//     IPPORT_EPHEMERALLAST 65535 (net.inet.ip.portrange.first/last).
//   - openbsd: sysctl(2) net.inet.ip.portfirst 1024, portlast 49151 (the
//     default range; porthifirst/porthilast 49152-65535 is opt-in).
//   - darwin: net.inet.ip.portrange.first 49152, last 65535 (sysctl -a on
//     macOS).
var defaultEphemeral = map[string]snapshot.PortRange{
	"linux":   {First: 32768, Last: 60999},
	"netbsd":  {First: 49152, Last: 65535},
	"freebsd": {First: 10000, Last: 65535},
	"openbsd": {First: 1024, Last: 49151},
	"darwin":  {First: 49152, Last: 65535},
}

// DefaultEphemeral returns the default ephemeral port range of os (a GOOS
// name). Use it only when the snapshot does not carry the host's own range
// (snapshot.Snapshot.EphemeralPorts): an administrator may have changed it.
func DefaultEphemeral(os string) (snapshot.PortRange, bool) {
	r, ok := defaultEphemeral[os]
	return r, ok
}
