package watchpolicy

import (
	"strconv"
	"strings"

	"github.com/openports/openports/internal/journal"
)

// Priority is the journal priority of v: its severity; an owner-unknown
// or exposure-unknown record is at least a warning, as an unseen owner is
// in check.
func (v Violation) Priority() int {
	p := journal.PriNotice
	switch v.Severity {
	case "dangerous":
		p = journal.PriErr
	case "risky":
		p = journal.PriWarning
	case "info":
		p = journal.PriInfo
	}
	if v.Kind == KindOwnerUnknown || v.Kind == KindExposureUnknown {
		p = min(p, journal.PriWarning)
	}
	return p
}

// JournalFields are v's fields for the journal, named OPENPORTS_*
// (docs/watch.md); empty ones are left out.
func (v Violation) JournalFields() map[string]string {
	pids := make([]string, len(v.PIDs))
	for i, p := range v.PIDs {
		pids[i] = strconv.Itoa(p)
	}
	all := map[string]string{
		"SYSLOG_IDENTIFIER":         "openports",
		"OPENPORTS_EVENT":           v.Event,
		"OPENPORTS_HOST":            v.Host,
		"OPENPORTS_MACHINE_ID":      v.MachineID,
		"OPENPORTS_KIND":            v.Kind,
		"OPENPORTS_PROTO":           v.Proto,
		"OPENPORTS_ADDRESS":         v.Address,
		"OPENPORTS_PORT":            strconv.Itoa(int(v.Port)),
		"OPENPORTS_EXPOSURE":        v.Exposure,
		"OPENPORTS_SERVICE":         v.Service,
		"OPENPORTS_PROGRAM":         v.Program,
		"OPENPORTS_UNIT":            v.Unit,
		"OPENPORTS_USER":            v.User,
		"OPENPORTS_USER_CLASS":      v.UserClass,
		"OPENPORTS_OWNER_REASON":    v.OwnerReason,
		"OPENPORTS_ALLOWED":         v.Allowed,
		"OPENPORTS_EXPOSURE_REASON": v.ExposureReason,
		"OPENPORTS_PIDS":            strings.Join(pids, ","),
		"OPENPORTS_SEVERITY":        v.Severity,
		"OPENPORTS_RULE":            v.Rule,
		"OPENPORTS_KEY":             v.Key,
		"OPENPORTS_EPHEMERAL":       strconv.FormatBool(v.Ephemeral),
	}
	if v.NetNS != 0 {
		all["OPENPORTS_NETNS"] = strconv.FormatUint(v.NetNS, 10)
	}
	for k, val := range all {
		if val == "" {
			delete(all, k)
		}
	}
	return all
}
