//go:build !linux

package procpriv

import "io/fs"

// nsInode is Linux only: other systems have no /proc/PID/ns.
func nsInode(fs.FS, string) (uint64, bool) { return 0, false }
