// Package report holds what openports concludes from a snapshot: the rows a
// person reads (one per service line), the sockets behind each row with their
// exposure, what was hidden and why, what could not be seen, and the exit
// code. Renderers format a Report; they never compute.
package report

import "github.com/openports/openports/internal/snapshot"

// SchemaVersion is the version of the JSON form of Report (docs/json.md).
const SchemaVersion = 1

// Exit codes shared by every command.
const (
	ExitOK         = 0 // complete view, nothing found that needs attention
	ExitFindings   = 1 // findings: policy violations, problems, differences
	ExitUsage      = 2 // bad flags, arguments or input
	ExitIncomplete = 3 // the view is incomplete: see Report.Gaps
	ExitWrite      = 4 // the output could not be written (stdout, --write FILE)
)

// Exit code precedence, when several apply: usage, then write error, then
// findings, then incomplete (docs/design.md, "Exit codes").

// Exposure classes and reaches are the snapshot's vocabulary, named here
// too for the commands that read reports.
const (
	ExposureLoopback  = snapshot.ExposureLoopback
	ExposureAll       = snapshot.ExposureAll
	ExposureAddress   = snapshot.ExposureAddress
	ExposureLinkLocal = snapshot.ExposureLinkLocal
	ExposureDevice    = snapshot.ExposureDevice

	ReachV4   = snapshot.ReachV4
	ReachV6   = snapshot.ReachV6
	ReachBoth = snapshot.ReachBoth
)

// Report is the result of analysing one snapshot.
type Report struct {
	Schema int    `json:"schema"`
	Host   string `json:"host,omitempty"`
	// MachineID is the snapshot's hash of the host's machine id.
	MachineID string `json:"machine_id,omitempty"`
	// Tool is the program that analysed the snapshot.
	Tool  *snapshot.Tool `json:"tool,omitempty"`
	Taken string         `json:"taken,omitempty"` // RFC 3339
	// CollectSeconds is the snapshot's: how long collection took.
	CollectSeconds float64 `json:"collect_seconds,omitempty"`
	Source         string  `json:"source"`
	// OwnerMethod is the snapshot's: how owners were found.
	OwnerMethod snapshot.OwnerMethod `json:"owner_method,omitempty"`
	Complete    bool                 `json:"complete"`
	// Rows are the lines of the table, in display order.
	Rows []Row `json:"rows"`
	// Hidden counts sockets left out of Rows, by reason ("loopback").
	Hidden map[snapshot.Exposure]int `json:"hidden,omitempty"`
	// Gaps are what the collection could not see.
	Gaps []snapshot.Gap `json:"gaps,omitempty"`
	// Lang is the language of the texts ("en" or "ja").
	Lang string `json:"lang,omitempty"`
	// Namespaces are the network namespaces present in Rows.
	Namespaces []snapshot.Namespace `json:"namespaces,omitempty"`
	// Outside is a scan of this host joined with the rows (--outside).
	Outside *Outside `json:"outside,omitempty"`
	// NATBackends are the snapshot's: the backends holding NAT rules
	// (two mean each one's tools show only half of them).
	NATBackends []string `json:"nat_backends,omitempty"`
	// RawSockets are the snapshot's raw and packet sockets that are no
	// rows (raw ones unless --raw): they receive packets from other
	// machines before any port, so the summary names them and never says
	// nothing is reachable while there are any. They are no gap.
	RawSockets []snapshot.RawSocket `json:"raw_sockets,omitempty"`
	// RawTablesRead is the snapshot's: whether raw and packet sockets were
	// looked for at all (a parsed ss, netstat or lsof output has none).
	RawTablesRead bool `json:"raw_tables_read,omitempty"`
	// Policy is the comparison with a policy file (--policy), if any.
	Policy *PolicyResult `json:"policy,omitempty"`
	// ExitCode is the code the command exits with.
	ExitCode int `json:"exit_code"`
}

// Row is one line of the table: one protocol and port of one group of
// processes, on one address (or on both wildcards, or both loopbacks, when
// v4 and v6 are bound alike).
type Row struct {
	NetNS uint64         `json:"netns,omitempty"`
	Proto snapshot.Proto `json:"proto"`
	// Address is what the table shows: "*" for wildcards of both
	// families, "0.0.0.0" or "::" for one family, "localhost" for both
	// loopbacks, otherwise the address itself.
	Address string `json:"address"`
	Port    uint16 `json:"port"`
	// PortText is the port as the tool printed it when it could not be
	// read (Port is then 0 and means nothing).
	PortText string `json:"port_text,omitempty"`
	// Reach is v4, v6 or v4+v6.
	Reach snapshot.Reach `json:"reach"`
	// Exposure is one of the Exposure* classes.
	Exposure snapshot.Exposure `json:"exposure"`
	// Interface names the interface for address, link-local and
	// device-bound sockets.
	Interface string `json:"interface,omitempty"`
	// Processes are the owners of all the row's sockets, by PID.
	Processes []Process `json:"processes,omitempty"`
	// OwnerState is the weakest OwnerState among the row's sockets.
	OwnerState snapshot.OwnerState `json:"owner_state"`
	// Service is the knowledge-base id of the service ("openssh"), ""
	// when unknown; ServiceLabel is the short label of the SERVICE column
	// ("ssh") and ServiceName the product name ("OpenSSH server").
	Service      string `json:"service,omitempty"`
	ServiceLabel string `json:"service_label,omitempty"`
	ServiceName  string `json:"service_name,omitempty"`
	// IdentifiedBy says how the service was recognised: "process",
	// "port" or "heuristic".
	IdentifiedBy string `json:"identified_by,omitempty"`
	// Via is the knowledge-base id of the program that holds the socket
	// for the service (inetd, systemd, docker-proxy, java), if any.
	Via string `json:"via,omitempty"`
	// Severity is the row's risk: the service's severity at this
	// exposure, raised by the findings: info, review, risky, dangerous.
	Severity snapshot.Severity `json:"severity"`
	// Explanation are the knowledge-base keys of the texts that explain
	// the service (see `openports explain`).
	Explanation []string `json:"explanation,omitempty"`
	// Findings are what the cross-service rules found on this row.
	Findings []Finding `json:"findings,omitempty"`
	// Firewall is the host firewall's verdict for a new connection from
	// another machine, when the snapshot holds the ruleset of the row's
	// namespace.
	Firewall *Firewall `json:"firewall,omitempty"`
	// Notes say what a person should know: unknown owners and why,
	// truncated tool columns, how the owners were matched.
	Notes []Note `json:"notes,omitempty"`
	// Sockets are the sockets behind the row, with their exposure.
	Sockets []Socket `json:"sockets"`
	// Published is set when the host publishes the row's port by
	// destination NAT: a row of its own when no host socket serves it,
	// or joined to the proxy (docker-proxy, rootlessport, ...) that does.
	Published *Published `json:"published,omitempty"`
}

// Published is where a DNAT rule sends a row's port.
type Published struct {
	// Target is the address and port packets are rewritten to (port 0:
	// kept); TargetNetNS the namespace holding that address, 0 if none
	// was found; Container the label of that namespace's container or
	// pod ("container web (docker 3f2a1b2c3d4e)"), when known.
	Target      string `json:"target"`
	TargetNetNS uint64 `json:"target_netns,omitempty"`
	// PortLast ends the range of published ports that starts at the
	// row's port; 0 for one port.
	PortLast  uint16 `json:"port_last,omitempty"`
	Container string `json:"container,omitempty"`
	// ContainerName is that container's name ("web", or "default/nginx"
	// for a pod), as a policy names it: it outlives the container's ID.
	ContainerName string `json:"container_name,omitempty"`
	// Exposure and Address are the DNAT rule's, which may be wider than
	// the proxy socket's the row was joined to.
	Exposure snapshot.Exposure `json:"exposure"`
	Address  string            `json:"address"`
	// Backend, Table, Chain and Comment name the rule.
	Backend string `json:"backend"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	Comment string `json:"comment,omitempty"`
	// Conditions of the rule's path openports did not decode: the port
	// may reach fewer peers than Exposure says.
	Conditions []string `json:"conditions,omitempty"`
}

// Note is a message for people: a key of the message catalogue, its
// arguments, and its text in the report's language (filled by renderers).
type Note struct {
	Key  string   `json:"key"`
	Args []string `json:"args,omitempty"`
	Text string   `json:"text,omitempty"`
}

// Finding is what a rule beyond single services found on a row.
type Finding struct {
	// Rule is the rule's id, e.g. "duplicate-listener".
	Rule string `json:"rule"`
	// Severity is info, review, risky or dangerous.
	Severity snapshot.Severity `json:"severity"`
	// Message is the knowledge-base message key of the finding's text.
	Message Note `json:"message"`
}

// Process is a holder of a row's sockets.
type Process struct {
	PID       int     `json:"pid"`
	StartTime uint64  `json:"start_time,omitempty"`
	PPID      int     `json:"ppid,omitempty"`
	Name      string  `json:"name"`
	User      string  `json:"user,omitempty"`
	UID       *uint32 `json:"uid,omitempty"`
	// Cgroup is the snapshot owner's cgroup path (Linux live only): the
	// provenance of a systemd host reads the unit from it.
	Cgroup string `json:"cgroup,omitempty"`
	// Provenance says which service started the process and whether the
	// administrator enabled it, when it was looked up.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Socket is a snapshot socket with what analysis concluded about it.
type Socket struct {
	snapshot.Socket
	Exposure  snapshot.Exposure `json:"exposure"`
	Reach     snapshot.Reach    `json:"reach"`
	Interface string            `json:"exposure_interface,omitempty"`
}
