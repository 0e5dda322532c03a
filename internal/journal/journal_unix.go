//go:build unix

package journal

import (
	"os"

	"golang.org/x/sys/unix"
)

// fileID is f's device and inode.
func fileID(f *os.File) (dev, ino uint64, ok bool) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), true
}
