package analysis

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Options select what the report shows.
type Options struct {
	// All shows loopback-only sockets too.
	All bool
	// Knowledge names services and rates them; nil leaves services
	// unknown.
	Knowledge *knowledge.Base
	// Provenance, when set, says which service started each process and
	// whether the administrator enabled it (a note on each row).
	Provenance ProvenanceFunc
	// Tool names the program doing the analysis, for the report.
	Tool *snapshot.Tool
}

// Build analyses snap into a report. snap is not modified.
func Build(snap *snapshot.Snapshot, opt Options) *report.Report {
	r := &report.Report{
		Schema:         report.SchemaVersion,
		Host:           snap.Host,
		MachineID:      snap.MachineID,
		CollectSeconds: snap.CollectSeconds,
		Tool:           opt.Tool,
		Source:         snap.Source,
		OwnerMethod:    snap.OwnerMethod,
		Gaps:           snap.Gaps,
		NATBackends:    snap.NATBackends,
		RawSockets:     snap.RawSockets,
		RawTablesRead:  snap.RawTablesRead,
		Rows:           []report.Row{},
	}
	if !snap.Taken.IsZero() {
		r.Taken = snap.Taken.Format(time.RFC3339Nano)
	}
	ifaces := map[uint64][]snapshot.Interface{}
	for _, i := range snap.Interfaces {
		ifaces[i.NetNS] = append(ifaces[i.NetNS], i)
	}

	complete := len(snap.Gaps) == 0
	byKey := map[rowKey]*report.Row{}
	var rows []*report.Row
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.OwnerState == snapshot.OwnersUnknown || s.OwnerState == snapshot.OwnersPartial {
			complete = false
		}
		class, iface := Exposure(s, ifaces[s.NetNS])
		rs := report.Socket{Socket: *s, Exposure: class, Reach: Reach(s, snap.BindV6Only), Interface: iface}
		key := keyOf(&rs)
		row, ok := byKey[key]
		if !ok {
			row = &report.Row{NetNS: s.NetNS, Proto: s.Proto, Port: s.Local.Port(), PortText: s.PortText, Exposure: class, Interface: iface}
			byKey[key] = row
			rows = append(rows, row)
		}
		row.Sockets = append(row.Sockets, rs)
	}
	for _, row := range rows {
		finishRow(row, snap.OwnerMethod)
		row.Notes = append(row.Notes, localnetNotes(row, ifaces[row.NetNS])...)
	}
	rows = append(rows, addPublished(snap, rows, ifaces)...)
	severity := make(map[*report.Row]knowledge.Severity, len(rows))
	views := map[uint64]*netView{}
	for _, row := range rows {
		sev := knowledge.Review
		if row.Exposure == report.ExposureLoopback {
			sev = knowledge.Info
		}
		if opt.Knowledge != nil {
			sev = identify(opt.Knowledge, snap.OS, row)
		}
		if opt.Provenance != nil {
			addProvenance(row, opt.Provenance)
		}
		if snap.Firewall != nil {
			view, ok := views[row.NetNS]
			if !ok {
				view = newNetView(ifaces[row.NetNS])
				views[row.NetNS] = view
			}
			row.Firewall = firewallVerdict(snap.Firewall, view, row)
		}
		severity[row] = sev
	}
	if opt.Knowledge != nil {
		applyRules(opt.Knowledge, snap, rows)
	}
	nsUsed := map[uint64]bool{}
	shown := make([]*report.Row, 0, len(rows))
	for _, row := range rows {
		sev := severity[row]
		for _, f := range row.Findings {
			sev = max(sev, f.Severity)
		}
		row.Severity = sev
		if row.Exposure == report.ExposureLoopback && !opt.All {
			if r.Hidden == nil {
				r.Hidden = map[snapshot.Exposure]int{}
			}
			r.Hidden[report.ExposureLoopback] += len(row.Sockets)
			continue
		}
		nsUsed[row.NetNS] = true
		shown = append(shown, row)
	}
	// Sorted as pointers: a Row is large to move.
	slices.SortStableFunc(shown, compareRows)
	r.Rows = slices.Grow(r.Rows, len(shown))
	for _, row := range shown {
		r.Rows = append(r.Rows, *row)
	}
	for _, ns := range snap.Namespaces {
		if nsUsed[ns.ID] {
			r.Namespaces = append(r.Namespaces, ns)
		}
	}
	r.Complete = complete
	if !complete {
		r.ExitCode = report.ExitIncomplete
	}
	return r
}

// rowKey groups sockets that a person sees as one service line: the same
// namespace, protocol, port, exposure and holders. Wildcards of both
// families share a key, as do 127.0.0.1 and ::1.
type rowKey struct {
	netns    uint64
	proto    snapshot.Proto
	port     uint16
	exposure snapshot.Exposure
	iface    string
	addr     string
	owners   string
}

func keyOf(s *report.Socket) rowKey {
	k := rowKey{netns: s.NetNS, proto: s.Proto, port: s.Local.Port(), exposure: s.Exposure, iface: s.Interface, owners: ownerKey(&s.Socket)}
	addr := s.Local.Addr().Unmap().WithZone("")
	switch {
	case s.Exposure == report.ExposureAll || s.Exposure == report.ExposureDevice:
		k.addr = "*"
	case addr == loopback4 || addr == loopback6:
		k.addr = "localhost"
	case !s.Local.Addr().IsValid():
		k.addr = "text:" + s.LocalText
	default:
		k.addr = s.Local.Addr().String()
	}
	if s.PortText != "" {
		// A port the tool printed as a name openports does not know, or
		// cut: keep apart what only the text tells apart.
		k.addr += "|port:" + s.PortText
	}
	return k
}

// ownerKey identifies the set of holders of a socket, or, when they are not
// known, the socket's user and its owner state.
func ownerKey(s *snapshot.Socket) string {
	b := make([]byte, 0, 32)
	b = append(b, s.OwnerState...)
	b = append(b, ':')
	if len(s.Owners) == 0 {
		if s.UID != nil {
			b = strconv.AppendUint(b, uint64(*s.UID), 10)
		}
		return string(b)
	}
	for _, o := range s.Owners {
		b = strconv.AppendInt(b, int64(o.PID), 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, o.StartTime, 10)
		b = append(b, ',')
	}
	return string(b)
}

// finishRow derives the row's display address, reach, processes, owner
// state and note from its sockets.
func finishRow(row *report.Row, ownerMethod snapshot.OwnerMethod) {
	slices.SortFunc(row.Sockets, func(a, b report.Socket) int { return snapshot.CompareSockets(a.Socket, b.Socket) })
	var v4, v6 bool
	seen := map[[2]uint64]bool{}
	state := snapshot.OwnersComplete
	for _, s := range row.Sockets {
		switch s.Reach {
		case report.ReachV4:
			v4 = true
		case report.ReachV6:
			v6 = true
		default:
			v4, v6 = true, true
		}
		if weaker(s.OwnerState, state) {
			state = s.OwnerState
		}
		for _, o := range s.Owners {
			k := [2]uint64{uint64(o.PID), o.StartTime}
			if seen[k] {
				continue
			}
			seen[k] = true
			row.Processes = append(row.Processes, report.Process{
				PID: o.PID, StartTime: o.StartTime, PPID: o.PPID, Name: o.Name, User: o.User, UID: o.UID, Cgroup: o.Cgroup,
			})
		}
	}
	slices.SortFunc(row.Processes, func(a, b report.Process) int { return cmp.Compare(a.PID, b.PID) })
	switch {
	case v4 && v6:
		row.Reach = report.ReachBoth
	case v6:
		row.Reach = report.ReachV6
	default:
		row.Reach = report.ReachV4
	}
	first := row.Sockets[0]
	addr := first.Local.Addr().Unmap().WithZone("")
	switch {
	case row.Exposure == report.ExposureAll || row.Exposure == report.ExposureDevice:
		row.Address = "*"
	case (addr == loopback4 || addr == loopback6) && v4 && v6:
		row.Address = "localhost"
	case !first.Local.Addr().IsValid():
		row.Address = first.LocalText
	default:
		row.Address = first.Local.Addr().String()
	}
	row.OwnerState = state
	row.Notes = notes(row, ownerMethod)
}

// weaker reports whether owner state a says less than b.
func weaker(a, b snapshot.OwnerState) bool { return stateRank(a) > stateRank(b) }

func stateRank(s snapshot.OwnerState) int {
	switch s {
	case snapshot.OwnersComplete:
		return 0
	case snapshot.OwnersNone:
		return 1
	case snapshot.OwnersPartial:
		return 2
	default:
		return 3
	}
}

// notes says what a person should know about row: why its owners are not
// (all) known, how they were matched, and what the tool cut or printed in a
// form openports could not read.
func notes(row *report.Row, ownerMethod snapshot.OwnerMethod) []report.Note {
	var out []report.Note
	var reason report.Socket
	for _, rs := range row.Sockets {
		if rs.OwnerState == row.OwnerState {
			reason = rs
			break
		}
	}
	why := func() []string {
		uid := ""
		if reason.UID != nil {
			uid = strconv.FormatUint(uint64(*reason.UID), 10)
		}
		return []string{reason.OwnerReason, reason.OwnerReasonCode, uid, reason.User}
	}
	switch row.OwnerState {
	case snapshot.OwnersUnknown:
		out = append(out, report.Note{Key: "owner.unknown", Args: why()})
	case snapshot.OwnersPartial:
		out = append(out, report.Note{Key: "owner.partial", Args: why()})
	case snapshot.OwnersNone:
		out = append(out, report.Note{Key: "owner.none"})
	}
	var trunc, printed []string
	via := false
	for _, rs := range row.Sockets {
		for _, t := range rs.Truncated {
			if !slices.Contains(trunc, t) {
				trunc = append(trunc, t)
			}
		}
		if rs.PortText != "" && !slices.Contains(printed, rs.PortText) {
			printed = append(printed, rs.PortText)
		}
		for _, o := range rs.Owners {
			via = via || o.Via == ViaAddress
		}
	}
	if len(trunc) > 0 {
		out = append(out, report.Note{Key: "truncated", Args: []string{strings.Join(trunc, ", ")}})
	}
	if len(printed) > 0 {
		out = append(out, report.Note{Key: "port.printed", Args: []string{strings.Join(printed, ", ")}})
	}
	for _, rs := range row.Sockets {
		if rs.LocalText != "" && rs.Local.Addr().IsValid() {
			// The tool printed a name ("localhost") that was read as
			// an address: say so, the name may mean another one.
			out = append(out, report.Note{Key: "address.printed", Args: []string{rs.LocalText, rs.Local.Addr().String()}})
			break
		}
	}
	if via {
		out = append(out, report.Note{Key: "owner.via-address", Args: []string{string(ownerMethod)}})
	}
	return out
}

// ViaAddress is the snapshot.Owner.Via of an owner that a parser joined to
// its socket by address and port only (internal/parse/join).
const ViaAddress = "address"

// compareRows puts the riskiest rows first, then orders by port. A row the
// firewall blocks for every packet ranks below every row it lets through.
func compareRows(a, b *report.Row) int {
	return cmp.Or(
		cmp.Compare(a.NetNS, b.NetNS),
		cmp.Compare(blocked(a), blocked(b)),
		-cmp.Compare(a.Severity, b.Severity),
		cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.Proto, b.Proto),
		cmp.Compare(exposureRank(a.Exposure), exposureRank(b.Exposure)),
		cmp.Compare(a.Address, b.Address),
		cmp.Compare(firstPID(a), firstPID(b)),
	)
}

func blocked(r *report.Row) int {
	if r.Firewall != nil && r.Firewall.Verdict == firewall.Blocked {
		return 1
	}
	return 0
}

func exposureRank(e snapshot.Exposure) int {
	switch e {
	case report.ExposureAll:
		return 0
	case report.ExposureDevice:
		return 1
	case report.ExposureAddress:
		return 2
	case report.ExposureLinkLocal:
		return 3
	default:
		return 4
	}
}

func firstPID(r *report.Row) int {
	if len(r.Processes) == 0 {
		return 0
	}
	return r.Processes[0].PID
}
