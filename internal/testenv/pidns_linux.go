package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pidNSEnv marks the test binary that InPIDNamespace re-executed inside the
// new PID namespace.
const pidNSEnv = "OPENPORTS_TESTENV_PIDNS"

// pidNSTimeout bounds the test run again inside the PID namespace.
const pidNSTimeout = 2 * time.Minute

// InPIDNamespace runs the calling top-level test again in a child of the
// test binary that is PID 1 of a new PID namespace, with a mount namespace
// and procfs of its own: as real root, or else in a new user namespace
// where the caller is root (which owns the PID namespace, and so may set
// its /proc/sys/kernel/ns_last_pid). PIDs handed out there leave the
// host's allocation untouched.
//
// In that child it returns the namespace's procfs mount and true, and the
// test goes on there. Outside, it returns false once the child has run,
// with the child's result made t's (a skip inside is a skip, with its
// message); the test then returns. When no PID namespace can be made, t
// is skipped with the reason.
//
//	procRoot, inside := testenv.InPIDNamespace(t)
//	if !inside {
//		return
//	}
func InPIDNamespace(t *testing.T) (procRoot string, inside bool) {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		t.Fatalf("InPIDNamespace runs a whole test again: call it from %s's top level, not a subtest", t.Name())
	}
	if os.Getenv(pidNSEnv) == t.Name() {
		return enterPIDNamespace(t), true
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pidNSTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), pidNSEnv+"="+t.Name())
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	how := "as root"
	if os.Geteuid() != 0 {
		how = "in a user namespace"
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		t.Skipf("cannot make a PID namespace %s: %v", how, err)
	case err != nil:
		t.Fatalf("%s in a new PID namespace (%s): %v\n%s", t.Name(), how, err, out)
	case strings.Contains(string(out), "--- SKIP: "+t.Name()+" "):
		t.Skipf("skipped in a new PID namespace (%s):\n%s", how, out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()+" "):
		t.Fatalf("%s did not run in the new PID namespace (%s):\n%s", t.Name(), how, out)
	}
	t.Logf("ran in a new PID namespace (%s):\n%s", how, out)
	return "", false
}

// enterPIDNamespace is the child's side of InPIDNamespace: it checks that
// the process is its PID namespace's init, and mounts that namespace's
// procfs on a directory of its own, after making every mount private so
// that nothing reaches the host's mount table.
func enterPIDNamespace(t *testing.T) string {
	t.Helper()
	if pid := os.Getpid(); pid != 1 {
		t.Fatalf("re-executed for a new PID namespace, but PID %d, not 1", pid)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Skipf("make the mounts of the new mount namespace private: %v", err)
	}
	dir := t.TempDir()
	if err := unix.Mount("proc", dir, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		t.Skipf("mount the new PID namespace's procfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	if _, err := os.Stat(fmt.Sprintf("%s/%d", dir, 1)); err != nil {
		t.Fatalf("the new procfs does not show this process as PID 1: %v", err)
	}
	return dir
}
