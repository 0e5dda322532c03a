// Package watch follows the listening and bound sockets of a host over time
// and reports each change as an Event: a socket that appeared (with the
// process that holds it), one that is gone (with how long it lived), and one
// whose owners changed.
//
// The Tracker is the pure core: it is fed observations (a poll of the
// sockets, an eBPF record of a bind, a socket-destroy notice) and emits
// events; the Linux Watcher (watch_linux.go) feeds it from sock_diag, the
// /proc scan and package bpfwatch. docs/watch.md says what each mode sees.
package watch

import (
	"net/netip"
	"time"

	"github.com/openports/openports/internal/snapshot"
)

// Kind is what happened to a socket.
type Kind string

// The event kinds.
const (
	New          Kind = "new"
	Gone         Kind = "gone"
	OwnerChanged Kind = "owner-changed"
)

// How an event was noticed (Event.SeenBy).
const (
	SeenPoll    = "poll"    // a sock_diag poll
	SeenEBPF    = "ebpf"    // the eBPF bind/listen record
	SeenDestroy = "destroy" // sock_diag's socket-destroy notice
	SeenRescan  = "rescan"  // the periodic owner rescan
)

// Event is one change of one socket.
type Event struct {
	Time  time.Time      `json:"time"`
	Kind  Kind           `json:"event"`
	Proto snapshot.Proto `json:"proto"`
	Local netip.AddrPort `json:"local"`
	State snapshot.State `json:"state,omitempty"`
	NetNS uint64         `json:"netns,omitempty"`
	// NetNSName is the `ip netns` name of the namespace, if it has one.
	NetNSName string  `json:"netns_name,omitempty"`
	Inode     uint64  `json:"inode,omitempty"`
	Cookie    uint64  `json:"cookie,omitempty"`
	UID       *uint32 `json:"uid,omitempty"`
	User      string  `json:"user,omitempty"`
	// Owners are the processes holding the socket (New, OwnerChanged),
	// or that held it (Gone). OwnerState says whether the list is
	// complete; OwnerReason why not.
	Owners      []snapshot.Owner    `json:"owners,omitempty"`
	OwnerState  snapshot.OwnerState `json:"owner_state"`
	OwnerReason string              `json:"owner_reason,omitempty"`
	// Previous are the owners before an OwnerChanged.
	Previous []snapshot.Owner `json:"previous_owners,omitempty"`
	// Lived is how long a Gone socket lived; LivedExact is false when
	// its birth was not seen (it existed when watch started, or was first
	// seen by a poll), so that Lived is a lower bound.
	Lived      time.Duration `json:"-"`
	LivedMS    float64       `json:"lived_ms,omitempty"`
	LivedExact bool          `json:"lived_exact,omitempty"`
	// Ephemeral says the port is in the host's ephemeral range.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// RouteLocalnet names the interfaces through which other machines
	// reach this IPv4 loopback socket, as list shows it: their
	// route_localnet is on (New and OwnerChanged events).
	RouteLocalnet []string `json:"route_localnet,omitempty"`
	// Transparent says the socket has IP_TRANSPARENT: a TPROXY rule can
	// hand it other machines' connections, whatever its address.
	Transparent bool `json:"transparent,omitempty"`
	// ExposureUnknown says why a loopback socket is not proven
	// loopback-only (New and OwnerChanged events): its namespace's
	// route_localnet could not be read, or its IP_TRANSPARENT flag was
	// not seen (an eBPF record, before any poll dumped the socket).
	ExposureUnknown string `json:"exposure_unknown,omitempty"`
	// TransparentUnknown says Transparent was not read (an eBPF record):
	// a poll will dump the socket, and Options.Reach then gets it.
	TransparentUnknown bool `json:"-"`
	// SeenBy says how the change was noticed (Seen* constants).
	SeenBy string `json:"seen_by"`
}

// Summary counts what a watch saw.
type Summary struct {
	Start        time.Time     `json:"start"`
	Duration     time.Duration `json:"-"`
	DurationS    float64       `json:"duration_s"`
	Mode         string        `json:"mode"`
	Initial      int           `json:"initial_sockets"`
	New          int           `json:"new"`
	Gone         int           `json:"gone"`
	OwnerChanged int           `json:"owner_changed"`
	// NewWithOwner counts New events that named at least one process.
	NewWithOwner int `json:"new_with_owner"`
	Polls        int `json:"polls"`
	// Namespaces is the most network namespaces watched at once.
	Namespaces int `json:"namespaces"`
	// OwnerMethod is how owners were looked up: "ebpf-task-file" (the
	// eBPF iterator of package bpfowners) or "proc-fd" (/proc scan).
	OwnerMethod snapshot.OwnerMethod `json:"owner_method,omitempty"`
	// OwnerScans counts the owner lookups (each visits every open file
	// of the host).
	OwnerScans int `json:"owner_scans"`
	// EBPFLost counts eBPF records the kernel dropped (ring buffer full).
	EBPFLost uint64 `json:"ebpf_lost,omitempty"`
	// Errors are the failures watch went on after (a poll that failed,
	// an unreadable notice), counted by message.
	Errors map[string]int `json:"errors,omitempty"`
	// Policy is what watch --policy reported; nil without it.
	Policy *PolicyCounts `json:"policy,omitempty"`
}

// PolicyCounts are the records watch --policy wrote in a run, by kind.
type PolicyCounts struct {
	File string `json:"file"`
	// Violations counts the sockets the policy does not allow (kinds
	// new, exposure, owner).
	Violations int `json:"violations"`
	// OwnerUnknown counts the sockets on ports a rule allows only for a
	// named process or user, whose owner could not be seen: not proven
	// allowed. Any makes the watch exit 3.
	OwnerUnknown int `json:"owner_unknown"`
	// ExposureUnknown counts the loopback sockets a rule allows only as
	// loopback, of which watch could not tell whether other machines
	// reach them (Event.ExposureUnknown): not proven allowed. Any makes
	// the watch exit 3.
	ExposureUnknown int `json:"exposure_unknown,omitempty"`
	// Suppressed counts the records not written again: their key was.
	Suppressed int `json:"suppressed"`
}
