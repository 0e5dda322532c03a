package fdscan

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Names under /proc/PID that the scanner opens, NUL-terminated for the
// system calls below.
var (
	nameFD      = []byte("fd\x00")
	nameStat    = []byte("stat\x00")
	nameStatus  = []byte("status\x00")
	nameCmdline = []byte("cmdline\x00")
	nameExe     = []byte("exe\x00")
	nameCgroup  = []byte("cgroup\x00")
)

// The wrappers below call openat and readlinkat with names that are already
// NUL-terminated byte slices: the name of a descriptor comes straight from
// the getdents64 buffer, where the kernel terminated it. x/sys/unix's
// wrappers take a string and copy it to a new NUL-terminated buffer, which
// costs one allocation per descriptor in the hot loop. The only use of
// unsafe here is passing the address of a Go byte slice to the kernel, the
// same thing x/sys/unix does internally; no kernel structure is cast.

// cstring returns name extended by its terminating NUL, which must follow
// it in the same backing array; ok is false when it does not.
func cstring(name []byte) ([]byte, bool) {
	if len(name) == 0 || cap(name) <= len(name) {
		return nil, false
	}
	z := name[:len(name)+1]
	return z, z[len(name)] == 0
}

// openat opens the NUL-terminated name relative to the directory dirFD.
func openat(dirFD int, name []byte, flags int) (int, error) {
	if len(name) == 0 || name[len(name)-1] != 0 {
		return -1, unix.EINVAL
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirFD), uintptr(unsafe.Pointer(&name[0])), uintptr(flags), 0, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		default:
			return -1, e
		}
	}
}

// readlinkat reads the link with the NUL-terminated name in dirFD into buf
// and returns the length of the text read (len(buf) when it was cut).
func readlinkat(dirFD int, name, buf []byte) (int, error) {
	if len(name) == 0 || name[len(name)-1] != 0 || len(buf) == 0 {
		return 0, unix.EINVAL
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirFD), uintptr(unsafe.Pointer(&name[0])), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		default:
			return 0, e
		}
	}
}

// getdents reads directory entries of fd into buf, retrying on EINTR.
func getdents(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Getdents(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// kcmpFiles is KCMP_FILES (linux/kcmp.h): compare two tasks' descriptor
// tables.
const kcmpFiles = 2

// sameFileTable reports whether the tasks a and b share one descriptor
// table (kcmp(2) returns 0). An error means the kernel could not tell: a
// task exited (ESRCH), kcmp is not built in (ENOSYS) or not allowed (EPERM).
func sameFileTable(a, b int) (bool, error) {
	r, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(a), uintptr(b), kcmpFiles, 0, 0, 0)
	if e != 0 {
		return false, e
	}
	return r == 0, nil
}
