package containers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadCgroup returns the cgroup path of process pid under procRoot: the
// unified hierarchy's ("0::PATH"), else the name=systemd one's, which is
// where engines put their scopes on hybrid hosts. "" when unreadable.
func ReadCgroup(procRoot string, pid int) string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	return CgroupPath(string(b))
}

// CgroupPath picks the path of the unified hierarchy (else name=systemd)
// from the text of /proc/PID/cgroup.
func CgroupPath(text string) string {
	systemd := ""
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if p, ok := strings.CutPrefix(line, "0::"); ok && p != "/" {
			return p
		}
		if _, rest, ok := strings.Cut(line, ":name=systemd:"); ok {
			systemd = rest
		}
	}
	return systemd
}
