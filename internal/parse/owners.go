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
