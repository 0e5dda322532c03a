package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
)

func init() {
	Watches.Register(FormatTable, writeWatchText)
	Watches.Register(FormatJSON, writeWatchJSON)
}

// WatchItem is one thing a watch writes: the opening line (Start), what
// ephemeral ports are (Explain), an event, or the closing summary. Exactly
// one is set.
type WatchItem struct {
	Start   *WatchStart
	Explain bool
	Event   *watch.Event
	Summary *watch.Summary
}

// WatchStart says what a watch follows, before the first event.
type WatchStart struct {
	Mode     string
	Interval time.Duration
	// AllNamespaces is --netns all; NetNS a namespace path, "" for this
	// one.
	AllNamespaces bool
	NetNS         string
}

// writeWatchText writes an item for people: the start line, one line per
// event, the summary lines.
//
//	2026-01-02T15:04:05.123 new   udp 192.0.2.1:40000  dig (4242) user alice ephemeral [ebpf]
//	2026-01-02T15:04:05.143 gone  udp 192.0.2.1:40000  dig (4242) user alice lived 20ms [destroy]
func writeWatchText(w io.Writer, it WatchItem, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	lw := newLineWriter(w)
	switch {
	case it.Start != nil:
		id := MsgWatchStart
		if it.Start.AllNamespaces {
			id = MsgWatchStartAll
		}
		line := tx.get(id, short(it.Start.Mode), it.Start.Interval)
		if it.Start.NetNS != "" {
			line += " [" + short(it.Start.NetNS) + "]"
		}
		lw.line(line)
	case it.Explain:
		lw.line(tx.ephemeralExplanation())
	case it.Event != nil:
		lw.line(tx.eventLine(*it.Event))
	case it.Summary != nil:
		tx.summaryLines(lw, *it.Summary)
	}
	return lw.flush("watch")
}

func (tx texts) eventLine(ev watch.Event) string {
	var b strings.Builder
	b.WriteString(ev.Time.Local().Format("2006-01-02T15:04:05.000"))
	fmt.Fprintf(&b, " %s %s %s ", padRight(tx.eventKind(ev.Kind), 13), padRight(string(ev.Proto), 4), padRight(ev.Local.String(), 22))
	b.WriteString(tx.eventOwners(ev.Owners, ev.OwnerState))
	if u := ownerUsers(ev.Owners, ev.User, ev.UID); u != "" {
		b.WriteString(" " + tx.get(MsgWatchUser, u))
	}
	if ev.Kind == watch.OwnerChanged {
		b.WriteString(" " + tx.get(MsgWatchWas, tx.eventOwners(ev.Previous, snapshot.OwnersComplete)))
	}
	if ev.Kind == watch.Gone {
		switch {
		case ev.LivedExact:
			b.WriteString(" " + tx.get(MsgWatchLived, roundLife(ev.Lived)))
		case ev.SeenBy == watch.SeenDestroy && len(ev.Owners) == 0 && ev.OwnerState == snapshot.OwnersUnknown:
			b.WriteString(" " + tx.get(MsgWatchLivedShort))
		default:
			b.WriteString(" " + tx.get(MsgWatchLivedAtLeast, roundLife(ev.Lived)))
		}
	}
	if ev.Ephemeral {
		b.WriteString(" " + tx.get(MsgWatchEphemeral))
	}
	if ev.NetNSName != "" {
		b.WriteString(" " + tx.get(MsgWatchNetNS, short(ev.NetNSName)))
	} else if ev.NetNS != 0 {
		b.WriteString(" " + tx.get(MsgWatchNetNS, strconv.FormatUint(ev.NetNS, 10)))
	}
	b.WriteString(" [" + short(ev.SeenBy) + "]")
	return b.String()
}

func (tx texts) eventKind(k watch.Kind) string {
	switch k {
	case watch.New:
		return tx.get(MsgWatchNew)
	case watch.Gone:
		return tx.get(MsgWatchGone)
	case watch.OwnerChanged:
		return tx.get(MsgWatchOwnerChanged)
	}
	return Escape(string(k))
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

func (tx texts) eventOwners(owners []snapshot.Owner, state snapshot.OwnerState) string {
	if len(owners) == 0 {
		if state == snapshot.OwnersNone {
			return tx.get(MsgWatchNoProcess)
		}
		return tx.get(MsgWatchOwnerUnknown)
	}
	parts := make([]string, len(owners))
	for i, o := range owners {
		parts[i] = short(o.Name) + " (" + strconv.Itoa(o.PID) + ")"
	}
	return strings.Join(parts, " ")
}

func (tx texts) summaryLines(lw *lineWriter, s watch.Summary) {
	ns := ""
	if s.Namespaces > 1 {
		ns = tx.get(MsgWatchNamespaces, s.Namespaces)
	}
	line := tx.get(MsgWatchSummary, s.Duration.Round(time.Millisecond), short(s.Mode), ns, s.Initial, s.New, s.NewWithOwner, s.Gone, s.OwnerChanged, s.Polls)
	if s.EBPFLost > 0 {
		line += tx.get(MsgWatchLost, s.EBPFLost)
	}
	lw.line(line)
	if p := s.Policy; p != nil {
		lw.line(tx.get(MsgWatchPolicy, short(p.File), p.Violations, p.OwnerUnknown, p.Suppressed))
		if p.ExposureUnknown > 0 {
			lw.line(tx.get(MsgWatchPolicyExposure, short(p.File), p.ExposureUnknown))
		}
	}
	msgs := make([]string, 0, len(s.Errors))
	for m := range s.Errors {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		lw.line(tx.get(MsgWatchError, s.Errors[m], capText(Escape(m))))
	}
}

// writeWatchJSON writes an event as one JSON object on one line, the
// summary as {"summary": ...}; the start is not written (a JSON stream
// holds events only).
func writeWatchJSON(w io.Writer, it WatchItem, o Options) error {
	var v any
	switch {
	case it.Event != nil:
		v = it.Event
	case it.Summary != nil:
		s := *it.Summary
		s.DurationS = s.Duration.Seconds()
		v = struct {
			Summary watch.Summary `json:"summary"`
		}{s}
	default:
		return nil
	}
	return writeJSONLine(w, v, "watch")
}
