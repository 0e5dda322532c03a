package containers

import (
	"path/filepath"
	"strconv"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/kernfile"
)

// ReadCgroup returns the cgroup path of process pid under procRoot: the
// unified hierarchy's ("0::PATH"), else the name=systemd one's, which is
// where engines put their scopes on hybrid hosts. "" when unreadable.
func ReadCgroup(procRoot string, pid int) string {
	b, err := kernfile.Read(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	return snapshot.CgroupPath(b)
}
