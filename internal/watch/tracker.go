package watch

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/bpfwatch"
)

// OwnerFunc finds the holders of the wanted socket inodes: a map from inode
// to owners (absent: nobody seen holding it), and a reason when the view
// was incomplete ("" when complete).
type OwnerFunc func(wanted map[uint64]struct{}) (map[uint64][]snapshot.Owner, string)

// entry is one tracked socket.
type entry struct {
	sock       snapshot.Socket
	owners     []snapshot.Owner
	ownerState snapshot.OwnerState
	reason     string
	born       time.Time
	bornExact  bool
	learned    time.Time // when the tracker first heard of it
	// transparency is "" when sock.Transparent was read (a dump), else
	// why not (an eBPF record carries no socket options).
	transparency string
}

type addrKey struct {
	netns uint64
	proto snapshot.Proto
	local netip.AddrPort
}

// Tracker turns observations into events. It is not safe for concurrent
// use: one goroutine feeds it.
type Tracker struct {
	// Ephemeral is the host's ephemeral port range, nil when unknown.
	Ephemeral *snapshot.PortRange
	// UserName names a uid ("" when unknown); nil names none.
	UserName func(uid uint32) string
	// NSName names a network namespace by its inode (its `ip netns`
	// name, "" when it has none); nil names none.
	NSName func(netns uint64) string
	// Localnet returns the interfaces of a namespace through which
	// other machines reach its IPv4 loopback sockets (route_localnet),
	// or why that could not be read; nil reads nothing, and such sockets
	// are then not proven loopback-only.
	Localnet func(netns uint64) ([]string, error)
	// Reach, when set, receives a New event again when a poll has read
	// the IP_TRANSPARENT flag of a loopback socket its New event could
	// not tell (one known from an eBPF record): for a consumer that held
	// it back (watch --policy). It is not an event of the stream.
	Reach func(Event)
	// Emit receives every event, in order.
	Emit func(Event)
	// Summary counts the events emitted.
	Summary Summary

	byInode  map[uint64]*entry
	byCookie map[uint64]uint64
	byAddr   map[addrKey]uint64
	// closed remembers recently gone inodes (and cookies, in a separate
	// map) so that a late poll or record does not revive them; closedQ
	// holds the same keys in the order they closed, so that prune drops
	// the expired ones from the front without walking the maps.
	closed       map[uint64]time.Time
	closedCookie map[uint64]time.Time
	closedQ      []closedKey
	closedHead   int
	seen         map[uint64]struct{} // scratch for Poll
	// unowned are new sockets whose holder the lookup did not find (the
	// process forked after /proc was listed, or was unreadable for a
	// moment), with how many polls may still look again: their owner is
	// reported as owner-changed once found.
	unowned map[uint64]int
}

// OwnerRetries is how many polls after the first look up a new socket's
// owner again when none was found: a socket that lives longer than that
// many intervals is reported with its owner (an owner-changed event)
// unless the owner cannot be seen at all.
const OwnerRetries = 3

// OwnerWait is how long after a new socket's event its owner may still be
// reported, at poll interval iv: the retries, and one interval of lag.
func OwnerWait(iv time.Duration) time.Duration {
	if iv <= 0 {
		iv = DefaultInterval
	}
	return time.Duration(OwnerRetries+1) * iv
}

// closedKey is one entry of Tracker.closedQ.
type closedKey struct {
	at     time.Time
	key    uint64
	cookie bool // key is a cookie (closedCookie), not an inode
}

// closedFor is how long a closed inode or cookie is remembered: a poll or a
// record cannot lag that much.
const closedFor = time.Minute

// NewTracker returns an empty tracker that emits to emit.
func NewTracker(emit func(Event)) *Tracker {
	return &Tracker{Emit: emit, byInode: map[uint64]*entry{}, byCookie: map[uint64]uint64{}, byAddr: map[addrKey]uint64{},
		closed: map[uint64]time.Time{}, closedCookie: map[uint64]time.Time{}, seen: map[uint64]struct{}{}, unowned: map[uint64]int{}}
}

// Len returns how many sockets are tracked.
func (t *Tracker) Len() int { return len(t.byInode) }

// Start records the sockets present when watching begins, without events:
// their owners are looked up once, so that a later Gone names them.
func (t *Tracker) Start(now time.Time, socks []snapshot.Socket, owners OwnerFunc) {
	wanted := map[uint64]struct{}{}
	for _, s := range socks {
		if s.Inode == 0 {
			continue
		}
		t.add(&entry{sock: s, born: now, learned: now, ownerState: snapshot.OwnersUnknown})
		wanted[s.Inode] = struct{}{}
	}
	t.attach(wanted, owners)
	t.Summary.Initial = len(t.byInode)
}

func (t *Tracker) add(e *entry) {
	t.byInode[e.sock.Inode] = e
	if e.sock.Cookie != 0 {
		t.byCookie[e.sock.Cookie] = e.sock.Inode
	}
	t.byAddr[addrKey{e.sock.NetNS, e.sock.Proto, e.sock.Local}] = e.sock.Inode
}

func (t *Tracker) remove(e *entry, now time.Time) {
	delete(t.byInode, e.sock.Inode)
	delete(t.unowned, e.sock.Inode)
	t.close(e.sock.Inode, false, now)
	if e.sock.Cookie != 0 {
		delete(t.byCookie, e.sock.Cookie)
		t.close(e.sock.Cookie, true, now)
	}
	k := addrKey{e.sock.NetNS, e.sock.Proto, e.sock.Local}
	if t.byAddr[k] == e.sock.Inode {
		delete(t.byAddr, k)
	}
}

// attach looks up the owners of the wanted inodes and stores them.
func (t *Tracker) attach(wanted map[uint64]struct{}, owners OwnerFunc) {
	if len(wanted) == 0 || owners == nil {
		return
	}
	found, reason := owners(wanted)
	for ino := range wanted {
		e := t.byInode[ino]
		if e == nil {
			continue
		}
		e.owners = found[ino]
		switch {
		case len(e.owners) > 0 && reason == "":
			e.ownerState = snapshot.OwnersComplete
		case len(e.owners) > 0:
			e.ownerState, e.reason = snapshot.OwnersPartial, reason
		case reason == "":
			e.ownerState, e.reason = snapshot.OwnersNone, "no process holds it (closed before the scan, or a kernel socket)"
		default:
			e.ownerState, e.reason = snapshot.OwnersUnknown, reason
		}
	}
}

// Poll takes the sockets one poll listed (started at dumpStart, done at
// now): new ones are looked up in /proc (owners, for their inodes only) and
// reported, missing ones that the tracker knew before dumpStart are
// reported gone.
func (t *Tracker) Poll(dumpStart, now time.Time, socks []snapshot.Socket, owners OwnerFunc) {
	t.PollNamespaces(dumpStart, now, socks, nil, owners)
}

// PollNamespaces is Poll when some namespaces could not be polled: a
// tracked socket of a namespace for which polled returns false is kept as
// it was rather than reported gone. A nil polled means all were.
func (t *Tracker) PollNamespaces(dumpStart, now time.Time, socks []snapshot.Socket, polled func(netns uint64) bool, owners OwnerFunc) {
	t.Summary.Polls++
	clear(t.seen)
	wanted := map[uint64]struct{}{}
	var fresh []*entry
	for _, s := range socks {
		if s.Inode == 0 {
			continue
		}
		t.seen[s.Inode] = struct{}{}
		if e := t.byInode[s.Inode]; e != nil {
			if e.sock.Cookie == 0 && s.Cookie != 0 {
				e.sock.Cookie = s.Cookie
				t.byCookie[s.Cookie] = s.Inode
			}
			e.sock.State = s.State
			if e.transparency != "" {
				e.sock.Transparent, e.transparency = s.Transparent, ""
				if t.Reach != nil && e.sock.Local.Addr().Unmap().IsLoopback() {
					t.Reach(t.event(now, New, e, SeenPoll))
				}
			}
			continue
		}
		if _, gone := t.closed[s.Inode]; gone {
			continue
		}
		e := &entry{sock: s, born: dumpStart, learned: dumpStart, ownerState: snapshot.OwnersUnknown}
		t.add(e)
		fresh = append(fresh, e)
		wanted[s.Inode] = struct{}{}
	}
	// The sockets still without an owner are looked up again in the
	// same scan as the new ones.
	var retried []*entry
	for ino := range t.unowned {
		if _, ok := t.seen[ino]; !ok {
			continue // not in this dump (its namespace failed, or it is closing)
		}
		if e := t.byInode[ino]; e != nil && owners != nil {
			wanted[ino] = struct{}{}
			retried = append(retried, e)
		}
	}
	t.attach(wanted, owners)
	for _, e := range fresh {
		t.emit(now, New, e, SeenPoll)
		if len(e.owners) == 0 && owners != nil {
			t.unowned[e.sock.Inode] = OwnerRetries
		}
	}
	for _, e := range retried {
		ino := e.sock.Inode
		if len(e.owners) > 0 {
			delete(t.unowned, ino)
			t.send(t.event(now, OwnerChanged, e, SeenPoll))
			continue
		}
		if t.unowned[ino]--; t.unowned[ino] <= 0 {
			delete(t.unowned, ino)
		}
	}
	for ino, e := range t.byInode {
		if _, ok := t.seen[ino]; ok || !e.learned.Before(dumpStart) {
			continue
		}
		if polled != nil && !polled(e.sock.NetNS) {
			continue
		}
		t.remove(e, now)
		t.emit(now, Gone, e, SeenPoll)
	}
	t.prune(now)
}

// Bound takes an eBPF record. A bind of a UDP socket or a listen of a TCP
// socket that the tracker does not know is reported New at once, with the
// process that made the call as its owner; a TCP bind is left to the
// listen that follows it (a bound TCP socket that connects is a client).
func (t *Tracker) Bound(at time.Time, ev bpfwatch.Event) {
	var proto snapshot.Proto
	switch {
	case ev.Protocol == bpfwatch.ProtoUDP && ev.Kind == bpfwatch.Bind:
		proto = snapshot.UDP
	case ev.Protocol == bpfwatch.ProtoUDPLite && ev.Kind == bpfwatch.Bind:
		proto = snapshot.UDPLite
	case ev.Protocol == bpfwatch.ProtoTCP && ev.Kind == bpfwatch.Listen:
		proto = snapshot.TCP
	case ev.Protocol == bpfwatch.ProtoTCP && ev.Kind == bpfwatch.Close:
		if ino, ok := t.byCookie[ev.Cookie]; ok && ev.Cookie != 0 {
			if e := t.byInode[ino]; e != nil {
				t.remove(e, at)
				t.emit(at, Gone, e, SeenEBPF)
			}
		}
		return
	default:
		return
	}
	if ev.Inode == 0 {
		return
	}
	if _, gone := t.closed[ev.Inode]; gone {
		return
	}
	if e := t.byInode[ev.Inode]; e != nil {
		// The poll saw it first; the record knows its birth.
		e.born, e.bornExact = at, true
		return
	}
	state := snapshot.Unconnected
	if proto == snapshot.TCP {
		state = snapshot.Listen
	}
	uid := ev.UID
	o := snapshot.Owner{PID: ev.PID, Name: ev.Comm, UID: &uid, User: t.userName(ev.UID)}
	s := snapshot.Socket{Proto: proto, Local: ev.Local, State: state, Inode: ev.Inode, Cookie: ev.Cookie,
		NetNS: ev.NetNS, UID: snapshot.Uint32(ev.SockUID), User: t.userName(ev.SockUID), IfIndex: ev.IfIndex}
	e := &entry{sock: s, owners: []snapshot.Owner{o}, ownerState: snapshot.OwnersPartial,
		reason: "the process that bound it (recorded by eBPF); others may hold it too", born: at, bornExact: true, learned: at,
		transparency: "its IP_TRANSPARENT flag is not in the eBPF record, and no poll has dumped it yet"}
	t.add(e)
	t.emit(at, New, e, SeenEBPF)
}

// Destroyed takes a socket-destroy notice (s as sock_diag reported it, with
// NetNS set by the caller). A tracked socket is reported Gone; an untracked
// socket with a port and no peer (a UDP socket bound, or a TCP listener,
// that lived and died between two polls, unseen) is reported Gone too, with
// its address and uid but no owner. Connected sockets nobody tracked are
// ignored.
func (t *Tracker) Destroyed(now time.Time, s snapshot.Socket) {
	var e *entry
	if ino, ok := t.byCookie[s.Cookie]; ok && s.Cookie != 0 {
		e = t.byInode[ino]
	}
	if e == nil {
		if ino, ok := t.byAddr[addrKey{s.NetNS, s.Proto, s.Local}]; ok && s.Local.Port() != 0 {
			e = t.byInode[ino]
		}
	}
	if e != nil {
		t.remove(e, now)
		t.emit(now, Gone, e, SeenDestroy)
		return
	}
	if _, gone := t.closedCookie[s.Cookie]; gone && s.Cookie != 0 {
		return
	}
	if hasPeer(s) || s.Local.Port() == 0 {
		// Connections (a TCP client keeps its peer's address when it
		// closes) and unbound sockets.
		return
	}
	if s.Proto == snapshot.TCP {
		// A closed listener is in TCP_CLOSE like a socket that was only
		// bound: both had a port open to nobody in particular.
		s.State = snapshot.Listen
	}
	if s.Cookie != 0 {
		t.close(s.Cookie, true, now)
	}
	u := &entry{sock: s, born: now, learned: now, ownerState: snapshot.OwnersUnknown,
		reason: "closed before any poll saw it; the eBPF mode names such owners"}
	if s.UID != nil {
		u.sock.User = t.userName(*s.UID)
	}
	t.emit(now, Gone, u, SeenDestroy)
}

// Rescan looks up the owners of every tracked socket again and reports
// those whose holders changed (by PID and start time).
func (t *Tracker) Rescan(now time.Time, owners OwnerFunc) {
	if len(t.byInode) == 0 {
		return
	}
	wanted := make(map[uint64]struct{}, len(t.byInode))
	before := make(map[uint64][]snapshot.Owner, len(t.byInode))
	for ino, e := range t.byInode {
		wanted[ino] = struct{}{}
		before[ino] = e.owners
	}
	t.attach(wanted, owners)
	for ino, e := range t.byInode {
		prev := before[ino]
		if len(e.owners) > 0 {
			delete(t.unowned, ino)
		}
		if e.ownerState == snapshot.OwnersUnknown || samePIDs(prev, e.owners) {
			continue
		}
		if len(e.owners) == 0 {
			// Nobody holds it: it is closing; a poll or a notice
			// will report it gone. Keep who held it.
			e.owners = prev
			continue
		}
		ev := t.event(now, OwnerChanged, e, SeenRescan)
		ev.Previous = prev
		t.send(ev)
	}
}

func samePIDs(a, b []snapshot.Owner) bool {
	return slices.EqualFunc(a, b, func(x, y snapshot.Owner) bool {
		return x.PID == y.PID && (x.StartTime == 0 || y.StartTime == 0 || x.StartTime == y.StartTime)
	})
}

// close remembers a closed inode or cookie until closedFor has passed.
func (t *Tracker) close(key uint64, cookie bool, now time.Time) {
	if cookie {
		t.closedCookie[key] = now
	} else {
		t.closed[key] = now
	}
	t.closedQ = append(t.closedQ, closedKey{at: now, key: key, cookie: cookie})
}

// prune forgets the inodes and cookies closed more than closedFor ago,
// oldest first, stopping at the first one still young: the work is the
// number of keys it drops. Keys are queued nearly in time order (eBPF
// record times may precede a notice's by the reader's lag), so that a key
// may outlive closedFor by that lag, never less.
func (t *Tracker) prune(now time.Time) {
	for t.closedHead < len(t.closedQ) {
		k := t.closedQ[t.closedHead]
		if now.Sub(k.at) <= closedFor {
			break
		}
		m := t.closed
		if k.cookie {
			m = t.closedCookie
		}
		if at, ok := m[k.key]; ok && at.Equal(k.at) {
			delete(m, k.key)
		}
		t.closedQ[t.closedHead] = closedKey{}
		t.closedHead++
	}
	// Reuse the front of the queue once half of it is spent.
	if t.closedHead > 1024 && 2*t.closedHead >= len(t.closedQ) {
		n := copy(t.closedQ, t.closedQ[t.closedHead:])
		t.closedQ = t.closedQ[:n]
		t.closedHead = 0
	}
}

// Remembered returns how many closed inodes and cookies the tracker keeps
// (to tell a late poll from a new socket): bounded by what closed in the
// last minute.
func (t *Tracker) Remembered() int { return len(t.closed) + len(t.closedCookie) }

func (t *Tracker) userName(uid uint32) string {
	if t.UserName == nil {
		return ""
	}
	return t.UserName(uid)
}

func (t *Tracker) event(now time.Time, k Kind, e *entry, seen string) Event {
	ev := Event{Time: now, Kind: k, Proto: e.sock.Proto, Local: e.sock.Local, State: e.sock.State, NetNS: e.sock.NetNS,
		Inode: e.sock.Inode, Cookie: e.sock.Cookie, UID: e.sock.UID, User: e.sock.User, Owners: e.owners,
		OwnerState: e.ownerState, OwnerReason: e.reason, SeenBy: seen}
	if ev.User == "" && ev.UID != nil {
		ev.User = t.userName(*ev.UID)
	}
	if t.NSName != nil && ev.NetNS != 0 {
		ev.NetNSName = t.NSName(ev.NetNS)
	}
	if k != Gone {
		t.loopbackReach(&ev, e)
	}
	if t.Ephemeral != nil && e.sock.State != snapshot.Listen && t.Ephemeral.Contains(e.sock.Local.Port()) {
		ev.Ephemeral = true
	}
	if k == Gone {
		ev.Lived = now.Sub(e.born)
		if ev.Lived < 0 {
			ev.Lived = 0
		}
		ev.LivedMS = float64(ev.Lived.Microseconds()) / 1000
		ev.LivedExact = e.bornExact
	}
	return ev
}

func (t *Tracker) emit(now time.Time, k Kind, e *entry, seen string) {
	if k == New && seen == SeenDestroy {
		return
	}
	t.send(t.event(now, k, e, seen))
}

func (t *Tracker) send(ev Event) {
	switch ev.Kind {
	case New:
		t.Summary.New++
		if len(ev.Owners) > 0 {
			t.Summary.NewWithOwner++
		}
	case Gone:
		t.Summary.Gone++
	case OwnerChanged:
		t.Summary.OwnerChanged++
	}
	if t.Emit != nil {
		t.Emit(ev)
	}
}

// hasPeer reports whether s names a remote end: a connected socket.
func hasPeer(s snapshot.Socket) bool {
	return s.Remote.IsValid() // sockdiag leaves it zero without a peer
}

// loopbackReach sets what tells whether other machines reach ev's socket
// although it is bound to a loopback address: IP_TRANSPARENT, and the
// interfaces whose route_localnet is on (IPv4); ExposureUnknown when
// either could not be read.
func (t *Tracker) loopbackReach(ev *Event, e *entry) {
	addr := e.sock.Local.Addr().Unmap()
	if !addr.IsLoopback() {
		return
	}
	ev.Transparent = e.sock.Transparent
	var why []string
	if e.transparency != "" {
		why = append(why, e.transparency)
		ev.TransparentUnknown = true
	}
	if addr.Is4() {
		switch {
		case t.Localnet == nil:
			why = append(why, "route_localnet was not read")
		default:
			via, err := t.Localnet(e.sock.NetNS)
			if err != nil {
				why = append(why, err.Error())
			}
			ev.RouteLocalnet = via
		}
	}
	ev.ExposureUnknown = strings.Join(why, "; ")
}
