package snapshot

import "fmt"

// This file is the vocabulary later stages use to speak about the facts:
// exposure, reach, severity, owner method and provenance. It lives here,
// below analysis, knowledge, provenance and report, so that none of them
// has to import a later stage for a constant.

// Exposure is who can reach a socket by its local address.
type Exposure string

// The exposure classes.
const (
	ExposureLoopback  Exposure = "loopback"   // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104
	ExposureAll       Exposure = "all"        // wildcard address: every interface
	ExposureAddress   Exposure = "address"    // one unicast address (see Interface)
	ExposureLinkLocal Exposure = "link-local" // fe80::/10 or 169.254.0.0/16
	ExposureDevice    Exposure = "device"     // wildcard bound to one device (SO_BINDTODEVICE)
)

// Reach says which IP versions can reach a socket.
type Reach string

// The reaches.
const (
	ReachV4   Reach = "v4"
	ReachV6   Reach = "v6"
	ReachBoth Reach = "v4+v6"
)

// OwnerMethod names how the owners of a snapshot's sockets were found.
type OwnerMethod string

// The live owner methods; a parsed snapshot names its tool ("fstat",
// "lsof", ...) instead.
const (
	// OwnerMethodProcFD is one pass over /proc/PID/fd.
	OwnerMethodProcFD OwnerMethod = "proc-fd"
	// OwnerMethodEBPF is the BPF iter/task_file program.
	OwnerMethodEBPF OwnerMethod = "ebpf-task-file"
	// OwnerMethodProcEBPF is the /proc scan, completed by the BPF
	// iterator for the descriptor tables /proc refused.
	OwnerMethodProcEBPF OwnerMethod = "proc-fd+ebpf-task-file"
)

// Severity is how much an exposed service deserves attention. Severities
// are ordered: Info < Review < Risky < Dangerous; the zero value is none.
type Severity int

// The severities, in increasing order.
const (
	// Info: expected and harmless in this exposure.
	Info Severity = iota + 1
	// Review: fine when intended; check that it is.
	Review
	// Risky: exposes data or an attack surface; restrict unless needed.
	Risky
	// Dangerous: should never be reachable like this.
	Dangerous
)

var severityNames = [...]string{Info: "info", Review: "review", Risky: "risky", Dangerous: "dangerous"}

// String returns the stable lower-case name ("info", "review", "risky",
// "dangerous"), or "Severity(N)" for an invalid value.
func (s Severity) String() string {
	if s.Valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Valid reports whether s is one of the defined severities.
func (s Severity) Valid() bool { return s >= Info && s <= Dangerous }

// MarshalText encodes s by its stable name; the zero value is "" and any
// other invalid value an error.
func (s Severity) MarshalText() ([]byte, error) {
	if s == 0 {
		return []byte{}, nil
	}
	if !s.Valid() {
		return nil, fmt.Errorf("marshal severity: invalid value %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText decodes a stable name written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = 0
		return nil
	}
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity returns the severity named name ("info", "review", "risky"
// or "dangerous").
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == name {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, review, risky or dangerous)", name)
}

// Provenance verdicts: did the administrator mean a process to run?
const (
	// ProvenanceEnabled means the administrator enabled the service that
	// started the process (rc.conf, rc.conf.local, an uncommented
	// inetd.conf line, a unit enabled in /etc/systemd/system).
	ProvenanceEnabled = "enabled"
	// ProvenanceDefault means the service runs by default (a default in
	// /etc/defaults/rc.conf or OpenBSD's /etc/rc.conf, a vendor preset)
	// and the administrator never enabled it.
	ProvenanceDefault = "default"
	// ProvenanceNotEnabled means no configuration starts the process: it
	// was started by hand, in a login session, by cron, by another
	// service or in a container.
	ProvenanceNotEnabled = "not-enabled"
	// ProvenanceUnknown means openports could not tell.
	ProvenanceUnknown = "unknown"
)
