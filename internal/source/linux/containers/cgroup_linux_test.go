package containers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// unified is where this machine (and systemd hybrid hosts) mount cgroup v2
// beside v1; a pure v2 host mounts it at /sys/fs/cgroup.
func unified(t *testing.T) string {
	for _, dir := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "cgroup.controllers")); err == nil || dir == "/sys/fs/cgroup/unified" {
				return dir
			}
		}
	}
	t.Skip("no cgroup v2 hierarchy mounted")
	return ""
}

// TestRealCgroup puts a real process into a private cgroup v2 subtree
// shaped as Docker's systemd driver names it, and names it from
// /proc/PID/cgroup and the Docker state file under a private root.
func TestRealCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups and moving processes needs root")
	}
	base := unified(t)
	top := filepath.Join(base, fmt.Sprintf("openports-test-%d", os.Getpid()))
	scope := filepath.Join(top, "system.slice", "docker-"+dockerID+".scope")
	if err := os.MkdirAll(scope, 0o755); err != nil {
		t.Skipf("cannot create a cgroup under %s: %v", base, err)
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		for _, d := range []string{scope, filepath.Dir(scope), top} {
			if err := os.Remove(d); err != nil {
				t.Errorf("remove cgroup %s: %v", d, err)
			}
		}
	})
	if err := os.WriteFile(filepath.Join(scope, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Skipf("cannot move a process into %s: %v", scope, err)
	}
	cg := ReadCgroup("/proc", pid)
	want := "/" + filepath.Base(top) + "/system.slice/docker-" + dockerID + ".scope"
	if cg != want {
		t.Fatalf("ReadCgroup = %q, want %q", cg, want)
	}
	ref, ok := ParseCgroup(cg)
	if !ok {
		t.Fatalf("ParseCgroup(%q) names no container", cg)
	}
	n := &Namer{Root: writeRoot(t)}
	if got := Label(n.Name(ref, cg)); got != "container custom-nginx-t2 (docker 8ad700d1f711)" {
		t.Errorf("label %q", got)
	}
}
