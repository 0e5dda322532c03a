package fdscan

import "golang.org/x/sys/unix"

// Names under /proc/PID that the scanner opens.
var (
	nameFD      = []byte("fd")
	nameStat    = []byte("stat")
	nameStatus  = []byte("status")
	nameCmdline = []byte("cmdline")
	nameExe     = []byte("exe")
	nameNetNS   = []byte("ns/net")
)

// openat opens name relative to the directory dirFD, retrying on EINTR.
func openat(dirFD int, name []byte, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirFD, string(name), flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readlinkat reads the link name in dirFD into buf and returns its length.
func readlinkat(dirFD int, name, buf []byte) (int, error) {
	for {
		n, err := unix.Readlinkat(dirFD, string(name), buf)
		if err != unix.EINTR {
			return n, err
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
