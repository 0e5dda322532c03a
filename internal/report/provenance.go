package report

import "strconv"

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

// Provenance says which service of the init system started a process and
// whether the administrator enabled it.
type Provenance struct {
	// Verdict is one of the Provenance* verdicts.
	Verdict string `json:"verdict"`
	// Init names the mechanism that started the process: "rc.d" (NetBSD,
	// FreeBSD), "openbsd-rc", "inetd", "systemd", "session", "cron",
	// "container".
	Init string `json:"init,omitempty"`
	// Service is the rc.d script, inetd service or systemd unit.
	Service string `json:"service,omitempty"`
	// Reason is a stable code for the verdict: "rc.conf" (set in the
	// admin's file), "defaults" (only the defaults set it), "disabled"
	// (set to NO, yet running), "defaults-disabled" (NO in the defaults
	// and not enabled in rc.conf), "unset", "unreadable", "shell-code",
	// "conditional", "inetd.conf", "admin-symlink", "vendor-preset",
	// "vendor-static", "also", "masked", "socket-activation", "wanted-by",
	// "session", "cron", "container", "no-script", "no-unit", "no-config"
	// (docs/json.md lists them all).
	Reason string `json:"reason"`
	// Evidence are the lines and units the verdict rests on, strongest
	// first.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Evidence is one fact a provenance verdict rests on: a line of a file, a
// file or symlink, or a unit.
type Evidence struct {
	// File is the path as on the observed host ("/etc/rc.conf").
	File string `json:"file,omitempty"`
	// Line is the 1-based line number in File, 0 for a whole file.
	Line int `json:"line,omitempty"`
	// Text is the line's text, trimmed ("sshd=YES").
	Text string `json:"text,omitempty"`
	// Unit is a systemd unit or cgroup scope the verdict rests on.
	Unit string `json:"unit,omitempty"`
}

// String is the evidence as the NOTE column shows it: "/etc/rc.conf:3
// sshd=YES", "unit ssh.service".
func (e Evidence) String() string {
	s := ""
	if e.File != "" {
		s = e.File
		if e.Line > 0 {
			s += ":" + strconv.Itoa(e.Line)
		}
		if e.Text != "" {
			s += " " + e.Text
		}
	} else {
		s = e.Text
	}
	if e.Unit != "" {
		if s != "" {
			s += " "
		}
		s += "(" + e.Unit + ")"
	}
	return s
}

// Policy violation kinds.
const (
	// PolicyNew is a row no rule of the policy allows.
	PolicyNew = "new"
	// PolicyMissing is a rule no row matches.
	PolicyMissing = "missing"
	// PolicyExposure is a row whose port the policy allows with another
	// exposure (loopback in the policy, all interfaces now).
	PolicyExposure = "exposure"
	// PolicyOwner is a row whose port and exposure the policy allows for
	// another process or user.
	PolicyOwner = "owner"
)

// PolicyResult is the outcome of comparing the rows with a policy file.
type PolicyResult struct {
	// File is the policy file.
	File string `json:"file"`
	// Rules is how many rules it has.
	Rules int `json:"rules"`
	// Violations are what differs, in row order, missing rules last.
	Violations []PolicyViolation `json:"violations"`
}

// PolicyViolation is one difference between what listens and the policy.
type PolicyViolation struct {
	// Kind is new, missing, exposure or owner.
	Kind string `json:"kind"`
	// Proto, Address, Port and Exposure say where: the row's, or for a
	// missing rule the rule's (Port is its first port).
	Proto    string `json:"proto"`
	Address  string `json:"address,omitempty"`
	Port     uint16 `json:"port"`
	Exposure string `json:"exposure,omitempty"`
	// Process is the row's root process name, if any.
	Process string `json:"process,omitempty"`
	// Rule is the policy rule involved ("policy.yaml:12"), "" for new.
	Rule string `json:"rule,omitempty"`
	// Message is its text for people.
	Message Note `json:"message"`
}
