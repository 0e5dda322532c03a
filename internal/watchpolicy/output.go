package watchpolicy

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/journal"
)

// Priority is the journal priority of v: its severity.
func (v Violation) Priority() int {
	switch v.Severity {
	case "dangerous":
		return journal.PriErr
	case "risky":
		return journal.PriWarning
	case "info":
		return journal.PriInfo
	}
	return journal.PriNotice
}

// JournalFields are v's fields for the journal, named OPENPORTS_*
// (docs/watch.md); empty ones are left out.
func (v Violation) JournalFields() map[string]string {
	pids := make([]string, len(v.PIDs))
	for i, p := range v.PIDs {
		pids[i] = strconv.Itoa(p)
	}
	all := map[string]string{
		"SYSLOG_IDENTIFIER":    "openports",
		"OPENPORTS_EVENT":      v.Event,
		"OPENPORTS_HOST":       v.Host,
		"OPENPORTS_MACHINE_ID": v.MachineID,
		"OPENPORTS_KIND":       v.Kind,
		"OPENPORTS_PROTO":      v.Proto,
		"OPENPORTS_ADDRESS":    v.Address,
		"OPENPORTS_PORT":       strconv.Itoa(int(v.Port)),
		"OPENPORTS_EXPOSURE":   v.Exposure,
		"OPENPORTS_SERVICE":    v.Service,
		"OPENPORTS_PROGRAM":    v.Program,
		"OPENPORTS_UNIT":       v.Unit,
		"OPENPORTS_USER":       v.User,
		"OPENPORTS_USER_CLASS": v.UserClass,
		"OPENPORTS_PIDS":       strings.Join(pids, ","),
		"OPENPORTS_SEVERITY":   v.Severity,
		"OPENPORTS_RULE":       v.Rule,
		"OPENPORTS_KEY":        v.Key,
		"OPENPORTS_EPHEMERAL":  strconv.FormatBool(v.Ephemeral),
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

// WriteJSON writes v as one JSON object on one line.
func WriteJSON(w io.Writer, v Violation) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode violation: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write violation: %w", err)
	}
	return nil
}

// WriteText writes v as one line for people.
func WriteText(w io.Writer, v Violation) error {
	_, err := fmt.Fprintf(w, "%s %s %s %s: %s [%s]\n", v.Time.Local().Format("2006-01-02T15:04:05.000"), v.Host, EventName, v.Kind, v.Message, v.Key)
	if err != nil {
		return fmt.Errorf("write violation: %w", err)
	}
	return nil
}
