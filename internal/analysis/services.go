package analysis

import (
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// identify names the service of row from the knowledge base: by the name
// of its first process, else by port. Unknown services are said to be
// unknown, and rate "review" wherever other hosts can reach them.
func identify(kb *knowledge.Base, os string, row *report.Row) knowledge.Severity {
	name := ""
	if len(row.Processes) > 0 {
		name = rootProcess(row.Processes).Name
	}
	port := row.Port
	if row.Proto == snapshot.Raw {
		port = 0 // a raw socket's "port" is its IP protocol: no service by port
	}
	m, ok := kb.Identify(name, row.Proto, port, os)
	if m.Via != nil {
		row.Via = m.Via.ID
	}
	if !ok {
		if row.Exposure == report.ExposureLoopback {
			return knowledge.Info
		}
		return knowledge.Review
	}
	e := m.Entry
	row.Service, row.ServiceLabel, row.ServiceName = e.ID, e.Service, e.Name
	row.IdentifiedBy = string(m.By)
	row.Explanation = e.Keys()
	if m.By == knowledge.ByPort && m.Via == nil && row.OwnerState == snapshot.OwnersComplete {
		row.Notes = append(row.Notes, report.Note{Key: "message.identified.by-port.text"})
	}
	if m.Via != nil && m.Via.ID != e.ID {
		row.Notes = append(row.Notes, report.Note{Key: "message.identified.via.text", Args: []string{m.Via.Name}})
	}
	return e.Severity(row.Exposure)
}

// rootProcess is the process of ps whose parent is not among them (the
// Postfix master, not one of its smtpd children), or the first.
func rootProcess(ps []report.Process) report.Process {
	pids := make(map[int]bool, len(ps))
	for _, p := range ps {
		pids[p.PID] = true
	}
	for _, p := range ps {
		if !pids[p.PPID] {
			return p
		}
	}
	return ps[0]
}
