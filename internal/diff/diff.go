// Package diff compares two snapshots of one host: which sockets appeared,
// which vanished, and which changed their owners or their exposure. It is
// pure: no I/O, no clock.
//
// A socket is identified across snapshots by what an administrator names it
// by: its network namespace, protocol, local address and port, and remote
// address (zero for listening and unconnected sockets). Inodes and cookies
// change when a daemon restarts and reopens the same port; that shows up as
// an owner change (new PIDs), not as a socket that vanished and appeared.
//
// A port published by a DNAT rule (snapshot.Published) is compared too,
// whether a socket backs it or not: by protocol, published address and
// port, and for what changed, its exposure and target — the container by
// its name, which outlives its ID and address when it is recreated.
package diff

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/snapshot"
)

// Kind is what happened to a socket between two snapshots.
type Kind string

// The kinds of change Compare reports.
const (
	// New: the socket is in B but not in A.
	New Kind = "new"
	// Gone: the socket is in A but not in B.
	Gone Kind = "gone"
	// Changed: the socket is in both, with other owners or exposure.
	Changed Kind = "changed"
)

// What a Changed entry says changed.
const (
	FieldOwners   = "owners"
	FieldExposure = "exposure"
	FieldState    = "state"
	// FieldTarget: a published port goes to another container (or,
	// when neither side names one, another address).
	FieldTarget = "target"
)

// Key identifies a socket across snapshots.
type Key struct {
	NetNS  uint64         `json:"netns,omitempty"`
	Proto  snapshot.Proto `json:"proto"`
	Local  netip.AddrPort `json:"local"`
	Remote netip.AddrPort `json:"remote,omitzero"`
	// LocalText is kept for parsed sockets whose address was a name, and
	// for a published prefix ("10.0.0.0/8") or negated address ("!127.0.0.1").
	LocalText string `json:"local_text,omitempty"`
	// Published marks a port published by a DNAT rule, Local being the
	// published address and port; PortLast ends a published range.
	Published bool   `json:"published,omitempty"`
	PortLast  uint16 `json:"port_last,omitempty"`
}

// KeyOf returns the identity of s.
func KeyOf(s *snapshot.Socket) Key {
	return Key{NetNS: s.NetNS, Proto: s.Proto, Local: s.Local, Remote: s.Remote, LocalText: s.LocalText}
}

// String writes k as "tcp 0.0.0.0:22" (with the remote end after "->" when
// there is one and the namespace in brackets when it is not the current).
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(string(k.Proto))
	b.WriteByte(' ')
	b.WriteString(AddrText(k.Local, k.LocalText))
	if k.PortLast != 0 {
		b.WriteString("-" + strconv.Itoa(int(k.PortLast)))
	}
	if k.Published {
		b.WriteString(" published")
	}
	if k.Remote.IsValid() {
		b.WriteString(" -> ")
		b.WriteString(k.Remote.String())
	}
	if k.NetNS != 0 {
		b.WriteString(" [netns ")
		b.WriteString(strconv.FormatUint(k.NetNS, 10))
		b.WriteByte(']')
	}
	return b.String()
}

// AddrText writes a local address and port as a person reads it
// ("0.0.0.0:53", "[::]:22"), with the text a parser kept in place of an
// address it could not read ("host.example:80").
func AddrText(ap netip.AddrPort, text string) string {
	if !ap.Addr().IsValid() {
		if text == "" {
			text = "?"
		}
		return text + ":" + strconv.Itoa(int(ap.Port()))
	}
	return ap.String()
}

// Side is one socket as one snapshot saw it.
type Side struct {
	// Exposure is the analysis.Exposure class, Interface the interface
	// it names, if any.
	Exposure  snapshot.Exposure `json:"exposure"`
	Interface string            `json:"interface,omitempty"`
	State     snapshot.State    `json:"state"`
	Owners    []snapshot.Owner  `json:"owners,omitempty"`
	// OwnerState is the snapshot's OwnerState of the socket.
	OwnerState snapshot.OwnerState `json:"owner_state"`
	UID        *uint32             `json:"uid,omitempty"`
	User       string              `json:"user,omitempty"`
	Inode      uint64              `json:"inode,omitempty"`
	// Ephemeral says the port is in the host's ephemeral range and the
	// socket does not listen.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Target is where a published port's packets go (Key.Published).
	Target *Target `json:"target,omitempty"`
}

// Target is where a DNAT rule sends a published port.
type Target struct {
	// Address is the rule's target ("192.0.2.2:80", port kept when
	// "192.0.2.2", "localhost:8080" for a redirect).
	Address string `json:"address"`
	// Container is the name of the container or pod holding the target
	// address (snapshot.Container.Key), Label how tables name it.
	Container string `json:"container,omitempty"`
	Label     string `json:"label,omitempty"`
	// Backend, Table and Chain name the rule.
	Backend string `json:"backend"`
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	// port is the target port (0: kept), compared with the container.
	port uint16
}

// Change is one socket that differs between the snapshots.
type Change struct {
	Kind Kind `json:"kind"`
	Key  Key  `json:"socket"`
	// Fields lists what changed, for Changed only (FieldOwners,
	// FieldExposure, FieldState, FieldTarget), in that order.
	Fields []string `json:"fields,omitempty"`
	// Before is the socket in A (nil for New); After in B (nil for Gone).
	Before *Side `json:"before,omitempty"`
	After  *Side `json:"after,omitempty"`
}

// Meta describes one compared snapshot.
type Meta struct {
	Host      string             `json:"host,omitempty"`
	Kernel    string             `json:"kernel,omitempty"`
	Taken     string             `json:"taken,omitempty"`
	Source    string             `json:"source"`
	Privilege snapshot.Privilege `json:"privilege"`
	Sockets   int                `json:"sockets"`
	Complete  bool               `json:"complete"`
	// CurrentNetNS is the namespace the collector ran in (0 when
	// unknown): tables leave it unnamed.
	CurrentNetNS uint64 `json:"current_netns,omitempty"`
}

// Result is the comparison of snapshot A (before) with B (after).
type Result struct {
	A Meta `json:"a"`
	B Meta `json:"b"`
	// Changes are sorted by socket (namespace, protocol, port, address),
	// gone before new for the same key.
	Changes []Change `json:"changes"`
	// Notes say why a comparison may be misleading (different hosts,
	// a view that was incomplete on one side).
	Notes []Note `json:"notes,omitempty"`
}

// Differ reports whether the snapshots differ.
func (r *Result) Differ() bool { return len(r.Changes) > 0 }

// Counts returns how many changes there are of each kind.
func (r *Result) Counts() map[Kind]int {
	m := map[Kind]int{}
	for _, c := range r.Changes {
		m[c.Kind]++
	}
	return m
}

// Incomplete tells whether a snapshot has gaps: then finding no
// difference does not prove that none happened where it could not see.
func (r *Result) Incomplete() bool {
	return !r.A.Complete || !r.B.Complete
}

// Note is a remark on the whole comparison, as a code and its arguments;
// renderers put it into words (Text, in JSON).
type Note struct {
	Key  string   `json:"key"`
	Args []string `json:"args,omitempty"`
	Text string   `json:"text,omitempty"`
}

// The notes Compare makes.
const (
	// NoteOtherHost: the snapshots are of two hosts (args: both names).
	NoteOtherHost = "other-host"
	// NoteGaps: a snapshot has gaps, so an owner change may be a change
	// in what could be seen.
	NoteGaps = "gaps"
)

// Options tunes Compare.
type Options struct {
	// Established also compares connected sockets; by default only
	// listening and unconnected (bound) sockets are compared, as list
	// shows them.
	Established bool
}

// Compare compares a (before) with b (after). Neither is modified.
func Compare(a, b *snapshot.Snapshot, opt Options) *Result {
	r := &Result{A: meta(a), B: meta(b), Changes: []Change{}}
	if a.Host != "" && b.Host != "" && a.Host != b.Host {
		r.Notes = append(r.Notes, Note{Key: NoteOtherHost, Args: []string{a.Host, b.Host}})
	}
	if r.Incomplete() {
		r.Notes = append(r.Notes, Note{Key: NoteGaps})
	}
	before, after := index(a, opt), index(b, opt)
	for k, sa := range before {
		sb, ok := after[k]
		if !ok {
			r.Changes = append(r.Changes, Change{Kind: Gone, Key: k, Before: sa})
			continue
		}
		if f := changed(sa, sb); len(f) > 0 {
			r.Changes = append(r.Changes, Change{Kind: Changed, Key: k, Fields: f, Before: sa, After: sb})
		}
	}
	for k, sb := range after {
		if _, ok := before[k]; !ok {
			r.Changes = append(r.Changes, Change{Kind: New, Key: k, After: sb})
		}
	}
	slices.SortFunc(r.Changes, compareChanges)
	return r
}

func meta(s *snapshot.Snapshot) Meta {
	m := Meta{Host: s.Host, Kernel: s.Kernel, Source: s.Source, Privilege: s.Privilege, Sockets: len(s.Sockets), Complete: len(s.Gaps) == 0}
	for _, ns := range s.Namespaces {
		if ns.Current {
			m.CurrentNetNS = ns.ID
		}
	}
	if !s.Taken.IsZero() {
		m.Taken = s.Taken.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return m
}

// index keys the compared sockets of s. Two sockets of one key (a
// SO_REUSEPORT group) are merged into one side with every owner.
func index(s *snapshot.Snapshot, opt Options) map[Key]*Side {
	eph := EphemeralRange(s)
	ifaces := map[uint64][]snapshot.Interface{}
	for _, i := range s.Interfaces {
		ifaces[i.NetNS] = append(ifaces[i.NetNS], i)
	}
	m := make(map[Key]*Side, len(s.Sockets))
	for i := range s.Sockets {
		so := &s.Sockets[i]
		if !opt.Established && so.Remote.IsValid() && so.State != snapshot.Listen {
			continue
		}
		k := KeyOf(so)
		class, iface := analysis.Exposure(so, ifaces[so.NetNS])
		side := m[k]
		if side == nil {
			side = &Side{Exposure: class, Interface: iface, State: so.State, OwnerState: so.OwnerState,
				UID: so.UID, User: so.User, Inode: so.Inode,
				Ephemeral: eph != nil && so.State != snapshot.Listen && eph.Contains(so.Local.Port())}
			m[k] = side
		} else if rank(so.OwnerState) < rank(side.OwnerState) {
			side.OwnerState = so.OwnerState
		}
		for _, o := range so.Owners {
			if !slices.ContainsFunc(side.Owners, func(x snapshot.Owner) bool { return x.PID == o.PID && x.StartTime == o.StartTime }) {
				o.FDs = nil // descriptors are noise across snapshots
				side.Owners = append(side.Owners, o)
			}
		}
	}
	indexPublished(s, ifaces, m)
	for _, side := range m {
		slices.SortFunc(side.Owners, func(a, b snapshot.Owner) int {
			return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime))
		})
	}
	return m
}

// rank orders owner states from the weakest.
func rank(s snapshot.OwnerState) int {
	switch s {
	case snapshot.OwnersUnknown:
		return 0
	case snapshot.OwnersPartial:
		return 1
	case snapshot.OwnersNone:
		return 2
	}
	return 3
}

// EphemeralRange returns the snapshot's ephemeral port range, or its OS's
// default, or nil when neither is known.
func EphemeralRange(s *snapshot.Snapshot) *snapshot.PortRange {
	if s.EphemeralPorts != nil {
		return s.EphemeralPorts
	}
	if r, ok := knowledge.DefaultEphemeral(s.OS); ok {
		return &r
	}
	return nil
}

// changed lists the fields in which a and b differ.
func changed(a, b *Side) []string {
	var f []string
	if !sameOwners(a, b) {
		f = append(f, FieldOwners)
	}
	if a.Exposure != b.Exposure || a.Interface != b.Interface {
		f = append(f, FieldExposure)
	}
	if a.State != b.State {
		f = append(f, FieldState)
	}
	if !sameTarget(a.Target, b.Target) {
		f = append(f, FieldTarget)
	}
	return f
}

// sameTarget compares where two sides of a published port go: by the
// container's name when either names one (a recreated container has a new
// ID and maybe a new address), else by the target address.
func sameTarget(a, b *Target) bool {
	switch {
	case a == nil || b == nil:
		return a == b
	case a.Container != "" || b.Container != "":
		return a.Container == b.Container && a.port == b.port
	}
	return a.Address == b.Address
}

// indexPublished adds the snapshot's DNAT-published ports to m, keyed in
// the namespace the rules were read in (the collector's own).
func indexPublished(s *snapshot.Snapshot, ifaces map[uint64][]snapshot.Interface, m map[Key]*Side) {
	var host uint64
	containers := map[uint64]*snapshot.Namespace{}
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		if ns.Current {
			host = ns.ID
		}
		containers[ns.ID] = ns
	}
	for _, p := range s.Published {
		k := Key{NetNS: host, Proto: p.Proto, Published: true, PortLast: p.PortLast}
		k.Local, k.LocalText = publishedLocal(p)
		class, iface := analysis.PublishedExposure(p, ifaces[host])
		t := &Target{Address: analysis.TargetText(p), Backend: p.Backend, Table: p.Table, Chain: p.Chain, port: p.Target.Port()}
		if ns := containers[p.TargetNetNS]; ns != nil && ns.Container != nil {
			t.Container, t.Label = ns.Container.Key(), ns.Name
		}
		if _, dup := m[k]; dup {
			continue // the first rule of a chain wins, as in the kernel
		}
		m[k] = &Side{Exposure: class, Interface: iface, OwnerState: snapshot.OwnersNone, Target: t}
	}
}

// publishedLocal is a published address and port as a key holds it: the
// address when the rule names one address or every address, else the
// prefix or negated address as text.
func publishedLocal(p snapshot.Published) (netip.AddrPort, string) {
	a := p.Address.Addr()
	switch {
	case p.AddressNot:
		return netip.AddrPortFrom(netip.Addr{}, p.Port), "!" + p.Address.Masked().String()
	case p.Address.Bits() == 0 || p.Address.Bits() == a.BitLen():
		return netip.AddrPortFrom(a, p.Port), ""
	}
	return netip.AddrPortFrom(netip.Addr{}, p.Port), p.Address.Masked().String()
}

// sameOwners compares owner lists by process identity (PID and start time
// where both sides know it), name and user. When one side could not see the
// owners, only the visible facts are compared: an unknown owner is not a
// change of owner.
func sameOwners(a, b *Side) bool {
	if a.OwnerState == snapshot.OwnersUnknown || b.OwnerState == snapshot.OwnersUnknown {
		return true
	}
	if len(a.Owners) != len(b.Owners) {
		return false
	}
	for i := range a.Owners {
		x, y := a.Owners[i], b.Owners[i]
		if x.PID != y.PID || x.Name != y.Name || x.User != y.User {
			return false
		}
		if x.StartTime != 0 && y.StartTime != 0 && x.StartTime != y.StartTime {
			return false
		}
	}
	return true
}

func compareChanges(a, b Change) int {
	return cmp.Or(
		cmp.Compare(a.Key.NetNS, b.Key.NetNS),
		cmp.Compare(a.Key.Proto, b.Key.Proto),
		cmp.Compare(a.Key.Local.Port(), b.Key.Local.Port()),
		a.Key.Local.Addr().Compare(b.Key.Local.Addr()),
		cmp.Compare(a.Key.LocalText, b.Key.LocalText),
		a.Key.Remote.Compare(b.Key.Remote),
		cmp.Compare(boolRank(a.Key.Published), boolRank(b.Key.Published)),
		cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)),
	)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func kindRank(k Kind) int {
	switch k {
	case Gone:
		return 0
	case New:
		return 1
	}
	return 2
}
