package parse

import (
	"slices"

	"github.com/openports/openports/internal/snapshot"
)

// AddOwner adds o to the owners of s. When s already has an owner with o's
// PID, o's descriptors are merged into it (each once, sorted) and the rest of
// o is dropped; otherwise o is appended as it is.
func AddOwner(s *snapshot.Socket, o snapshot.Owner) {
	for j := range s.Owners {
		if s.Owners[j].PID == o.PID {
			for _, fd := range o.FDs {
				if !slices.Contains(s.Owners[j].FDs, fd) {
					s.Owners[j].FDs = append(s.Owners[j].FDs, fd)
				}
			}
			slices.Sort(s.Owners[j].FDs)
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
