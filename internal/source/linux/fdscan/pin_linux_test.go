package fdscan

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/testenv"
)

// TestProcDirPinsProcess checks on the running kernel what verify relies
// on: a descriptor of /proc/PID, or of /proc/PID/fd, opened on one process
// reads nothing of another process that is given the same PID after the
// first one exited. (fs/proc/base.c: every lookup under /proc/PID starts
// with get_proc_task() of the struct pid the directory was opened on,
// which has no task once that process is gone; a new process gets a new
// struct pid, even with the same number.)
//
// The PID is handed out again in a PID namespace of the test's own, whose
// ns_last_pid it sets: no other process takes the PID first, and the
// host's PID allocation is left alone.
func TestProcDirPinsProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skipf("no sleep(1): %v", err)
	}
	procRoot, inside := testenv.InPIDNamespace(t)
	if !inside {
		return
	}
	start := func(arg string) *exec.Cmd {
		t.Helper()
		c := exec.Command(sleep, arg)
		if err := c.Start(); err != nil {
			t.Fatalf("start %s: %v", c, err)
		}
		return c
	}
	stop := func(c *exec.Cmd) {
		c.Process.Kill()
		c.Wait()
	}
	first := start("60")
	pid := first.Process.Pid
	name := procRoot + "/" + strconv.Itoa(pid)
	dirFD, err := unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		stop(first)
		t.Fatal(err)
	}
	defer unix.Close(dirFD)
	fdFD, err := unix.Open(name+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		stop(first)
		t.Fatal(err)
	}
	defer unix.Close(fdFD)
	if got := cmdlineAt(t, dirFD); !bytes.Equal(got, []byte(sleep+"\x0060\x00")) {
		stop(first)
		t.Fatalf("cmdline of the first process through its directory = %q", got)
	}
	stop(first) // exited and reaped: its PID is free

	// ns_last_pid is the PID this namespace handed out last: this
	// process is the only one here to start another, so the next start
	// takes pid.
	if err := os.WriteFile(procRoot+"/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0); err != nil {
		t.Fatalf("set this PID namespace's next PID: %v", err)
	}
	second := start("61")
	defer stop(second)
	if second.Process.Pid != pid {
		t.Fatalf("the next process of this PID namespace got PID %d, not %d", second.Process.Pid, pid)
	}
	t.Logf("PID %d handed out again in this PID namespace", pid)
	byName, err := unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(byName)
	if got := cmdlineAt(t, byName); !bytes.Equal(got, []byte(sleep+"\x0061\x00")) {
		t.Fatalf("by name, %s/cmdline = %q: want the second process", name, got)
	}

	// Through the descriptors opened on the first process, nothing of the
	// second one reads.
	for _, file := range []string{"cmdline", "stat", "status"} {
		fd, err := unix.Openat(dirFD, file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			got, _ := readAll(fd)
			unix.Close(fd)
			t.Errorf("openat(first /proc/%d, %s) read %q, want ENOENT or ESRCH", pid, file, got)
		} else if !vanished(err) {
			t.Errorf("openat(first /proc/%d, %s): %v, want ENOENT or ESRCH", pid, file, err)
		}
	}
	if _, err := readlinkat(fdFD, []byte("0\x00"), make([]byte, 64)); !errors.Is(err, unix.ENOENT) {
		t.Errorf("readlinkat(first /proc/%d/fd, 0): %v, want ENOENT", pid, err)
	}
	// What worker.gone relies on.
	if _, err := getdents(fdFD, make([]byte, 64)); !errors.Is(err, unix.ENOENT) {
		t.Errorf("getdents(first /proc/%d/fd): %v, want ENOENT", pid, err)
	}
}

// cmdlineAt reads cmdline through the /proc/PID directory dirFD. A child
// that exec.Cmd.Start has just returned may not have its arguments in
// place yet (the parent resumes during execve): an empty one is read
// again, for up to a second.
func cmdlineAt(t *testing.T, dirFD int) []byte {
	t.Helper()
	for range 1000 {
		fd, err := unix.Openat(dirFD, "cmdline", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := readAll(fd)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 {
			return b
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// readAll reads fd to its end (at most 64 KiB).
func readAll(fd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for len(out) < 64<<10 {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return out, err
		}
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	return out, nil
}
