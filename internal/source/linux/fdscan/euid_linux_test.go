package fdscan

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestEffectiveUIDMatchesStatus checks effectiveUID's fstat of /proc/PID
// against the effective uid in status, for every process of this host
// and for one that is not dumpable and runs under another uid, whose
// other /proc files the kernel gives to root.
func TestEffectiveUIDMatchesStatus(t *testing.T) {
	if os.Geteuid() == 0 {
		if py, err := exec.LookPath("python3"); err == nil {
			// setresuid, then PR_SET_DUMPABLE 0, then wait for stdin.
			cmd := exec.Command(py, "-c", `import ctypes,os,sys
os.setresgid(65534,65534,65534); os.setresuid(65534,65534,65534)
ctypes.CDLL(None).prctl(4,0,0,0,0)
print("ready", flush=True); sys.stdin.read()`)
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { in.Close(); _ = cmd.Wait() }()
			buf := make([]byte, 16)
			if n, _ := out.Read(buf); !strings.HasPrefix(string(buf[:n]), "ready") {
				t.Fatalf("helper said %q", buf[:n])
			}
			var st unix.Stat_t
			fdDir := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/fd"
			if err := unix.Stat(fdDir, &st); err != nil || st.Uid != 0 {
				t.Fatalf("%s: uid %d, %v: want root's, as for any process that is not dumpable", fdDir, st.Uid, err)
			}
		} else {
			t.Log("no python3: no process that is not dumpable")
		}
	}
	procFD, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(procFD)
	w := (&Scanner{}).newWorker(procFD, nil, nil)
	if !w.procfs {
		t.Fatal("/proc is not taken for procfs")
	}
	pids, err := appendPIDs(nil, procFD, w.dents)
	if err != nil {
		t.Fatal(err)
	}
	compared, other := 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		if time.Now().After(deadline) {
			break
		}
		dirFD, err := unix.Openat(procFD, strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone
		}
		got, ferr := w.effectiveUID(dirFD)
		b, _, serr := w.readFile(dirFD, nameStatus)
		unix.Close(dirFD)
		if ferr != nil || serr != nil {
			continue // exited meanwhile
		}
		want, err := parseStatusEUID(b)
		if err != nil {
			t.Fatalf("pid %d: %v", pid, err)
		}
		if got != want {
			t.Errorf("pid %d: fstat says uid %d, status %d", pid, got, want)
		}
		compared++
		if got != 0 {
			other++
		}
	}
	if compared < 2 {
		t.Fatalf("compared %d processes", compared)
	}
	t.Logf("%d processes compared, %d of them not root's", compared, other)
}
