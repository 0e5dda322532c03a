package snapshot

import "strings"

// CgroupPath returns a process's cgroup path (Owner.Cgroup) from the text
// of /proc/PID/cgroup: the unified hierarchy's ("0::/system.slice/ssh.service"),
// else the name=systemd hierarchy's (a host with only cgroup v1); "" when
// neither is there.
func CgroupPath(data []byte) string {
	var legacy string
	for line := range strings.SplitSeq(string(data), "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			return parts[2]
		}
		if parts[1] == "name=systemd" {
			legacy = parts[2]
		}
	}
	return legacy
}
