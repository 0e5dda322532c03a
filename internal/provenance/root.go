package provenance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// maxSymlinks bounds the symlinks followed for one path, as the kernel's
// ELOOP does.
const maxSymlinks = 40

// RootFS is a saved copy of a host's files (or "/") that is never left: it
// is opened with os.OpenRoot, and symlinks are resolved inside it. A saved
// /etc is full of absolute symlinks (systemd's wants/ links, aliases,
// /etc/localtime) that mean a path of the observed host, so an absolute
// target is read relative to the root; ".." stops at the root. Nothing
// outside the root is ever opened: DIR/etc/rc.conf -> /etc/shadow reads
// DIR/etc/shadow.
type RootFS struct {
	root *os.Root
}

// OpenRoot opens dir as a RootFS. Close it when done.
func OpenRoot(dir string) (*RootFS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	return &RootFS{root: r}, nil
}

// Close closes the root.
func (r *RootFS) Close() error { return r.root.Close() }

// resolve turns name into a path of the root without symlinks, following
// each as the observed host would, relative to the root. A missing
// component ends the walk: what follows it is kept as written.
func (r *RootFS) resolve(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	parts := strings.Split(name, "/")
	var done []string
	hops := 0
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		switch p {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(slices.Clone(done), p)...)
		fi, err := r.root.Lstat(cur)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return path.Join(append(done, parts[i:]...)...), nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, p)
			continue
		}
		if hops++; hops > maxSymlinks {
			return "", &fs.PathError{Op: "open", Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := r.root.Readlink(cur)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		parts = append(strings.Split(target, "/"), parts[i+1:]...)
		i = -1
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

// Open opens name, symlinks resolved inside the root.
func (r *RootFS) Open(name string) (fs.File, error) {
	p, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := r.root.Open(p)
	if err != nil {
		return nil, err // not a typed nil *os.File in the interface
	}
	return f, nil
}

// Stat follows symlinks inside the root.
func (r *RootFS) Stat(name string) (fs.FileInfo, error) {
	p, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	return r.root.Stat(p)
}

// ReadDir lists a directory, sorted by name; entries keep their own type
// (a symlink is listed as one).
func (r *RootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := r.root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

// resolveParent resolves name's directory inside the root and keeps its
// last element as it is (a symlink stays a symlink).
func (r *RootFS) resolveParent(name string) (string, error) {
	dir, base := path.Split(name)
	p, err := r.resolve(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return "", err
	}
	return path.Join(p, base), nil
}

// ReadLink returns the target of the symlink name, as written.
func (r *RootFS) ReadLink(name string) (string, error) {
	p, err := r.resolveParent(name)
	if err != nil {
		return "", err
	}
	return r.root.Readlink(p)
}

// Lstat describes name itself, not what a final symlink points to.
func (r *RootFS) Lstat(name string) (fs.FileInfo, error) {
	p, err := r.resolveParent(name)
	if err != nil {
		return nil, err
	}
	return r.root.Lstat(p)
}
