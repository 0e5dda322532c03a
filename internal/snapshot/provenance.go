package snapshot

import "strconv"

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
