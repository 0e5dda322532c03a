// Package outfile is the one way openports writes a file (snapshot
// --write, baseline --write, and every file output to come): into a
// temporary file in the destination's directory, synced, then renamed over
// the destination with an explicit mode. A reader never sees half a file,
// and a symbolic link at the destination is replaced, never followed: a
// link planted in /tmp cannot make root overwrite a file elsewhere.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotRegular is returned when the destination exists and is neither a
// regular file nor a symbolic link (a directory, a device, a FIFO).
var ErrNotRegular = errors.New("destination is not a regular file")

// Write creates or replaces path with what write writes, with permissions
// mode. The file appears complete or not at all.
func Write(path string, mode os.FileMode, write func(io.Writer) error) (err error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() && st.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("write %s: %w", path, ErrNotRegular)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// rename(2) replaces a symbolic link at path, it does not follow it.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		// The rename is durable once the directory is synced; a
		// directory that cannot be synced does not undo the write.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
