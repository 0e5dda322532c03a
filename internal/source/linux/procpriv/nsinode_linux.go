package procpriv

import (
	"io/fs"
	"syscall"
)

// nsInode returns the inode of the namespace file name in fsys (a
// /proc/PID/ns/* link, followed), false when it cannot be read.
func nsInode(fsys fs.FS, name string) (uint64, bool) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Ino, true
}
