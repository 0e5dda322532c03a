package snapshot

import "strings"

// CgroupPath returns a process's cgroup path (Owner.Cgroup) from the text
// of /proc/PID/cgroup: the unified hierarchy's ("0::/system.slice/ssh.service"),
// else the name=systemd hierarchy's, which is also taken when the unified
// path is only the root: on hybrid hosts (cgroup v1 with v2 mounted
// beside it) services and container engines put their scopes there.
// "" when neither is there.
func CgroupPath(data []byte) string {
	unified, systemd := "", ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\n")
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			unified = p
			if p != "/" {
				return p
			}
		}
		if _, rest, ok := strings.Cut(line, ":name=systemd:"); ok {
			systemd = rest
		}
	}
	if systemd != "" {
		return systemd
	}
	return unified
}
