// Package snapshot holds the observed facts of one host at one moment: its
// sockets, the processes that hold them, its network namespaces and what the
// collector could not see. It is plain data, built from netip types, and it
// round-trips through JSON without loss so that a saved snapshot can be
// analysed, compared or rendered later, on another host.
//
// Every Source (the live collector of an OS, or a parser of a saved tool
// output) produces a Snapshot; every later stage reads only this type.
package snapshot

import (
	"net/netip"
	"time"

	"github.com/openports/openports/internal/firewall"
)

// SchemaVersion is the version of the JSON form of Snapshot. It changes when a
// field changes meaning or is removed; adding a field does not change it.
const SchemaVersion = 1

// Proto is a transport protocol.
type Proto string

// The transport protocols a snapshot may hold.
const (
	TCP     Proto = "tcp"
	UDP     Proto = "udp"
	UDPLite Proto = "udplite"
	SCTP    Proto = "sctp"
	Raw     Proto = "raw"
)

// State is a socket state in the vocabulary of ss(8): "LISTEN" for listening
// TCP and SCTP sockets, "UNCONN" for unconnected datagram sockets, "ESTAB",
// "TIME-WAIT" and so on for the rest. Parsers map their tool's words onto these.
type State string

// The socket states openports reports most.
const (
	Listen      State = "LISTEN"
	Unconnected State = "UNCONN"
	Established State = "ESTAB"
)

// OwnerState says how complete a socket's owner list is.
type OwnerState string

const (
	// OwnersComplete means every process holding the socket is listed.
	OwnersComplete OwnerState = "complete"
	// OwnersNone means the view was complete and no process holds the
	// socket: it belongs to the kernel (e.g. nfsd, a socket kept by a
	// bind-mounted namespace) or was closed while the scan ran.
	OwnersNone OwnerState = "none"
	// OwnersPartial means some holders are listed but others may be hidden
	// from this run (see OwnerReason).
	OwnersPartial OwnerState = "partial"
	// OwnersUnknown means no holder could be seen; OwnerReason says why.
	OwnersUnknown OwnerState = "unknown"
)

// Snapshot is everything one collection observed.
type Snapshot struct {
	// Schema is SchemaVersion at the time the snapshot was written.
	Schema int `json:"schema"`
	// Host is the host name of the observed machine, when known.
	Host string `json:"host,omitempty"`
	// MachineID is a stable, openports-specific hash of the observed
	// host's machine id (/etc/machine-id), when known
	// (internal/identity.MachineID).
	MachineID string `json:"machine_id,omitempty"`
	// Tool is the program that collected the snapshot.
	Tool *Tool `json:"tool,omitempty"`
	// OS is the GOOS-style operating system name ("linux", "netbsd", ...).
	OS string `json:"os,omitempty"`
	// Kernel is the kernel release, when known.
	Kernel string `json:"kernel,omitempty"`
	// Taken is when collection started.
	Taken time.Time `json:"taken"`
	// CollectSeconds is how long the live collection took.
	CollectSeconds float64 `json:"collect_seconds,omitempty"`
	// Source names what produced the snapshot, e.g. "linux/sock_diag",
	// "linux/procfs" or "parse/fstat".
	Source string `json:"source"`
	// OwnerMethod names how owners were found: "proc-fd" (one pass over
	// /proc/PID/fd), "ebpf-task-file" (a BPF iterator over task files), or
	// the parsed tool ("fstat", "lsof", ...). Empty when there are none.
	OwnerMethod OwnerMethod `json:"owner_method,omitempty"`
	// Privilege describes the rights the collector ran with.
	Privilege Privilege `json:"privilege"`
	// BindV6Only is the host's default for IPV6_V6ONLY
	// (net.ipv6.bindv6only on Linux), when known.
	BindV6Only *bool `json:"bindv6only,omitempty"`
	// EphemeralPorts is the host's ephemeral port range, when known.
	EphemeralPorts *PortRange `json:"ephemeral_ports,omitempty"`
	// Namespaces lists the network namespaces the sockets belong to.
	Namespaces []Namespace `json:"namespaces,omitempty"`
	// Interfaces lists the network interfaces and their addresses, per
	// namespace, so that a bound address can be named with its interface.
	Interfaces []Interface `json:"interfaces,omitempty"`
	// Sockets are the sockets found, in no particular order.
	Sockets []Socket `json:"sockets"`
	// RawSockets are the raw and packet sockets Sockets does not list
	// (raw ones unless --raw; packet ones always): they receive packets
	// from other machines before any port does, as a BPFDoor-style
	// backdoor waits for its magic packet, and `ss -tulpn` shows none.
	RawSockets []RawSocket `json:"raw_sockets,omitempty"`
	// RawTablesRead is set when the raw and packet socket tables of every
	// namespace listed were read (only the live Linux collector reads
	// them): without it an empty RawSockets says nothing, so no summary
	// may say nothing is reachable.
	RawTablesRead bool `json:"raw_tables_read,omitempty"`
	// Firewall is the packet filter of the namespace it names (the
	// collector's own), nil when it was not read.
	Firewall *firewall.Ruleset `json:"firewall,omitempty"`
	// Scans are port scans of this host from outside (nmap -oX), when
	// given (`analyze SCAN.xml`, `list --outside SCAN.xml`).
	Scans []Scan `json:"scans,omitempty"`
	// Published are the ports the host publishes by destination NAT.
	Published []Published `json:"published,omitempty"`
	// NATBackends lists the backends that hold NAT rules; two
	// ("nftables", "iptables-legacy") mean each one's tools show only
	// half of them.
	NATBackends []string `json:"nat_backends,omitempty"`
	// Gaps say what this snapshot could not see, and why. An empty list
	// means the view is complete.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Tool names the program and build that produced a snapshot or report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// Privilege describes the rights a live collection ran with.
type Privilege struct {
	// EUID is the effective user id, or -1 when unknown (a parsed file).
	EUID int `json:"euid"`
	// Capabilities lists the effective capabilities that matter to
	// openports (e.g. "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH").
	Capabilities []string `json:"capabilities,omitempty"`
	// HidePID is the hidepid= option of the /proc mount ("" when absent).
	HidePID string `json:"hidepid,omitempty"`
	// UserNamespace is true when the collector ran in a user namespace
	// other than the initial one.
	UserNamespace bool `json:"user_namespace,omitempty"`
	// PIDNamespace is true when the collector's /proc showed a PID
	// namespace other than the initial one: processes outside it, and
	// the sockets only they hold, have no visible owner.
	PIDNamespace bool `json:"pid_namespace,omitempty"`
}

// PortRange is an inclusive range of ports.
type PortRange struct {
	First uint16 `json:"first"`
	Last  uint16 `json:"last"`
}

// Contains reports whether port p lies in r.
func (r PortRange) Contains(p uint16) bool { return p >= r.First && p <= r.Last }

// Namespace is a network namespace.
type Namespace struct {
	// ID is the inode number of the namespace (as in /proc/PID/ns/net).
	ID uint64 `json:"id"`
	// Name is the `ip netns` name, container or pod that names it, if any.
	Name string `json:"name,omitempty"`
	// Current is true for the namespace openports itself ran in.
	Current bool `json:"current,omitempty"`
	// Container is the container or pod whose processes live in the
	// namespace, when their cgroup names one (Name is then its label,
	// unless `ip netns` names the namespace).
	Container *Container `json:"container,omitempty"`
	// ForwardedBy are the PIDs of user-mode network forwarders
	// (slirp4netns, pasta, Podman's rootlessport) that serve the
	// namespace from the host: their sockets on the host are its
	// published ports.
	ForwardedBy []int `json:"forwarded_by,omitempty"`
}

// Container is a container or pod, as its processes' cgroup path and the
// engine's own state files name it.
type Container struct {
	// Engine is "docker", "podman", "containerd" or "cri-o"; empty for a
	// Kubernetes pod whose runtime the path does not say.
	Engine string `json:"engine,omitempty"`
	// ID is the container's full ID.
	ID string `json:"id,omitempty"`
	// Name is the container's name from the engine's state file.
	Name string `json:"name,omitempty"`
	// PodNamespace, PodName and PodUID name the Kubernetes pod.
	PodNamespace string `json:"pod_namespace,omitempty"`
	PodName      string `json:"pod_name,omitempty"`
	PodUID       string `json:"pod_uid,omitempty"`
	// Cgroup is the cgroup path the container was recognised by, and
	// StateFile the file its name was read from (paths on the host).
	Cgroup    string `json:"cgroup,omitempty"`
	StateFile string `json:"state_file,omitempty"`
}

// Key is the container's name as a policy or a comparison of snapshots
// keeps it: "web", or "NAMESPACE/NAME" for a pod; "" when the engine's
// state files gave no name (the ID alone changes when it is recreated).
func (c *Container) Key() string {
	if c.PodName != "" {
		return c.PodNamespace + "/" + c.PodName
	}
	return c.Name
}

// Published is a port the host publishes by destination NAT (Docker,
// Podman, kube-proxy): packets to Address:Port..PortLast are rewritten to
// Target. No socket on the host need exist, and INPUT filter rules (ufw,
// firewalld) do not see these packets.
type Published struct {
	Proto Proto `json:"proto"`
	// Address is the published address: 0.0.0.0/0 or ::/0 when every
	// local address, else the address (or prefix) the rule matches.
	Address netip.Prefix `json:"address"`
	// AddressNot inverts Address (every local address but it).
	AddressNot bool   `json:"address_not,omitempty"`
	Port       uint16 `json:"port"`
	// PortLast ends a published range; 0 for one port.
	PortLast uint16 `json:"port_last,omitempty"`
	// InInterface restricts where packets come from (Docker's
	// "! -i docker0": InInterfaceNot).
	InInterface    string `json:"in_interface,omitempty"`
	InInterfaceNot bool   `json:"in_interface_not,omitempty"`
	// Target is where packets go; its port is 0 when kept. Redirect
	// means the host itself (REDIRECT).
	Target   netip.AddrPort `json:"target"`
	Redirect bool           `json:"redirect,omitempty"`
	// TargetNetNS is the namespace that holds the target address, 0
	// when none was found (a pod on another node, a stale rule).
	TargetNetNS uint64 `json:"target_netns,omitempty"`
	// Backend ("nftables", "iptables-legacy"), Table, Chain and Comment
	// say which rule publishes it.
	Backend string `json:"backend"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	Comment string `json:"comment,omitempty"`
	// Conditions are conditions of the rule's path openports did not
	// decode (a source address, a set): the port may be published to
	// fewer peers than Address says.
	Conditions []string `json:"conditions,omitempty"`
}

// Interface is a network interface of a namespace with its addresses.
type Interface struct {
	NetNS uint64         `json:"netns,omitempty"`
	Index int            `json:"index"`
	Name  string         `json:"name"`
	Up    bool           `json:"up"`
	Addrs []netip.Prefix `json:"addrs,omitempty"`
	// RouteLocalnet is set when the kernel takes packets for 127.0.0.0/8
	// arriving on this interface from other machines
	// (net.ipv4.conf.NAME.route_localnet or conf.all's, as kube-proxy
	// sets): IPv4 loopback listeners are reachable through it. Read only
	// in namespaces that have such a listener.
	RouteLocalnet bool `json:"route_localnet,omitempty"`
}

// Socket is one socket. Remote is the zero AddrPort for listening and
// unconnected sockets.
type Socket struct {
	Proto  Proto          `json:"proto"`
	Local  netip.AddrPort `json:"local"`
	Remote netip.AddrPort `json:"remote,omitzero"`
	State  State          `json:"state"`
	// LocalText and RemoteText keep an address as the tool printed it
	// when a parser could not turn it into an address: a host name (the
	// tool ran without -n) or a column the tool cut. The port stays in
	// Local/Remote where it was readable.
	LocalText  string `json:"local_text,omitempty"`
	RemoteText string `json:"remote_text,omitempty"`
	// Inode is the socket's inode number (0 when unknown).
	Inode uint64 `json:"inode,omitempty"`
	// UID is the user id that created the socket, when known.
	UID *uint32 `json:"uid,omitempty"`
	// User is the name of UID, when known.
	User string `json:"user,omitempty"`
	// Cookie is the kernel's socket cookie (Linux), 0 when unknown.
	Cookie uint64 `json:"cookie,omitempty"`
	// KernelAddr is the socket's kernel address as BSD tools print it
	// (fstat's and netstat -A's "c24e6380"), which identifies one socket
	// shared by several processes in a parsed output.
	KernelAddr string `json:"kernel_addr,omitempty"`
	// Interface is the device the socket is bound to (SO_BINDTODEVICE),
	// "" when unbound.
	Interface string `json:"interface,omitempty"`
	// IfIndex is the index of Interface, 0 when unbound.
	IfIndex uint32 `json:"ifindex,omitempty"`
	// V6Only is the socket's IPV6_V6ONLY flag for IPv6 sockets, nil when
	// the source did not say (then the host's BindV6Only applies).
	V6Only *bool `json:"v6only,omitempty"`
	// Transparent is set when the socket has IP_TRANSPARENT (sock_diag's
	// INET_DIAG_SOCKOPT): a TPROXY rule can hand it connections made to
	// any address, so a loopback address does not keep other machines
	// out.
	Transparent bool `json:"transparent,omitempty"`
	// NetNS is the ID of the network namespace the socket lives in.
	NetNS uint64 `json:"netns,omitempty"`
	// Owners are the processes that hold the socket, sorted by PID.
	Owners []Owner `json:"owners,omitempty"`
	// OwnerState says whether Owners is complete.
	OwnerState OwnerState `json:"owner_state"`
	// OwnerReason explains an OwnerState other than complete, in words a
	// person can act on (the privilege that is missing, hidepid, ...).
	OwnerReason string `json:"owner_reason,omitempty"`
	// OwnerReasonCode is the stable code of OwnerReason, when the source
	// has one: "no-capability", "hidepid", "user-namespace", "refused",
	// "pid-namespace", "unheld" (a user's socket no descriptor table holds).
	OwnerReasonCode string `json:"owner_reason_code,omitempty"`
	// Truncated is set by parsers when the tool cut a field (an address or
	// a command name) so that it cannot be trusted in full.
	Truncated []string `json:"truncated,omitempty"`
	// PortText is the local port as a parsed tool output printed it when
	// it could not be read (a service name not known, or one cut to its
	// column and the prefix of several); Local's port is then 0 and means
	// nothing.
	PortText string `json:"port_text,omitempty"`
	// Family is "inet" or "inet6" for a socket of a parsed output whose
	// local address could not be read (a host name): the tool's protocol
	// column says which family it is.
	Family string `json:"family,omitempty"`
}

// RawSocket is a raw (AF_INET/AF_INET6 SOCK_RAW) or packet (AF_PACKET)
// socket that is not a row of Sockets.
type RawSocket struct {
	// Kind is "raw" or "packet".
	Kind  string `json:"kind"`
	NetNS uint64 `json:"netns,omitempty"`
	Inode uint64 `json:"inode"`
	// Family is "inet" or "inet6" for a raw socket.
	Family string `json:"family,omitempty"`
	// Protocol is the IP protocol a raw socket receives (6 TCP, 1 ICMP),
	// or the ethertype of a packet socket (3 ETH_P_ALL, 2048 ETH_P_IP).
	Protocol uint16 `json:"protocol"`
	// IfIndex is the interface a packet socket is bound to (0: every
	// one); Interface its name, when known.
	IfIndex   int    `json:"ifindex,omitempty"`
	Interface string `json:"interface,omitempty"`
	// UID is the user id that created the socket.
	UID *uint32 `json:"uid,omitempty"`
	// Owners and OwnerState are as for Socket.
	Owners     []Owner    `json:"owners,omitempty"`
	OwnerState OwnerState `json:"owner_state"`
}

// Owner is a process holding a socket.
type Owner struct {
	PID int `json:"pid"`
	// StartTime identifies the process together with PID: on Linux the
	// start time in clock ticks after boot (field 22 of /proc/PID/stat).
	// 0 when unknown.
	StartTime uint64 `json:"start_time,omitempty"`
	// PPID is the parent's PID, 0 when unknown.
	PPID int `json:"ppid,omitempty"`
	// Name is the short command name (comm).
	Name string `json:"name"`
	// Cmdline is the argument vector, when known.
	Cmdline []string `json:"cmdline,omitempty"`
	// Exe is the path of the executable, with " (deleted)" kept as the
	// kernel reports it, when known.
	Exe string `json:"exe,omitempty"`
	// UID is the effective user id of the process, when known.
	UID *uint32 `json:"uid,omitempty"`
	// User is the name of UID, or the user column of a parsed tool.
	User string `json:"user,omitempty"`
	// FDs are the descriptors through which the process holds the socket.
	FDs []int `json:"fds,omitempty"`
	// Cgroup is the process's cgroup path (the unified hierarchy's, else
	// the name=systemd one's), read at collection time under the same
	// PID + start-time identity as the other facts, so that later stages
	// never re-read /proc/PID/cgroup of a PID that may have been reused.
	Cgroup string `json:"cgroup,omitempty"`
	// Via says how the owner was found when it was not by the process's
	// own descriptor table: "address" when a parser joined it to the
	// socket by address and port only.
	Via string `json:"via,omitempty"`
}

// Gap is something a collection could not see.
type Gap struct {
	// Area is what is missing: "sockets", "owners", "namespaces",
	// "interfaces" or "processes".
	Area string `json:"area"`
	// Reason is a stable machine-readable code, e.g. "netlink-refused",
	// "no-capability", "hidepid", "vanished".
	Reason string `json:"reason"`
	// Args are the named values a message about this gap needs (a
	// namespace, a PID, an errno), so that renderers can put the gap into
	// any language from Area, Reason and Args.
	Args map[string]string `json:"args,omitempty"`
	// Detail is an English sentence for people, kept while renderers move
	// to the message catalogue; new code sets Reason and Args.
	Detail string `json:"detail"`
	// Count is how many items the gap covers, where that is countable.
	Count int `json:"count,omitempty"`
}

// Uint32 returns a pointer to v, for the optional UID fields.
func Uint32(v uint32) *uint32 { return &v }

// Bool returns a pointer to v, for the optional flag fields.
func Bool(v bool) *bool { return &v }
