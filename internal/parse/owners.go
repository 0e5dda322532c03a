package parse

import (
	"slices"

	"github.com/openports/openports/internal/snapshot"
)

// AddOwner adds o to the owners of s. When s already has an owner with o's
// PID, o's descriptors are merged into it (each once, sorted) and what it
// lacks (name, user, uid, parent, command line) is taken from o; otherwise
// o is appended as it is.
func AddOwner(s *snapshot.Socket, o snapshot.Owner) {
	for j := range s.Owners {
		if have := &s.Owners[j]; have.PID == o.PID {
			for _, fd := range o.FDs {
				if !slices.Contains(have.FDs, fd) {
					have.FDs = append(have.FDs, fd)
				}
			}
			slices.Sort(have.FDs)
			if have.Name == "" {
				have.Name = o.Name
			}
			if have.User == "" {
				have.User = o.User
			}
			if have.UID == nil {
				have.UID = o.UID
			}
			if have.PPID == 0 {
				have.PPID = o.PPID
			}
			if len(have.Cmdline) == 0 {
				have.Cmdline = o.Cmdline
			}
			return
		}
	}
	s.Owners = append(s.Owners, o)
}

// AddFlags adds each of flags that s.Truncated does not hold yet to it, in
// order.
func AddFlags(s *snapshot.Socket, flags ...string) {
	for _, f := range flags {
		if !slices.Contains(s.Truncated, f) {
			s.Truncated = append(s.Truncated, f)
		}
	}
}

// Index finds the sockets of a snapshot being built by the key a parser
// joins its rows on (rows of several processes, or several descriptors, for
// one socket become one snapshot.Socket).
type Index[K comparable] map[K]int

// Socket returns the socket of snap joined under k and true; when there is
// none yet it appends the socket fresh returns, joins it under k and
// returns it and false. The pointer is valid until snap.Sockets grows.
func (x Index[K]) Socket(snap *snapshot.Snapshot, k K, fresh func() snapshot.Socket) (*snapshot.Socket, bool) {
	i, seen := x[k]
	if !seen {
		i = len(snap.Sockets)
		x[k] = i
		snap.Sockets = append(snap.Sockets, fresh())
	}
	return &snap.Sockets[i], seen
}
