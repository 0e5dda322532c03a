package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func init() {
	Reports.Register(FormatTable, writeReportTable)
	Reports.Register(FormatJSON, writeReportJSON)
	Reports.Register(FormatCSV, writeReportCSV)
}

// writeReportTable writes one line per row, aligned, then a summary of what
// was hidden and what could not be seen.
func writeReportTable(w io.Writer, r *report.Report, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge).forReport(r)
	multiNS := len(r.Namespaces) > 1
	var g grid
	header := []string{}
	if multiNS {
		header = append(header, tx.get(MsgHeaderNetNS))
	}
	columns := []MsgID{MsgHeaderProto, MsgHeaderAddress, MsgHeaderPort, MsgHeaderIP, MsgHeaderExposure, MsgHeaderProcess, MsgHeaderUser, MsgHeaderService, MsgHeaderRisk}
	withFirewall := hasFirewall(r)
	if withFirewall {
		columns = append(columns, MsgHeaderFirewall)
	}
	for _, id := range append(columns, MsgHeaderNote) {
		header = append(header, tx.get(id))
	}
	g.add(ansiBold, header...)
	for _, row := range r.Rows {
		line := []string{}
		if multiNS {
			line = append(line, namespaceName(r.Namespaces, row.NetNS))
		}
		line = append(line,
			string(row.Proto), Escape(row.Address), portCell(row), string(row.Reach),
			tx.exposure(row.Exposure, row.Interface), Processes(row), Users(row),
			serviceText(tx, row), tx.severity(row.Severity))
		if withFirewall {
			line = append(line, firewallText(tx, row))
		}
		line = append(line, noteText(tx, row))
		g.add(severityColour(row.Severity), line...)
	}
	if err := g.write(w, o.Color, o.Width); err != nil {
		return err
	}
	lw := newLineWriter(w)
	lw.printf("%s", summary(tx, r))
	lw.printf("%s", outsideSection(tx, r))
	if o.Explain {
		lw.printf("%s", explanations(tx, r))
		lw.printf("%s", firewallExplanations(tx, r))
	}
	return lw.flush("table")
}

// severityColour is a row's colour: it follows the RISK column.
func severityColour(s snapshot.Severity) string {
	switch s {
	case snapshot.Dangerous, snapshot.Risky:
		return ansiRed
	case snapshot.Review:
		return ansiYellow
	}
	return ""
}

// explanations says, for each service of the table once (riskiest first,
// as the rows are), why exposing it matters and how to restrict it, and
// what each finding means.
func explanations(tx texts, r *report.Report) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, row := range r.Rows {
		if row.Service != "" && !seen[row.Service] {
			seen[row.Service] = true
			fmt.Fprintf(&b, "\n%s — %s (%s)\n", Escape(row.ServiceLabel), Escape(row.ServiceName), tx.severity(row.Severity))
			for _, f := range []struct {
				id  MsgID
				key string
			}{{MsgExplainRisk, "risk"}, {MsgExplainRestrict, "restrict"}} {
				if text := tx.kbText("entry." + row.Service + "." + f.key); text != "" {
					fmt.Fprintf(&b, "  %s %s\n", tx.get(f.id), text)
				}
			}
		}
		for _, f := range row.Findings {
			key := strings.TrimSuffix(f.Message.Key, ".text") + ".detail"
			if !seen[key] {
				seen[key] = true
				if text := tx.kbText(key); text != "" {
					fmt.Fprintf(&b, "\n%s\n  %s\n", capText(tx.note(f.Message)), text)
				}
			}
		}
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "\n%s\n", tx.get(MsgExplainMore))
	}
	return b.String()
}

// serviceText is the SERVICE cell.
func serviceText(tx texts, row report.Row) string {
	if row.ServiceLabel == "" {
		return tx.get(MsgServiceUnknown)
	}
	return Escape(row.ServiceLabel)
}

// summarisedRules are findings the table does not repeat on every row,
// because its USER and EXPOSURE columns already show them; the summary
// counts them instead. JSON carries them on each row.
var summarisedRules = map[string]bool{"root-wildcard": true}

// noteText is the NOTE cell: the findings first, then the notes.
func noteText(tx texts, row report.Row) string {
	var parts []string
	for _, f := range row.Findings {
		if summarisedRules[f.Rule] {
			continue
		}
		parts = append(parts, tx.note(f.Message))
	}
	for _, n := range row.Notes {
		parts = append(parts, tx.note(n))
	}
	return strings.Join(parts, "; ")
}

// portCell is the PORT column: the number, or what the tool printed when
// the port could not be read (never a 0 that would mean nothing).
func portCell(row report.Row) string {
	if row.PortText != "" {
		return short(row.PortText) + "?"
	}
	if row.Proto == snapshot.Raw {
		return "proto " + strconv.Itoa(int(row.Port)) // an IP protocol, not a port
	}
	return strconv.Itoa(int(row.Port))
}

// exposure is the EXPOSURE cell: who can reach the row. Every command
// names exposures with it.
func (tx texts) exposure(class snapshot.Exposure, iface string) string {
	switch class {
	case snapshot.ExposureAll:
		return tx.get(MsgExposureAll)
	case snapshot.ExposureLoopback:
		return tx.get(MsgExposureLoopback)
	case snapshot.ExposureDevice:
		return tx.get(MsgExposureDevice, Escape(iface))
	case snapshot.ExposureLinkLocal:
		return strings.TrimSpace(tx.get(MsgExposureLinkLocal, Escape(iface)))
	case snapshot.ExposureAddress:
		if iface != "" {
			return Escape(iface)
		}
		return tx.get(MsgExposureOneAddr)
	}
	return Escape(string(class))
}

// Processes is the PROCESS (PIDs) cell: each name with its PIDs, the first
// three of them and a count of the rest, in PID order; for unknown owners a
// question mark.
func Processes(row report.Row) string {
	if len(row.Processes) == 0 && row.Published != nil {
		// A port published by DNAT with no host socket: where it goes.
		to := row.Published.Container
		if to == "" {
			to = row.Published.Target
		}
		return "→ " + Escape(to)
	}
	if len(row.Processes) == 0 {
		if row.OwnerState == snapshot.OwnersNone {
			return "-"
		}
		return "?"
	}
	type group struct {
		name string
		pids []int
	}
	var groups []*group
	byName := map[string]*group{}
	for _, p := range row.Processes {
		g, ok := byName[p.Name]
		if !ok {
			g = &group{name: p.Name}
			byName[p.Name] = g
			groups = append(groups, g)
		}
		g.pids = append(g.pids, p.PID)
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		ids := make([]string, 0, 4)
		for i, pid := range g.pids {
			if i == 3 {
				ids = append(ids, fmt.Sprintf("+%d", len(g.pids)-3))
				break
			}
			ids = append(ids, strconv.Itoa(pid))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", Escape(g.name), strings.Join(ids, ",")))
	}
	s := strings.Join(parts, ", ")
	if row.OwnerState == snapshot.OwnersPartial {
		s += " +?"
	}
	return s
}

// Users is the USER cell: the distinct users of the row's processes, or
// for unknown owners the user the sockets belong to.
func Users(row report.Row) string {
	var users []string
	add := func(u string) {
		for _, x := range users {
			if x == u {
				return
			}
		}
		users = append(users, u)
	}
	for _, p := range row.Processes {
		switch {
		case p.User != "":
			add(Escape(p.User))
		case p.UID != nil:
			add(strconv.FormatUint(uint64(*p.UID), 10))
		}
	}
	if len(row.Processes) == 0 {
		for _, s := range row.Sockets {
			switch {
			case s.User != "":
				add(Escape(s.User))
			case s.UID != nil:
				add(strconv.FormatUint(uint64(*s.UID), 10))
			}
		}
	}
	if len(users) == 0 {
		if row.Published != nil && len(row.Sockets) == 0 {
			return "-" // published by a rule: no socket, no user
		}
		return "?"
	}
	return strings.Join(users, ",")
}

func namespaceName(nss []snapshot.Namespace, id uint64) string {
	for _, ns := range nss {
		if ns.ID == id && ns.Name != "" {
			return Escape(ns.Name)
		}
	}
	return strconv.FormatUint(id, 10)
}

// summary is the text under the table: what was hidden, whose owners are
// unknown, and what this run could not see.
func summary(tx texts, r *report.Report) string {
	var b strings.Builder
	var parts []string
	if n := r.Hidden[snapshot.ExposureLoopback]; n > 0 {
		parts = append(parts, tx.get(MsgSummaryHidden, n))
	}
	unknown := 0
	for _, row := range r.Rows {
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersUnknown {
				unknown++
			}
		}
	}
	parts = append(parts, tx.get(MsgSummaryUnknown, unknown))
	rootAll := 0
	for _, row := range r.Rows {
		if hasFinding(row, "root-wildcard") {
			rootAll++
		}
	}
	if rootAll > 0 {
		parts = append(parts, tx.get(MsgSummaryRootWildcard, rootAll))
	}
	if len(r.Rows) == 0 {
		// An all-clear only from a view that saw everything, and never
		// while a raw or packet socket takes packets (rawSummary) or when
		// none was looked for (a parsed ss, netstat or lsof output).
		id := MsgSummaryNothing
		portsOnly := len(r.RawSockets) > 0 || !r.RawTablesRead
		switch {
		case portsOnly && !r.Complete:
			id = MsgSummaryNoPortsSeen
		case portsOnly:
			id = MsgSummaryNoPorts
		case !r.Complete:
			id = MsgSummaryNothingSeen
		}
		parts = append([]string{tx.get(id)}, parts...)
	}
	if s := rawSummary(tx, r.RawSockets); s != "" {
		parts = append(parts, s)
	}
	if len(r.NATBackends) > 1 {
		parts = append(parts, tx.get(MsgSummaryNATBackends, short(strings.Join(r.NATBackends, " and "))))
	}
	if m := ownerMethodText(tx, r.OwnerMethod); m != "" {
		parts = append(parts, tx.get(MsgSummaryOwners, m))
	}
	b.WriteString(strings.Join(parts, " · "))
	b.WriteByte('\n')
	b.WriteString(policySummary(tx, r))
	for _, g := range r.Gaps {
		fmt.Fprintf(&b, "%s\n", capText(tx.get(MsgSummaryIncomplete, tx.gap(g))))
	}
	return b.String()
}

// policySummary is the summary's lines about the policy: the count of
// violations, then each missing rule (those have no row), then the rows
// not proven allowed (owner unknown) with why.
func policySummary(tx texts, r *report.Report) string {
	p := r.Policy
	if p == nil {
		return ""
	}
	var b strings.Builder
	if len(p.Violations) == 0 && len(p.Unproven) == 0 {
		fmt.Fprintf(&b, "%s\n", tx.get(MsgSummaryPolicyOK, short(p.File), p.Rules))
		return b.String()
	}
	if len(p.Violations) > 0 {
		fmt.Fprintf(&b, "%s\n", tx.get(MsgSummaryPolicy, len(p.Violations), short(p.File)))
		for _, v := range p.Violations {
			if v.Kind == report.PolicyMissing {
				fmt.Fprintf(&b, "  %s\n", capText(tx.note(v.Message)))
			}
		}
	}
	// An owner that could not be seen is no "no violation".
	if len(p.Unproven) > 0 {
		fmt.Fprintf(&b, "%s\n", tx.get(MsgSummaryPolicyUnproven, len(p.Unproven), short(p.File)))
		for _, v := range p.Unproven {
			fmt.Fprintf(&b, "  %s\n", capText(tx.note(v.Message)))
		}
	}
	return b.String()
}

// ownerMethodText names how owners were found.
func ownerMethodText(tx texts, method snapshot.OwnerMethod) string {
	switch method {
	case "":
		return ""
	case snapshot.OwnerMethodProcFD:
		return tx.get(MsgOwnersProc)
	case snapshot.OwnerMethodEBPF:
		return tx.get(MsgOwnersEBPF)
	case snapshot.OwnerMethodProcEBPF:
		return tx.get(MsgOwnersProcEBPF)
	}
	return Escape(string(method))
}

// rawSummary names the raw and packet sockets that are no rows, and their
// holders ("python3 (9001)"; "+?" after them when a socket's other holders
// may be hidden, "?" for a socket whose holder was not seen);
// "" when there are none.
func rawSummary(tx texts, raws []snapshot.RawSocket) string {
	if len(raws) == 0 {
		return ""
	}
	id := MsgSummaryPacketSockets
	var who []string
	seen := map[int]bool{}
	unheld, partial := false, false
	for _, r := range raws {
		if r.Kind == "raw" {
			id = MsgSummaryRawSockets
		}
		if len(r.Owners) == 0 {
			unheld = true
		} else if r.OwnerState == snapshot.OwnersPartial {
			partial = true
		}
		for _, o := range r.Owners {
			if !seen[o.PID] {
				seen[o.PID] = true
				who = append(who, fmt.Sprintf("%s (%d)", Escape(o.Name), o.PID))
			}
		}
	}
	// Other holders may be out of sight: "+?", as a row's PROCESS cell.
	if partial && !unheld {
		who[len(who)-1] += " +?"
	}
	if unheld {
		who = append(who, "?")
	}
	return tx.get(id, len(raws), strings.Join(who, ", "))
}
