package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/openports/openports/internal/snapshot"
)

// WriteJSON writes r as indented JSON (docs/watch.md describes the fields).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode diff: %w", err)
	}
	return nil
}

// WriteTable writes r as a table a person reads: one line per change, then
// a summary line, then the notes.
func WriteTable(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGE\tPROTO\tADDRESS\tEXPOSURE\tPROCESS (PIDs)\tUSER\tNOTE")
	for _, c := range r.Changes {
		addr := AddrText(c.Key.Local, c.Key.LocalText)
		if c.Key.Remote.IsValid() {
			addr += " -> " + c.Key.Remote.String()
		}
		if c.Key.NetNS != 0 && c.Key.NetNS != r.A.CurrentNetNS && c.Key.NetNS != r.B.CurrentNetNS {
			addr += " [netns " + strconv.FormatUint(c.Key.NetNS, 10) + "]"
		}
		var exposure, procs, user, note string
		switch c.Kind {
		case New:
			exposure, procs, user = exposureText(c.After), OwnersText(c.After.Owners, c.After.OwnerState), userText(c.After)
			note = ephemeralNote(c.After)
		case Gone:
			exposure, procs, user = exposureText(c.Before), OwnersText(c.Before.Owners, c.Before.OwnerState), userText(c.Before)
			note = ephemeralNote(c.Before)
		case Changed:
			exposure = arrow(exposureText(c.Before), exposureText(c.After))
			procs = arrow(OwnersText(c.Before.Owners, c.Before.OwnerState), OwnersText(c.After.Owners, c.After.OwnerState))
			user = arrow(userText(c.Before), userText(c.After))
			note = strings.Join(c.Fields, ", ") + " changed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Kind, c.Key.Proto, addr, exposure, procs, user, note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write diff table: %w", err)
	}
	n := r.Counts()
	if _, err := fmt.Fprintf(w, "%d new · %d gone · %d changed (%s %s → %s %s)\n", n[New], n[Gone], n[Changed],
		r.A.Host, r.A.Taken, r.B.Host, r.B.Taken); err != nil {
		return fmt.Errorf("write diff table: %w", err)
	}
	for _, note := range r.Notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", note); err != nil {
			return fmt.Errorf("write diff table: %w", err)
		}
	}
	return nil
}

func arrow(a, b string) string {
	if a == b {
		return a
	}
	return a + " → " + b
}

func exposureText(s *Side) string {
	if s.Interface != "" {
		return s.Exposure + " (" + s.Interface + ")"
	}
	return s.Exposure
}

func userText(s *Side) string {
	seen := map[string]bool{}
	var users []string
	for _, o := range s.Owners {
		u := o.User
		if u == "" && o.UID != nil {
			u = strconv.FormatUint(uint64(*o.UID), 10)
		}
		if u != "" && !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		if s.User != "" {
			return s.User
		}
		if s.UID != nil {
			return "uid " + strconv.FormatUint(uint64(*s.UID), 10)
		}
		return "-"
	}
	return strings.Join(users, ",")
}

func ephemeralNote(s *Side) string {
	if s.Ephemeral {
		return "ephemeral port"
	}
	return ""
}

// OwnersText writes owners as "sshd (812) +2 sshd-session (900, 901)":
// processes of one name grouped, in PID order; "unknown" or "none" when the
// list is empty for that reason.
func OwnersText(owners []snapshot.Owner, state snapshot.OwnerState) string {
	if len(owners) == 0 {
		switch state {
		case snapshot.OwnersUnknown:
			return "unknown"
		case snapshot.OwnersNone:
			return "none (kernel)"
		}
		return "-"
	}
	var names []string
	pids := map[string][]string{}
	for _, o := range owners {
		if _, ok := pids[o.Name]; !ok {
			names = append(names, o.Name)
		}
		pids[o.Name] = append(pids[o.Name], strconv.Itoa(o.PID))
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " (" + strings.Join(pids[n], ", ") + ")"
	}
	s := strings.Join(parts, " ")
	if state == snapshot.OwnersPartial {
		s += " +hidden"
	}
	return s
}
