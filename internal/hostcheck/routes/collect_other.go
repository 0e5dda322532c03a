//go:build !linux

package routes

import "context"

// Collect reads the routing table by running `netstat -rn` and parsing its
// output; a line the parser does not understand makes it fail with that
// line, so that a changed format is not silently misread.
func Collect(ctx context.Context) ([]Route, error) {
	return collectNetstat(ctx, netstatRunner)
}
