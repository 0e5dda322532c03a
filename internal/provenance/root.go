package provenance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
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

	// dirs are directories of the root already opened, by their path
	// without symlinks: os.Root walks every component of a path on every
	// call, so reading the hundreds of unit files of one directory
	// through it costs dozens of system calls each; through their open
	// directory, one or two.
	mu   sync.Mutex
	dirs map[string]*os.Root
	// components are the directories resolve has looked up, for the
	// run: a tree whose symlinks change while it is read is read as it
	// was first seen.
	components map[string]component
}

// maxOpenDirs bounds the directories a RootFS keeps open.
const maxOpenDirs = 64

// OpenRoot opens dir as a RootFS. Close it when done.
func OpenRoot(dir string) (*RootFS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	return &RootFS{root: r, dirs: map[string]*os.Root{}, components: map[string]component{}}, nil
}

// Close closes the root.
func (r *RootFS) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for dir, d := range r.dirs {
		errs = append(errs, d.Close())
		delete(r.dirs, dir)
	}
	return errors.Join(append(errs, r.root.Close())...)
}

// in returns the open directory of p (a path of the root without
// symlinks before its last element) and p's last element; nil when the
// directory cannot be kept open, for the caller to go through the root.
// /proc's directories are not kept: each process's is read once.
func (r *RootFS) in(p string) (*os.Root, string) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return r.root, base
	}
	if dir == "proc" || strings.HasPrefix(dir, "proc/") {
		return nil, ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.dirs[dir]; ok {
		return d, base
	}
	if len(r.dirs) >= maxOpenDirs {
		return nil, ""
	}
	d, err := r.root.OpenRoot(dir)
	if err != nil {
		return nil, ""
	}
	r.dirs[dir] = d
	return d, base
}

// atPath names p, the path of the root, in an error of an operation done
// through p's directory, as the root's own operation would.
func atPath(err error, p string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = p
	}
	return err
}

// lstat is r.root.Lstat(p).
func (r *RootFS) lstat(p string) (fs.FileInfo, error) {
	if d, base := r.in(p); d != nil {
		fi, err := d.Lstat(base)
		return fi, atPath(err, p)
	}
	return r.root.Lstat(p)
}

// readlink is r.root.Readlink(p).
func (r *RootFS) readlink(p string) (string, error) {
	if d, base := r.in(p); d != nil {
		target, err := d.Readlink(base)
		return target, atPath(err, p)
	}
	return r.root.Readlink(p)
}

// open is r.root.Open(p).
func (r *RootFS) open(p string) (*os.File, error) {
	if d, base := r.in(p); d != nil {
		f, err := d.Open(base)
		return f, atPath(err, p)
	}
	return r.root.Open(p)
}

// stat is r.root.Stat(p).
func (r *RootFS) stat(p string) (fs.FileInfo, error) {
	if d, base := r.in(p); d != nil {
		fi, err := d.Stat(base)
		return fi, atPath(err, p)
	}
	return r.root.Stat(p)
}

// component is what resolve learns of one element of a path.
type component struct {
	lstatErr    error
	symlink     bool
	target      string // the symlink's
	readlinkErr error
}

// component looks cur (a path of the root without symlinks before its
// last element) up; keep says to remember the answer, for the directories
// every path of a tree goes through ("usr", "usr/lib", "lib" -> usr/lib).
func (r *RootFS) component(cur string, keep bool) component {
	if keep {
		r.mu.Lock()
		c, ok := r.components[cur]
		r.mu.Unlock()
		if ok {
			return c
		}
	}
	var c component
	fi, err := r.lstat(cur)
	switch {
	case err != nil:
		c.lstatErr = err
	case fi.Mode()&fs.ModeSymlink != 0:
		c.symlink = true
		c.target, c.readlinkErr = r.readlink(cur)
	}
	if keep {
		r.mu.Lock()
		r.components[cur] = c
		r.mu.Unlock()
	}
	return c
}

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
		c := r.component(cur, i < len(parts)-1)
		if c.lstatErr != nil {
			if errors.Is(c.lstatErr, fs.ErrNotExist) {
				return path.Join(append(done, parts[i:]...)...), nil
			}
			return "", c.lstatErr
		}
		if !c.symlink {
			done = append(done, p)
			continue
		}
		if hops++; hops > maxSymlinks {
			return "", &fs.PathError{Op: "open", Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		if c.readlinkErr != nil {
			return "", c.readlinkErr
		}
		target := c.target
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
	f, err := r.open(p)
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
	return r.stat(p)
}

// ReadDir lists a directory, sorted by name; entries keep their own type
// (a symlink is listed as one).
func (r *RootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := r.open(p)
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
	return r.readlink(p)
}

// Lstat describes name itself, not what a final symlink points to.
func (r *RootFS) Lstat(name string) (fs.FileInfo, error) {
	p, err := r.resolveParent(name)
	if err != nil {
		return nil, err
	}
	return r.lstat(p)
}
