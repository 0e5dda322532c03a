package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteText writes ev as one line a person reads:
//
//	15:04:05.123 new   udp 192.0.2.1:40000  dig (4242) user alice  ephemeral  [ebpf]
//	15:04:05.143 gone  udp 192.0.2.1:40000  dig (4242) user alice  lived 20ms  [destroy]
func WriteText(w io.Writer, ev Event) error {
	var b strings.Builder
	b.WriteString(ev.Time.Local().Format("2006-01-02T15:04:05.000"))
	fmt.Fprintf(&b, " %-13s %-4s %-22s ", ev.Kind, ev.Proto, ev.Local)
	b.WriteString(ownersText(ev))
	if u := ownerUsers(ev); u != "" {
		b.WriteString(" user " + u)
	}
	if ev.Kind == OwnerChanged {
		b.WriteString(" (was " + ownersText(Event{Owners: ev.Previous, OwnerState: "complete"}) + ")")
	}
	if ev.Kind == Gone {
		if ev.LivedExact {
			b.WriteString(" lived " + roundLife(ev.Lived))
		} else if ev.SeenBy == SeenDestroy && len(ev.Owners) == 0 && ev.OwnerState == "unknown" {
			b.WriteString(" lived less than a poll interval")
		} else {
			b.WriteString(" lived ≥" + roundLife(ev.Lived))
		}
	}
	if ev.Ephemeral {
		b.WriteString(" ephemeral")
	}
	if ev.NetNSName != "" {
		b.WriteString(" netns " + ev.NetNSName)
	} else if ev.NetNS != 0 {
		b.WriteString(" netns " + strconv.FormatUint(ev.NetNS, 10))
	}
	b.WriteString(" [" + ev.SeenBy + "]\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

func roundLife(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func ownersText(ev Event) string {
	if len(ev.Owners) == 0 {
		if ev.OwnerState == "none" {
			return "no process"
		}
		return "owner unknown"
	}
	parts := make([]string, len(ev.Owners))
	for i, o := range ev.Owners {
		parts[i] = o.Name + " (" + strconv.Itoa(o.PID) + ")"
	}
	return strings.Join(parts, " ")
}

func ownerUsers(ev Event) string {
	var users []string
	for _, o := range ev.Owners {
		u := o.User
		if u == "" && o.UID != nil {
			u = strconv.FormatUint(uint64(*o.UID), 10)
		}
		if u != "" && !containsString(users, u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		if ev.User != "" {
			return ev.User
		}
		if ev.UID != nil {
			return strconv.FormatUint(uint64(*ev.UID), 10)
		}
	}
	return strings.Join(users, ",")
}

func containsString(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

// WriteJSON writes ev as one JSON object on one line.
func WriteJSON(w io.Writer, ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

// WriteSummaryText writes s as the closing lines of a text watch.
func WriteSummaryText(w io.Writer, s Summary) error {
	ns := ""
	if s.Namespaces > 1 {
		ns = fmt.Sprintf(", %d network namespaces", s.Namespaces)
	}
	_, err := fmt.Fprintf(w, "watched %s (%s%s): %d sockets at start, %d new (%d with their owner), %d gone, %d owner changes, %d polls",
		s.Duration.Round(time.Millisecond), s.Mode, ns, s.Initial, s.New, s.NewWithOwner, s.Gone, s.OwnerChanged, s.Polls)
	if err == nil && s.EBPFLost > 0 {
		_, err = fmt.Fprintf(w, ", %d eBPF records lost", s.EBPFLost)
	}
	if err == nil {
		_, err = fmt.Fprintln(w)
	}
	for msg, n := range s.Errors {
		if err == nil {
			_, err = fmt.Fprintf(w, "error (%d times): %s\n", n, msg)
		}
	}
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// WriteSummaryJSON writes s as one JSON object {"summary": ...} on one line.
func WriteSummaryJSON(w io.Writer, s Summary) error {
	s.DurationS = s.Duration.Seconds()
	b, err := json.Marshal(struct {
		Summary Summary `json:"summary"`
	}{s})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}
