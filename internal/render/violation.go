package render

import (
	"fmt"
	"io"
	"strconv"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/watchpolicy"
)

func init() {
	Violations.Register(FormatTable, writeViolationText)
	Violations.Register(FormatJSON, writeViolationJSON)
}

// writeViolationJSON writes a violation of watch --policy as one JSON
// object on one line.
func writeViolationJSON(w io.Writer, v watchpolicy.Violation, o Options) error {
	return writeJSONLine(w, v, "violation")
}

// writeViolationText writes a violation as one line for people: time,
// host, event, kind, what listens and why it breaks the policy, and the
// key it is reported once under.
func writeViolationText(w io.Writer, v watchpolicy.Violation, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	lw := newLineWriter(w)
	lw.line(fmt.Sprintf("%s %s %s %s: %s [%s]", v.Time.Local().Format("2006-01-02T15:04:05.000"), short(v.Host),
		watchpolicy.EventName, Escape(v.Kind), capText(tx.violation(v)), capText(Escape(v.Key))))
	return lw.flush("violation")
}

// violation words what a violation found, as watchpolicy does in English.
func (t texts) violation(v watchpolicy.Violation) string {
	port := strconv.Itoa(int(v.Port))
	if v.Ephemeral {
		port = t.get(MsgViolationEphemeral, port)
	}
	who := short(v.Program)
	if who == "" {
		who = t.get(MsgViolationUnknownProcess)
	}
	args := []any{Escape(v.Proto), port, short(v.Address), Escape(v.Exposure), who, Escape(v.Rule)}
	switch v.Kind {
	case watchpolicy.KindOwnerUnknown:
		why := capText(Escape(v.OwnerReason))
		if why == "" {
			why = "?"
		}
		return t.get(MsgViolationOwnerUnknown, append(args[:4], Escape(v.Allowed), Escape(v.Rule), why)...)
	case watchpolicy.KindExposureUnknown:
		why := capText(Escape(v.ExposureReason))
		if why == "" {
			why = "?"
		}
		return t.get(MsgViolationExposureUnknown, append(args, why)...)
	case report.PolicyExposure:
		return t.get(MsgViolationExposure, args...)
	case report.PolicyOwner:
		return t.get(MsgViolationOwner, args...)
	}
	return t.get(MsgViolationNew, args[:5]...)
}
