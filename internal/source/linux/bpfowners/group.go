package bpfowners

import (
	"cmp"
	"slices"

	"github.com/openports/openports/internal/source/linux/fdscan"
)

// procKey identifies a process as the iterator saw it.
type procKey struct {
	tgid  uint32
	start uint64 // StartBoottime, ns
}

// grouper collects the records of one iteration: the wanted sockets per
// process, and every process's network namespace.
type grouper struct {
	wanted map[uint64]struct{}
	held   map[procKey][]fdscan.SocketFD
	netns  map[uint64]map[int]struct{} // namespace → PIDs
	procs  map[uint32]struct{}         // every process reported
	// truncated are the processes with a table the program did not
	// report in full: they count as not seen.
	truncated map[uint32]struct{}
	// sockets counts the socket records, wanted or not.
	sockets int

	// Streaming (see stream): cur is the process whose records are
	// coming, curKeys its holdings; emitted are the processes whose
	// holdings went to emit, late those of them that had records again
	// afterwards (a thread with a table of its own, visited later).
	emit    func(fdscan.Holding)
	toTicks func(ns uint64) uint64
	cur     uint32
	curKeys []procKey
	emitted map[uint32]struct{}
	late    map[uint32]struct{}
}

func newGrouper(wanted map[uint64]struct{}) *grouper {
	return &grouper{
		wanted: wanted,
		held:   make(map[procKey][]fdscan.SocketFD),
		netns:  make(map[uint64]map[int]struct{}),
		procs:  make(map[uint32]struct{}),

		truncated: make(map[uint32]struct{}),
	}
}

// add takes one record. Records of PID 0 (the idle task) are ignored, and so
// are sockets not wanted (the kernel filters them too, unless the wanted set
// outgrew its map).
func (g *grouper) add(r Record) error {
	if r.TGID == 0 {
		return nil
	}
	if r.TGID != g.cur {
		g.closeCurrent()
		g.cur = r.TGID
	}
	if _, ok := g.emitted[r.TGID]; ok {
		g.late[r.TGID] = struct{}{}
	}
	if r.Process {
		if r.Truncated {
			g.truncated[r.TGID] = struct{}{}
		}
		if _, ok := g.procs[r.TGID]; ok {
			return nil
		}
		g.procs[r.TGID] = struct{}{}
		if r.NetNS != 0 {
			pids := g.netns[uint64(r.NetNS)]
			if pids == nil {
				pids = make(map[int]struct{})
				g.netns[uint64(r.NetNS)] = pids
			}
			pids[int(r.TGID)] = struct{}{}
		}
		return nil
	}
	g.sockets++
	if _, ok := g.wanted[r.Inode]; ok {
		k := procKey{tgid: r.TGID, start: r.StartBoottime}
		if _, ok := g.held[k]; !ok {
			g.curKeys = append(g.curKeys, k)
		}
		g.held[k] = append(g.held[k], fdscan.SocketFD{Inode: r.Inode, FD: int(r.FD), TID: int(r.TID)})
	}
	return nil
}

// stream makes add hand each process's holdings to emit as soon as the
// records of the next process begin, with start times converted by
// toTicks, so that they can be verified while the iterator still runs.
// The iterator visits tasks in the order of their thread ids, so a
// thread with a table of its own can come after other processes: its
// process is then given again by holdings, and is in redo.
func (g *grouper) stream(toTicks func(ns uint64) uint64, emit func(fdscan.Holding)) {
	g.toTicks, g.emit = toTicks, emit
	g.emitted = make(map[uint32]struct{})
	g.late = make(map[uint32]struct{})
}

// closeCurrent emits the holdings of the process whose records were
// coming, unless it was truncated (it is read through /proc).
func (g *grouper) closeCurrent() {
	keys := g.curKeys
	g.curKeys = g.curKeys[:0]
	if g.emit == nil || len(keys) == 0 {
		return
	}
	if _, ok := g.truncated[g.cur]; ok {
		return
	}
	if _, ok := g.late[g.cur]; ok {
		return // given again by holdings
	}
	g.emitted[g.cur] = struct{}{}
	for _, k := range keys {
		g.emit(fdscan.Holding{PID: int(k.tgid), StartTime: g.toTicks(k.start), Sockets: sortedSockets(slices.Clone(g.held[k]))})
	}
}

// redo returns the processes whose emitted holdings proved incomplete:
// their verification must be dropped, holdings gives them again.
func (g *grouper) redo() map[int]struct{} {
	redo := make(map[int]struct{}, len(g.late))
	for pid := range g.late {
		redo[int(pid)] = struct{}{}
	}
	return redo
}

// sortedSockets sorts socks by inode and descriptor and drops duplicates.
func sortedSockets(socks []fdscan.SocketFD) []fdscan.SocketFD {
	slices.SortFunc(socks, func(a, b fdscan.SocketFD) int {
		return cmp.Or(cmp.Compare(a.Inode, b.Inode), cmp.Compare(a.FD, b.FD))
	})
	return slices.Compact(socks)
}

// seen returns the processes the iterator reported in full: a truncated
// one must be read through /proc.
func (g *grouper) seen() map[int]struct{} {
	seen := make(map[int]struct{}, len(g.procs))
	for pid := range g.procs {
		if _, ok := g.truncated[pid]; !ok {
			seen[int(pid)] = struct{}{}
		}
	}
	return seen
}

// holdings returns the processes holding wanted sockets, by PID, with their
// start times converted by toTicks; not those reported truncated, which
// are read through /proc (seen), nor those emitted (see stream) unless
// they are in redo.
func (g *grouper) holdings(toTicks func(ns uint64) uint64) []fdscan.Holding {
	hs := make([]fdscan.Holding, 0, len(g.held))
	for k, socks := range g.held {
		if _, ok := g.truncated[k.tgid]; ok {
			continue
		}
		if _, ok := g.emitted[k.tgid]; ok {
			if _, late := g.late[k.tgid]; !late {
				continue
			}
		}
		hs = append(hs, fdscan.Holding{PID: int(k.tgid), StartTime: toTicks(k.start), Sockets: sortedSockets(socks)})
	}
	slices.SortFunc(hs, func(a, b fdscan.Holding) int {
		return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime))
	})
	return hs
}

// netNS returns the PIDs of each network namespace, ascending, in the form
// of fdscan.Result.NetNS.
func (g *grouper) netNS() map[uint64][]int {
	m := make(map[uint64][]int, len(g.netns))
	for ns, set := range g.netns {
		pids := make([]int, 0, len(set))
		for pid := range set {
			pids = append(pids, pid)
		}
		slices.Sort(pids)
		m[ns] = pids
	}
	return m
}
