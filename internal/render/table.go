package render

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Table writes one line per row, aligned, then a summary of what was hidden
// and what could not be seen.
type Table struct {
	// Color enables ANSI colour (only ever on a terminal).
	Color bool
	// Lang is the language of headers, notes and the summary.
	Lang string
	// Knowledge supplies service and finding texts.
	Knowledge *knowledge.Base
	// Explain adds why each service matters and how to restrict it.
	Explain bool
}

const (
	ansiBold   = "\x1b[1m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiReset  = "\x1b[0m"
)

// Render implements Renderer.
func (t Table) Render(w io.Writer, r *report.Report) error {
	tx := newTexts(t.Lang, t.Knowledge)
	multiNS := len(r.Namespaces) > 1
	withFirewall := hasFirewall(r)
	columns := []string{"proto", "address", "port", "ip", "exposure", "process", "user", "service", "risk", "note"}
	if withFirewall {
		columns = slices.Insert(columns, len(columns)-1, "firewall")
	}
	var header []string
	for _, h := range columns {
		header = append(header, tx.get("header."+h))
	}
	if multiNS {
		header = append([]string{tx.get("header.netns")}, header...)
	}
	cells := [][]string{header}
	colour := make([]string, 1, len(r.Rows)+1)
	colour[0] = ansiBold
	for _, row := range r.Rows {
		line := []string{
			string(row.Proto), Escape(row.Address), portCell(row), row.Reach,
			exposureText(tx, row.Exposure, row.Interface), Processes(row), Users(row),
			serviceText(tx, row), riskText(tx, row.Severity), Escape(noteText(tx, row)),
		}
		if withFirewall {
			line = slices.Insert(line, len(line)-1, firewallText(tx, row))
		}
		if multiNS {
			line = append([]string{namespaceName(r.Namespaces, row.NetNS)}, line...)
		}
		cells = append(cells, line)
		c := ""
		switch {
		case row.OwnerState == snapshot.OwnersUnknown || row.OwnerState == snapshot.OwnersPartial:
			c = ansiRed
		case row.Severity == "dangerous" || row.Severity == "risky":
			c = ansiRed
		case row.Exposure == report.ExposureAll:
			c = ansiYellow
		}
		colour = append(colour, c)
	}
	widths := make([]int, len(header))
	for _, line := range cells {
		for i, c := range line {
			widths[i] = max(widths[i], cellWidth(c))
		}
	}
	var b strings.Builder
	for li, line := range cells {
		if t.Color && colour[li] != "" {
			b.WriteString(colour[li])
		}
		// Pad every cell but the last non-empty one, so that no line
		// ends in spaces.
		last := len(line) - 1
		for last > 0 && line[last] == "" {
			last--
		}
		for i, c := range line[:last+1] {
			b.WriteString(c)
			if i < last {
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(c)+2))
			}
		}
		if t.Color && colour[li] != "" {
			b.WriteString(ansiReset)
		}
		b.WriteByte('\n')
	}
	b.WriteString(summary(tx, r))
	b.WriteString(outsideSection(tx, r))
	if t.Explain {
		b.WriteString(explanations(tx, r))
		b.WriteString(firewallExplanations(tx, r))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
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
			fmt.Fprintf(&b, "\n%s — %s (%s)\n", Escape(row.ServiceLabel), Escape(row.ServiceName), riskText(tx, row.Severity))
			for _, field := range []string{"risk", "restrict"} {
				if text := tx.get("entry." + row.Service + "." + field); text != "" {
					fmt.Fprintf(&b, "  %s %s\n", tx.get("explain."+field), text)
				}
			}
		}
		for _, f := range row.Findings {
			key := strings.TrimSuffix(f.Message.Key, ".text") + ".detail"
			if !seen[key] {
				seen[key] = true
				if text := tx.get(key); text != "" {
					fmt.Fprintf(&b, "\n%s\n  %s\n", tx.note(report.Note{Key: f.Message.Key, Args: f.Message.Args}), text)
				}
			}
		}
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "\n%s\n", tx.get("explain.more"))
	}
	return b.String()
}

// serviceText is the SERVICE cell.
func serviceText(tx texts, row report.Row) string {
	if row.ServiceLabel == "" {
		return tx.get("service.unknown")
	}
	return Escape(row.ServiceLabel)
}

// riskText is the RISK cell.
func riskText(tx texts, severity string) string {
	s, err := knowledge.ParseSeverity(severity)
	if err != nil {
		return severity
	}
	return s.Label(tx.lang)
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

// ExposureText is the EXPOSURE cell in English: who can reach the row.
func ExposureText(class, iface string) string { return exposureText(newTexts("en", nil), class, iface) }

func exposureText(tx texts, class, iface string) string {
	switch class {
	case report.ExposureAll:
		return tx.get("exposure.all")
	case report.ExposureLoopback:
		return tx.get("exposure.loopback")
	case report.ExposureDevice:
		return tx.get("exposure.device", Escape(iface))
	case report.ExposureLinkLocal:
		return strings.TrimSpace(tx.get("exposure.link-local", Escape(iface)))
	case report.ExposureAddress:
		if iface != "" {
			return Escape(iface)
		}
		return tx.get("exposure.one-addr")
	}
	return class
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

// Summary is the text under the table in English: what was hidden, whose
// owners are unknown, and what this run could not see.
func Summary(r *report.Report) string { return summary(newTexts("en", nil), r) }

func summary(tx texts, r *report.Report) string {
	var b strings.Builder
	var parts []string
	if n := r.Hidden[report.ExposureLoopback]; n > 0 {
		parts = append(parts, tx.get("summary.hidden", n, plural(n, "socket")))
	}
	unknown := 0
	for _, row := range r.Rows {
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersUnknown {
				unknown++
			}
		}
	}
	parts = append(parts, tx.get("summary.unknown", unknown, plural(unknown, "socket")))
	rootAll := 0
	for _, row := range r.Rows {
		for _, f := range row.Findings {
			if f.Rule == "root-wildcard" {
				rootAll++
				break
			}
		}
	}
	if rootAll > 0 {
		parts = append(parts, tx.get("summary.root-wildcard", rootAll, plural(rootAll, "line")))
	}
	if len(r.Rows) == 0 {
		// An all-clear only from a view that saw everything.
		key := "summary.nothing"
		if !r.Complete {
			key = "summary.nothing-seen"
		}
		parts = append([]string{tx.get(key)}, parts...)
	}
	if len(r.NATBackends) > 1 {
		parts = append(parts, tx.get("summary.nat-two-backends", Escape(strings.Join(r.NATBackends, " and "))))
	}
	if m := ownerMethodText(tx, r.OwnerMethod); m != "" {
		parts = append(parts, tx.get("summary.owners", m))
	}
	b.WriteString(strings.Join(parts, " · "))
	b.WriteByte('\n')
	b.WriteString(policySummary(tx, r))
	for _, g := range r.Gaps {
		fmt.Fprintf(&b, "%s\n", tx.get("summary.incomplete", Escape(tx.gap(g.Area, g.Reason, g.Detail, g.Count))))
	}
	return b.String()
}

// ownerMethodText names how owners were found.
func ownerMethodText(tx texts, method string) string {
	switch method {
	case "":
		return ""
	case "proc-fd":
		return "/proc/PID/fd"
	case "ebpf-task-file":
		return tx.get("owners.ebpf")
	}
	return Escape(method)
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// portCell is the PORT column: the number, or what the tool printed when
// the port could not be read (never a 0 that would mean nothing).
func portCell(row report.Row) string {
	if row.PortText != "" {
		return Escape(row.PortText) + "?"
	}
	if row.Proto == snapshot.Raw {
		return "proto " + strconv.Itoa(int(row.Port)) // an IP protocol, not a port
	}
	return strconv.Itoa(int(row.Port))
}
