package kernfile

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// firstRead is the buffer of the first read: most of these files fit.
const firstRead = 4096

// Read returns the whole file at path. Its errors are *fs.PathError, so
// errors.Is(err, fs.ErrNotExist) works as with os.ReadFile.
func Read(path string) ([]byte, error) {
	return ReadAt(unix.AT_FDCWD, path)
}

// ReadAt is Read of name relative to the directory dirFD.
func ReadAt(dirFD int, name string) ([]byte, error) {
	fd, err := openat(dirFD, name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, firstRead)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func openat(dirFD int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirFD, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// FS is os.DirFS(root) whose ReadFile (which fs.ReadFile uses) is Read;
// its errors name the file as os.DirFS's do, relative to root.
func FS(root string) fs.FS { return dirFS{osDirFS: os.DirFS(root).(osDirFS), root: root} }

// osDirFS is what os.DirFS implements besides ReadFile: embedding fs.FS
// alone would hide Stat, ReadDir and ReadLink, and fs.Stat would open the
// file instead.
type osDirFS interface {
	fs.StatFS
	fs.ReadDirFS
	fs.ReadLinkFS
}

type dirFS struct {
	osDirFS
	root string
}

func (d dirFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	b, err := Read(filepath.Join(d.root, name))
	if pe, ok := err.(*fs.PathError); ok {
		pe.Path = name
	}
	return b, err
}
