package analysis

import (
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// ProvenanceFunc gives the provenance of process p (PID, name, cgroup)
// holding sockets of proto on port (internal/provenance.Resolver.Resolve);
// nil when it cannot tell.
type ProvenanceFunc func(proto snapshot.Proto, port uint16, p snapshot.Owner) *snapshot.Provenance

// addProvenance sets the provenance of each of row's processes and notes
// the root process's: "provenance.<verdict>" with the evidence and the
// reason code as arguments.
func addProvenance(row *report.Row, fn ProvenanceFunc) {
	if len(row.Processes) == 0 {
		return
	}
	for i := range row.Processes {
		p := &row.Processes[i]
		p.Provenance = fn(row.Proto, row.Port, snapshot.Owner{PID: p.PID, Name: p.Name, Cgroup: p.Cgroup})
	}
	// The service is the root process's, unless no script or unit runs
	// it while one runs another holder of the socket: without parent
	// PIDs (fstat) Postfix's smtpd children may come first, yet the
	// master is the service.
	root := rootProcess(row.Processes)
	var pv *report.Provenance
	for i := range row.Processes {
		if row.Processes[i].PID == root.PID {
			pv = row.Processes[i].Provenance
		}
	}
	if pv == nil || unmatched(pv) {
		for i := range row.Processes {
			if q := row.Processes[i].Provenance; q != nil && !unmatched(q) {
				pv = q
				break
			}
		}
	}
	if pv == nil {
		return
	}
	// A process holding the same listening socket as the service's
	// belongs to the service (Postfix's smtpd children hold master's
	// socket): it gets the service's verdict and evidence. The processes
	// of one row hold the same sockets.
	if !unmatched(pv) {
		for i := range row.Processes {
			if q := row.Processes[i].Provenance; q == nil || unmatched(q) {
				shared := *pv
				row.Processes[i].Provenance = &shared
			}
		}
	}
	row.Notes = append(row.Notes, ProvenanceNote(pv))
}

// ProvenanceNote is the NOTE of a provenance: key "provenance.<verdict>",
// arguments the evidence ("/etc/rc.conf:3 sshd=YES; ..."), the reason code
// and the service.
func ProvenanceNote(pv *report.Provenance) report.Note {
	ev := make([]string, 0, len(pv.Evidence))
	for _, e := range pv.Evidence {
		if s := e.String(); s != "" {
			ev = append(ev, s)
		}
	}
	return report.Note{Key: "provenance." + pv.Verdict, Args: []string{strings.Join(ev, "; "), pv.Reason, pv.Service}}
}

// unmatched reports whether pv says only that no script or unit was found.
func unmatched(pv *report.Provenance) bool {
	return pv.Reason == "no-script" || pv.Reason == "no-unit" || pv.Reason == "no-config"
}
