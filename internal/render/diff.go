package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/snapshot"
)

func init() {
	Diffs.Register(FormatTable, writeDiffTable)
	Diffs.Register(FormatJSON, writeDiffJSON)
}

// writeDiffJSON writes the comparison as indented JSON (docs/watch.md), its
// notes with their text in the chosen language.
func writeDiffJSON(w io.Writer, r *diff.Result, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	c := *r
	c.Notes = make([]diff.Note, len(r.Notes))
	for i, n := range r.Notes {
		n.Text = tx.diffNote(n)
		c.Notes[i] = n
	}
	return writeJSON(w, &c, "diff")
}

// writeDiffTable writes one line per change, then a summary line, then the
// notes, and with Explain what usually opens an ephemeral port.
func writeDiffTable(w io.Writer, r *diff.Result, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	var g grid
	g.add(ansiBold, tx.get(MsgHeaderChange), tx.get(MsgHeaderProto), tx.get(MsgHeaderAddress), tx.get(MsgHeaderExposure),
		tx.get(MsgHeaderProcess), tx.get(MsgHeaderUser), tx.get(MsgHeaderNote))
	ephemeral := false
	for _, c := range r.Changes {
		addr := Escape(diff.AddrText(c.Key.Local, c.Key.LocalText))
		if c.Key.PortLast != 0 {
			addr += "-" + strconv.Itoa(int(c.Key.PortLast))
		}
		if c.Key.Remote.IsValid() {
			addr += " -> " + c.Key.Remote.String()
		}
		if c.Key.NetNS != 0 && c.Key.NetNS != r.A.CurrentNetNS && c.Key.NetNS != r.B.CurrentNetNS {
			addr += " [netns " + strconv.FormatUint(c.Key.NetNS, 10) + "]"
		}
		var kind, exposure, procs, user, note, colour string
		switch c.Kind {
		case diff.New:
			kind, colour = tx.get(MsgDiffNew), ansiYellow
			exposure, procs, user = tx.sideExposure(c.After), ownersText(tx, c.After), userText(c.After)
			note = tx.ephemeralNote(c.After)
			if c.Key.Published {
				note = tx.publishedNote(c.After)
			}
		case diff.Gone:
			kind = tx.get(MsgDiffGone)
			exposure, procs, user = tx.sideExposure(c.Before), ownersText(tx, c.Before), userText(c.Before)
			note = tx.ephemeralNote(c.Before)
			if c.Key.Published {
				note = tx.publishedNote(c.Before)
			}
		case diff.Changed:
			kind, colour = tx.get(MsgDiffChanged), ansiYellow
			exposure = arrow(tx.sideExposure(c.Before), tx.sideExposure(c.After))
			procs = arrow(ownersText(tx, c.Before), ownersText(tx, c.After))
			user = arrow(userText(c.Before), userText(c.After))
			fields := make([]string, len(c.Fields))
			for i, f := range c.Fields {
				fields[i] = tx.diffField(f)
			}
			note = tx.get(MsgDiffFieldsChange, strings.Join(fields, ", "))
			if c.Key.Published {
				note = tx.publishedNote(c.After) + "; " + note
			}
		default:
			kind = Escape(string(c.Kind))
		}
		ephemeral = ephemeral || (c.Before != nil && c.Before.Ephemeral) || (c.After != nil && c.After.Ephemeral)
		g.add(colour, kind, string(c.Key.Proto), addr, exposure, procs, user, note)
	}
	if err := g.write(w, o.Color, o.Width); err != nil {
		return err
	}
	lw := newLineWriter(w)
	n := r.Counts()
	lw.line(tx.get(MsgDiffSummary, n[diff.New], n[diff.Gone], n[diff.Changed],
		short(r.A.Host), short(r.A.Taken), short(r.B.Host), short(r.B.Taken)))
	for _, note := range r.Notes {
		lw.line(tx.get(MsgDiffNote, tx.diffNote(note)))
	}
	if o.Explain && ephemeral {
		lw.line(tx.ephemeralExplanation())
	}
	return lw.flush("diff")
}

// ephemeralExplanation says what usually opens a socket on an ephemeral
// port (diff --explain, watch --explain).
func (tx texts) ephemeralExplanation() string {
	return tx.get(MsgEphemeralExplain, tx.kbText("message.rule.ephemeral-bound.detail"))
}

func (tx texts) diffNote(n diff.Note) string {
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		args[i] = short(a)
	}
	switch n.Key {
	case diff.NoteOtherHost:
		return tx.get(MsgDiffOtherHost, args...)
	case diff.NoteGaps:
		return tx.get(MsgDiffGaps)
	}
	return Escape(n.Key)
}

func (tx texts) diffField(f string) string {
	switch f {
	case diff.FieldOwners:
		return tx.get(MsgDiffFieldOwners)
	case diff.FieldExposure:
		return tx.get(MsgDiffFieldExpo)
	case diff.FieldState:
		return tx.get(MsgDiffFieldState)
	case diff.FieldTarget:
		return tx.get(MsgDiffFieldTarget)
	}
	return Escape(f)
}

func arrow(a, b string) string {
	if a == b {
		return a
	}
	return a + " → " + b
}

func (tx texts) sideExposure(s *diff.Side) string { return tx.exposure(s.Exposure, s.Interface) }

// userText is the users of a side's owners, or the socket's own user.
func userText(s *diff.Side) string {
	if u := ownerUsers(s.Owners, s.User, s.UID); u != "" {
		return u
	}
	return "-"
}

// ownerUsers names the distinct users of owners (the name, else the
// uid), or without owners the socket's own user or uid; "" when none is
// known. Names come out escaped and capped.
func ownerUsers(owners []snapshot.Owner, user string, uid *uint32) string {
	seen := map[string]bool{}
	var users []string
	for _, o := range owners {
		u := short(o.User)
		if u == "" && o.UID != nil {
			u = strconv.FormatUint(uint64(*o.UID), 10)
		}
		if u != "" && !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	switch {
	case len(users) > 0:
		return strings.Join(users, ",")
	case user != "":
		return short(user)
	case uid != nil:
		return strconv.FormatUint(uint64(*uid), 10)
	}
	return ""
}

func (tx texts) ephemeralNote(s *diff.Side) string {
	if s.Ephemeral {
		return tx.get(MsgDiffEphemeral)
	}
	return ""
}

// publishedNote names the rule that publishes a side's port.
func (tx texts) publishedNote(s *diff.Side) string {
	if s.Target == nil {
		return ""
	}
	return tx.get(MsgDiffPublished, short(s.Target.Backend+" "+s.Target.Table+"/"+s.Target.Chain))
}

// targetText is where a published side's packets go: "→ container web
// (docker 3f2a1b2c3d4e)", or the target address when no container holds
// it.
func targetText(s *diff.Side) string {
	if s.Target.Label != "" {
		return "→ " + short(s.Target.Label)
	}
	return "→ " + short(s.Target.Address)
}

// ownersText writes a side's owners as "sshd (812) +2 sshd-session (900,
// 901)": processes of one name grouped, in PID order; "unknown" or "none"
// when the list is empty for that reason.
func ownersText(tx texts, s *diff.Side) string {
	if s.Target != nil {
		return targetText(s)
	}
	if len(s.Owners) == 0 {
		switch s.OwnerState {
		case snapshot.OwnersUnknown:
			return tx.get(MsgOwnersUnknown)
		case snapshot.OwnersNone:
			return tx.get(MsgOwnersNone)
		}
		return "-"
	}
	var names []string
	pids := map[string][]string{}
	for _, o := range s.Owners {
		if _, ok := pids[o.Name]; !ok {
			names = append(names, o.Name)
		}
		pids[o.Name] = append(pids[o.Name], strconv.Itoa(o.PID))
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = Escape(n) + " (" + strings.Join(pids[n], ", ") + ")"
	}
	out := strings.Join(parts, " ")
	if s.OwnerState == snapshot.OwnersPartial {
		out += " " + tx.get(MsgOwnersHidden)
	}
	return out
}
