//go:build !linux

package ifaces

import "context"

// Collect lists the interfaces by running `ifconfig -a` and parsing its
// output. Lines the parser does not understand make it fail with the first
// of them, so that a changed format is not silently misread.
func Collect(ctx context.Context) ([]Interface, error) {
	return collectIfconfig(ctx, ifconfigRunner)
}
