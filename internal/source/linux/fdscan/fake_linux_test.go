package fdscan

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fakeProc is one process of a fake /proc tree.
type fakeProc struct {
	pid     int
	comm    string
	ppid    int
	start   uint64
	ruid    uint32 // real uid; the effective uid is euid
	euid    uint32
	cmdline string // raw, NUL-separated
	exe     string
	fds     map[int]string // descriptor → link target
	cgroup  string         // "": no cgroup file (a kernel without cgroups)
	// cgroupPath is the Owner.Cgroup expected from cgroup.
	cgroupPath string
}

// writeProc lays out p under root the way procfs shows it.
func writeProc(tb testing.TB, root string, p fakeProc) {
	tb.Helper()
	dir := filepath.Join(root, itoa(p.pid))
	must(tb, os.MkdirAll(filepath.Join(dir, "fd"), 0o755))
	must(tb, os.WriteFile(filepath.Join(dir, "stat"), []byte(statLine(p.pid, p.comm, p.ppid, p.start)), 0o444))
	must(tb, os.WriteFile(filepath.Join(dir, "comm"), []byte(p.comm+"\n"), 0o444))
	must(tb, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(p.cmdline), 0o444))
	status := fmt.Sprintf("Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n",
		p.comm, p.pid, p.pid, p.ppid, p.ruid, p.euid, p.euid, p.euid)
	must(tb, os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o444))
	if p.cgroup != "" {
		must(tb, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(p.cgroup), 0o444))
	}
	if p.exe != "" {
		must(tb, os.Symlink(p.exe, filepath.Join(dir, "exe")))
	}
	for fd, target := range p.fds {
		must(tb, os.Symlink(target, filepath.Join(dir, "fd", itoa(fd))))
	}
}

// writeTree lays out a fake /proc holding procs, plus the non-process
// entries a real one has.
func writeTree(tb testing.TB, root string, procs []fakeProc) {
	tb.Helper()
	for _, p := range procs {
		writeProc(tb, root, p)
	}
	must(tb, os.MkdirAll(filepath.Join(root, "net"), 0o755))
	must(tb, os.MkdirAll(filepath.Join(root, "sys", "kernel"), 0o755))
	must(tb, os.WriteFile(filepath.Join(root, "uptime"), []byte("1.0 1.0\n"), 0o444))
	must(tb, os.WriteFile(filepath.Join(root, "1a"), nil, 0o444))
	if len(procs) > 0 {
		must(tb, os.Symlink(itoa(procs[0].pid), filepath.Join(root, "self")))
	}
}

// rewriteStat replaces the start time of pid, as if the PID was reused.
func rewriteStat(tb testing.TB, root string, p fakeProc, start uint64) {
	tb.Helper()
	path := filepath.Join(root, itoa(p.pid), "stat")
	must(tb, os.WriteFile(path, []byte(statLine(p.pid, p.comm, p.ppid, start)), 0o444))
}

// replaceProc removes the directory of p.pid and lays out p in its place,
// as when a process exits and another one is given its PID.
func replaceProc(tb testing.TB, root string, p fakeProc) {
	tb.Helper()
	must(tb, os.RemoveAll(filepath.Join(root, itoa(p.pid))))
	writeProc(tb, root, p)
}

// relink points descriptor fd of pid at target.
func relink(tb testing.TB, root string, pid, fd int, target string) {
	tb.Helper()
	path := filepath.Join(root, itoa(pid), "fd", itoa(fd))
	must(tb, os.Remove(path))
	must(tb, os.Symlink(target, path))
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
