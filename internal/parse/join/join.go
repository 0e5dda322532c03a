// Package join merges the snapshots of several parsed tool outputs of one
// host into one snapshot: sockets listed by one output (netstat, which
// shows no owners) are joined to the owners another output shows (fstat,
// sockstat, lsof) by protocol, local and remote address and port (the
// address carries the family), and a socket both outputs describe becomes
// one socket, not two.
//
// A join by address is not a join by identity: two snapshots taken one
// after the other may see different sockets on the same address. Owners
// found that way carry snapshot.Owner.Via = "address", so that every report
// can say so. Sockets whose address could not be read (a host name, a cut
// column: snapshot.Socket.LocalText) or may have been cut (Truncated) are
// never joined.
package join

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// ViaAddress is the snapshot.Owner.Via of an owner joined by address.
const ViaAddress = "address"

// Part is one parsed output.
type Part struct {
	// Format is the parser's format name ("netstat-bsd", "fstat").
	Format string
	// Label says where the output came from, for messages
	// ("seed.txt:2-4").
	Label string
	// Snapshot is what the parser made of it.
	Snapshot *snapshot.Snapshot
}

// Match counts what one sockets-only part got from the owner parts.
type Match struct {
	// Part is the Label of the part whose sockets were joined.
	Part string `json:"part"`
	// Format is that part's format.
	Format string `json:"format"`
	// OwnerFormats are the formats of the parts the owners came from.
	OwnerFormats []string `json:"owner_formats"`
	// Matched counts the part's sockets that got owners by address;
	// Unmatched those no owner part holds.
	Matched   int `json:"matched"`
	Unmatched int `json:"unmatched"`
}

// Result is the joined snapshot and what the join did.
type Result struct {
	Snapshot *snapshot.Snapshot
	// Matches has one entry per part without owners, when some other
	// part has owners.
	Matches []Match
	// Merged counts sockets dropped as duplicates of a socket another
	// part lists too.
	Merged int
	// Unbound counts sockets left out because they have no local port
	// ("*.*", "*:0"): nothing can reach them, and they are no rows.
	Unbound int
}

// Unbound reports whether s has no local port: an unbound or only
// connected-to socket that the tool printed as "*.*" or port 0. A raw
// socket's "port" is its protocol and a port that could not be read is
// not 0, so neither is unbound.
func Unbound(s *snapshot.Socket) bool {
	return s.Local.Port() == 0 && s.PortText == "" && s.Proto != snapshot.Raw && !slices.Contains(s.Truncated, "local-port")
}

// String says in one line per part what was joined, for people.
func (m Match) String() string {
	return fmt.Sprintf("%s (%s): %s matched by address and port to owners from %s, %d without a holder there",
		m.Part, m.Format, sockets(m.Matched), strings.Join(m.OwnerFormats, "+"), m.Unmatched)
}

func sockets(n int) string {
	if n == 1 {
		return "1 socket"
	}
	return fmt.Sprintf("%d sockets", n)
}

// key identifies a socket across outputs.
type key struct {
	netns         uint64
	proto         snapshot.Proto
	local, remote netip.AddrPort
}

// keyOf returns the join key of s, and false when s cannot be joined.
func keyOf(s *snapshot.Socket) (key, bool) {
	if !s.Local.Addr().IsValid() || s.LocalText != "" || s.RemoteText != "" || len(s.Truncated) > 0 && hasAddrCut(s.Truncated) {
		return key{}, false
	}
	return key{s.NetNS, s.Proto, s.Local, s.Remote}, true
}

func hasAddrCut(t []string) bool {
	for _, f := range t {
		if strings.HasSuffix(f, "-address") || strings.HasSuffix(f, "-port") {
			return true
		}
	}
	return false
}

// owned reports whether the tool showed owner information for s.
func owned(s *snapshot.Socket) bool {
	return s.OwnerState != snapshot.OwnersUnknown || len(s.Owners) > 0
}

// Join merges parts. A single part comes back as a copy, with its owner
// method set when it has owners. The parts are not modified.
func Join(parts []Part) *Result {
	// The joined sockets are at least as many as the largest part's,
	// most often as many: room for them at once, not by doubling.
	most := 0
	for _, p := range parts {
		if p.Snapshot != nil {
			most = max(most, len(p.Snapshot.Sockets))
		}
	}
	out := &snapshot.Snapshot{Schema: snapshot.SchemaVersion, Privilege: snapshot.Privilege{EUID: -1}, Sockets: make([]snapshot.Socket, 0, most)}
	res := &Result{Snapshot: out}
	var formats []string
	ownerPart := make([]bool, len(parts))
	var ownerFormats []string
	for i, p := range parts {
		if p.Snapshot == nil {
			continue
		}
		if !slices.Contains(formats, p.Format) {
			formats = append(formats, p.Format)
		}
		for j := range p.Snapshot.Sockets {
			if owned(&p.Snapshot.Sockets[j]) {
				ownerPart[i] = true
				if !slices.Contains(ownerFormats, p.Format) {
					ownerFormats = append(ownerFormats, p.Format)
				}
				break
			}
		}
	}
	meta(out, parts, formats)
	if out.OwnerMethod == "" {
		out.OwnerMethod = snapshot.OwnerMethod(strings.Join(ownerFormats, "+"))
	}

	// buckets[k] are the sockets with key k, by part, in part order: one
	// slice a key (a map of parts for every key cost more than the rest
	// of the join for 100,000 keys).
	type bucket struct {
		part    int
		sockets []snapshot.Socket
	}
	buckets := map[key][]bucket{}
	var order []key
	for i, p := range parts {
		if p.Snapshot == nil {
			continue
		}
		for _, s := range p.Snapshot.Sockets {
			if Unbound(&s) {
				res.Unbound++
				continue
			}
			s = copySocket(s)
			k, ok := keyOf(&s)
			if !ok {
				out.Sockets = append(out.Sockets, s)
				continue
			}
			bs := buckets[k]
			if len(bs) == 0 {
				order = append(order, k)
			}
			if len(bs) == 0 || bs[len(bs)-1].part != i {
				bs = append(bs, bucket{part: i})
			}
			bs[len(bs)-1].sockets = append(bs[len(bs)-1].sockets, s)
			buckets[k] = bs
		}
	}
	matches := make([]Match, len(parts))
	for i, p := range parts {
		matches[i] = Match{Part: p.Label, Format: p.Format, OwnerFormats: ownerFormats}
	}
	unmatchedReason := "no process in the " + strings.Join(ownerFormats, " or ") + " output holds this address and port"
	for _, k := range order {
		// Only the parts that list k: iterating over every part for
		// every key made the join quadratic in the number of parts.
		bs := buckets[k]
		// The owner side: the owner part with the most sockets on k;
		// another owner part's single socket merges into a single one.
		base, baseLen := -1, 0
		for x, b := range bs {
			if n := countOwned(b.sockets); ownerPart[b.part] && n > baseLen {
				base, baseLen = x, n
			}
		}
		var owners []snapshot.Socket
		if base >= 0 {
			owners = ownedOf(bs[base].sockets)
			for x, b := range bs {
				if x == base || !ownerPart[b.part] {
					continue
				}
				o := ownedOf(b.sockets)
				if len(o) == 1 && len(owners) == 1 {
					mergeOwners(&owners[0], o[0])
					res.Merged++
					continue
				}
				// Several sockets on one address (two processes on a
				// multicast group): the same socket is the one with
				// the same holder.
				for _, so := range o {
					if j := slices.IndexFunc(owners, func(x snapshot.Socket) bool { return sharesPID(&x, &so) }); j >= 0 {
						mergeOwners(&owners[j], so)
						res.Merged++
					} else {
						owners = append(owners, so)
					}
				}
			}
		}
		// The sockets-only side: the part with the most sockets on k;
		// the same sockets listed by other parts are duplicates.
		uPart, uLen := -1, 0
		var plain []snapshot.Socket
		for _, b := range bs {
			if n := len(b.sockets) - countOwned(b.sockets); !ownerPart[b.part] && n > uLen {
				uPart, uLen, plain = b.part, n, b.sockets
			}
		}
		if uPart >= 0 {
			for _, b := range bs {
				if b.part != uPart && !ownerPart[b.part] {
					res.Merged += len(b.sockets)
				}
			}
		}
		// Owner parts' own unowned sockets (e.g. sockstat's "?") stay.
		for _, b := range bs {
			if ownerPart[b.part] {
				for _, s := range b.sockets {
					if !owned(&s) {
						out.Sockets = append(out.Sockets, s)
					}
				}
			}
		}
		switch {
		case len(owners) > 0 && len(plain) > 0:
			st := uniformState(plain)
			for j := range owners {
				s := &owners[j]
				if st != "" {
					s.State = st
				}
				if s.V6Only == nil {
					s.V6Only = plain[0].V6Only
				}
				for o := range s.Owners {
					s.Owners[o].Via = ViaAddress
				}
			}
			matched := min(len(owners), len(plain))
			res.Merged += matched
			matches[uPart].Matched += matched
			out.Sockets = append(out.Sockets, owners...)
			for _, s := range plain[matched:] {
				s.OwnerReason, s.OwnerReasonCode = unmatchedReason, "no-owner-in-output"
				matches[uPart].Unmatched++
				out.Sockets = append(out.Sockets, s)
			}
		case len(owners) > 0:
			out.Sockets = append(out.Sockets, owners...)
		default:
			for _, s := range plain {
				if len(ownerFormats) > 0 {
					s.OwnerReason, s.OwnerReasonCode = unmatchedReason, "no-owner-in-output"
					matches[uPart].Unmatched++
				}
				out.Sockets = append(out.Sockets, s)
			}
		}
	}
	// Sockets that could not be keyed, in parts that have no owners,
	// are unmatched too.
	gaps(out, parts, ownerPart, ownerFormats, matches)
	for i, m := range matches {
		if !ownerPart[i] && len(ownerFormats) > 0 && parts[i].Snapshot != nil {
			res.Matches = append(res.Matches, m)
		}
	}
	out.Sort()
	return res
}

// sharesPID reports whether a and b have an owner with the same PID.
func sharesPID(a, b *snapshot.Socket) bool {
	for _, x := range a.Owners {
		for _, y := range b.Owners {
			if x.PID == y.PID {
				return true
			}
		}
	}
	return false
}

func countOwned(ss []snapshot.Socket) int {
	n := 0
	for i := range ss {
		if owned(&ss[i]) {
			n++
		}
	}
	return n
}

func ownedOf(ss []snapshot.Socket) []snapshot.Socket {
	var out []snapshot.Socket
	for i := range ss {
		if owned(&ss[i]) {
			out = append(out, ss[i])
		}
	}
	return out
}

// uniformState is the state all of ss share, or "".
func uniformState(ss []snapshot.Socket) snapshot.State {
	st := ss[0].State
	for _, s := range ss[1:] {
		if s.State != st {
			return ""
		}
	}
	return st
}

// mergeOwners adds o's owners to s (by PID, descriptors merged) and fills
// what s lacks from o.
func mergeOwners(s *snapshot.Socket, o snapshot.Socket) {
	for _, ow := range o.Owners {
		parse.AddOwner(s, ow)
	}
	if rank(o.OwnerState) < rank(s.OwnerState) {
		s.OwnerState, s.OwnerReason, s.OwnerReasonCode = o.OwnerState, o.OwnerReason, o.OwnerReasonCode
	}
	if s.KernelAddr == "" {
		s.KernelAddr = o.KernelAddr
	}
	if s.Inode == 0 {
		s.Inode = o.Inode
	}
	if s.V6Only == nil {
		s.V6Only = o.V6Only
	}
	parse.AddFlags(s, o.Truncated...)
}

// rank orders owner states from the most complete.
func rank(s snapshot.OwnerState) int {
	switch s {
	case snapshot.OwnersComplete:
		return 0
	case snapshot.OwnersNone:
		return 1
	case snapshot.OwnersPartial:
		return 2
	}
	return 3
}

// copySocket copies the slices of s so that the parts stay untouched.
func copySocket(s snapshot.Socket) snapshot.Socket {
	s.Owners = slices.Clone(s.Owners)
	for i := range s.Owners {
		s.Owners[i].FDs = slices.Clone(s.Owners[i].FDs)
		s.Owners[i].Cmdline = slices.Clone(s.Owners[i].Cmdline)
	}
	s.Truncated = slices.Clone(s.Truncated)
	return s
}

// meta sets the joined snapshot's source, OS and IPV6_V6ONLY default.
func meta(out *snapshot.Snapshot, parts []Part, formats []string) {
	out.Source = "parse/" + strings.Join(formats, "+")
	os, conflict := "", false
	var v6only *bool
	for _, p := range parts {
		s := p.Snapshot
		if s == nil {
			continue
		}
		if out.Host == "" {
			out.Host = s.Host
		}
		if out.OwnerMethod == "" {
			out.OwnerMethod = s.OwnerMethod
		}
		if out.Taken.IsZero() {
			out.Taken = s.Taken
		}
		if s.OS != "" {
			if os != "" && os != s.OS {
				conflict = true
			}
			os = s.OS
			if s.BindV6Only != nil {
				v6only = s.BindV6Only
			}
		}
		out.Namespaces = appendNew(out.Namespaces, s.Namespaces)
		out.Interfaces = append(out.Interfaces, s.Interfaces...)
	}
	if conflict {
		// Outputs of different systems: no default can be trusted.
		out.OS, out.BindV6Only = "", nil
		out.Gaps = append(out.Gaps, snapshot.Gap{Area: "sockets", Reason: "mixed-os",
			Detail: "the outputs come from different operating systems; they were joined all the same"})
		return
	}
	out.OS = os
	if v6only != nil {
		out.BindV6Only = snapshot.Bool(*v6only)
	}
}

func appendNew(dst, src []snapshot.Namespace) []snapshot.Namespace {
	for _, n := range src {
		if !slices.ContainsFunc(dst, func(x snapshot.Namespace) bool { return x.ID == n.ID }) {
			dst = append(dst, n)
		}
	}
	return dst
}

// gaps carries the parts' gaps over. An owner gap of a part without owners
// ("no process column") is replaced by one for the sockets that no owner
// part held, when there are owner parts.
func gaps(out *snapshot.Snapshot, parts []Part, ownerPart []bool, ownerFormats []string, matches []Match) {
	type gk struct{ area, reason, detail string }
	idx := map[gk]int{}
	add := func(g snapshot.Gap) {
		k := gk{g.Area, g.Reason, g.Detail}
		if i, ok := idx[k]; ok {
			out.Gaps[i].Count += g.Count
			return
		}
		idx[k] = len(out.Gaps)
		out.Gaps = append(out.Gaps, g)
	}
	for i, p := range parts {
		if p.Snapshot == nil {
			continue
		}
		for _, g := range p.Snapshot.Gaps {
			if g.Area == "owners" && !ownerPart[i] && len(ownerFormats) > 0 {
				continue
			}
			add(g)
		}
	}
	for i, m := range matches {
		if ownerPart[i] || len(ownerFormats) == 0 || parts[i].Snapshot == nil {
			continue
		}
		// Sockets of this part that could not be keyed keep their own
		// reason; count them with the unmatched ones.
		for _, s := range parts[i].Snapshot.Sockets {
			if _, ok := keyOf(&s); !ok && !owned(&s) {
				matches[i].Unmatched++
			}
		}
		if n := matches[i].Unmatched; n > 0 {
			add(snapshot.Gap{Area: "owners", Reason: "no-owner-in-output",
				Args:   map[string]string{"part": m.Part, "sockets": strconv.Itoa(n), "tools": strings.Join(ownerFormats, " or ")},
				Detail: fmt.Sprintf("%s: %d sockets have no holder with the same address and port in the %s output", m.Part, n, strings.Join(ownerFormats, " or ")),
				Count:  n})
		}
	}
}

// KeepListening removes the connected sockets from s, keeping what the live
// collectors list by default: listening sockets, unconnected datagram
// sockets, and sockets whose state the tool did not print and that have no
// remote address. It returns how many were removed.
func KeepListening(s *snapshot.Snapshot) int {
	kept := s.Sockets[:0]
	dropped := 0
	for _, so := range s.Sockets {
		if parse.Listening(&so) {
			kept = append(kept, so)
		} else {
			dropped++
		}
	}
	clear(s.Sockets[len(kept):])
	s.Sockets = kept
	if len(kept) < cap(kept)/2 {
		s.Sockets = slices.Clone(kept) // let the dropped ones' array go
	}
	return dropped
}
