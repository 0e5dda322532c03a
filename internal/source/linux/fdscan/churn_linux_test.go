package fdscan

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// TestScanChurn scans the real /proc while short-lived processes come and
// go: some inherit the test's listening socket (as descriptor 3) for their
// whole life, others hold nothing. Every owner a scan names must be one of
// the processes that held the socket, identified by PID and start time.
func TestScanChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hundreds of processes")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skipf("no sleep(1): %v", err)
	}
	lfd, lino, err := loopbackSocket(unix.SOCK_STREAM)
	if err != nil {
		t.Skipf("cannot open a loopback socket: %v", err)
	}
	lf := os.NewFile(uintptr(lfd), "listener")
	defer lf.Close()

	var (
		mu         sync.Mutex
		holders    []identity
		nonHolders []identity
		wg         sync.WaitGroup
	)
	startTime := func(pid int) uint64 {
		b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
		if err != nil {
			return 0
		}
		st, err := parseStat(b)
		if err != nil {
			return 0
		}
		return st.StartTime
	}
	// The churn goes on until the scans are done (at most maxChildren
	// processes), so that scans and churn overlap however slow a scan of
	// this host's /proc is.
	const maxChildren = 3000
	stop := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for i := range maxChildren {
			select {
			case <-stop:
				return
			default:
			}
			hold := i%2 == 0
			cmd := exec.Command(sleep, []string{"0.01", "0.02", "0.05"}[i%3])
			if hold {
				cmd.ExtraFiles = []*os.File{lf}
			}
			if err := cmd.Start(); err != nil {
				t.Errorf("start child: %v", err)
				return
			}
			id := identity{pid: cmd.Process.Pid, start: startTime(cmd.Process.Pid)}
			mu.Lock()
			if hold {
				holders = append(holders, id)
			} else {
				nonHolders = append(nonHolders, id)
			}
			mu.Unlock()
			wg.Go(func() { _ = cmd.Wait() })
		}
	}()

	var results []*Result
	wanted := map[uint64]struct{}{lino: {}}
	for i := 0; i < 12; i++ {
		select {
		case <-churned:
			i = 12 // the churn ran out: what was scanned is all there is
		default:
		}
		res, err := (&Scanner{Workers: i % 2}).Scan(wanted)
		if err != nil {
			close(stop)
			<-churned
			wg.Wait()
			t.Fatal(err)
		}
		results = append(results, res)
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-churned
	wg.Wait()

	self := identity{pid: os.Getpid(), start: startTime(os.Getpid())}
	named, vanished, changed := 0, 0, 0
	for n, res := range results {
		vanished += res.Vanished
		changed += res.Changed
		for _, o := range res.Owners[lino] {
			named++
			if o.PID == self.pid {
				if o.StartTime != self.start || !slices.Equal(o.FDs, []int{lfd}) {
					t.Errorf("scan %d: test process as %+v, want start %d, fd %d", n, o, self.start, lfd)
				}
				continue
			}
			if slices.Contains(o.FDs, lfd) {
				// Between fork and exec a child, holder or not,
				// still has the parent's table (with the listener
				// as lfd, closed on exec): it holds the socket. Its
				// parent is the test even where the churn's record of
				// it does not match (seen once under load: a child
				// named pre-exec that no recorded identity matched).
				if !matches(o, holders) && !matches(o, nonHolders) && o.PPID != self.pid {
					t.Errorf("scan %d: named pid %d (start %d, ppid %d, fds %v), which is no child of the test", n, o.PID, o.StartTime, o.PPID, o.FDs)
				}
				continue
			}
			if !slices.Equal(o.FDs, []int{3}) {
				t.Errorf("scan %d: pid %d holds by %v, want [3]", n, o.PID, o.FDs)
			}
			if !matches(o, holders) || matchesExactly(o, nonHolders) {
				t.Errorf("scan %d: named pid %d (start %d), which never held the socket", n, o.PID, o.StartTime)
			}
		}
		if s := res.State(lino); s == snapshot.OwnersNone || s == snapshot.OwnersUnknown {
			t.Errorf("scan %d: state %s though the test process holds the socket", n, s)
		}
	}
	if named <= len(results) {
		t.Errorf("only %d owners named in %d scans: the churn never overlapped a scan", named, len(results))
	}
	t.Logf("%d scans, %d holders and %d others started, %d owners named, %d vanished, %d changed",
		len(results), len(holders), len(nonHolders), named, vanished, changed)
}

// identity is a process the churn test started.
type identity struct {
	pid   int
	start uint64 // 0 when the child exited before it could be read
}

// matches reports whether o is one of ids: same PID and, where both are
// known, the same start time.
func matches(o snapshot.Owner, ids []identity) bool {
	for _, id := range ids {
		if id.pid == o.PID && (id.start == 0 || id.start == o.StartTime) {
			return true
		}
	}
	return false
}

// matchesExactly reports whether o is certainly one of ids: same PID and
// the same known start time.
func matchesExactly(o snapshot.Owner, ids []identity) bool {
	for _, id := range ids {
		if id.pid == o.PID && id.start != 0 && id.start == o.StartTime {
			return true
		}
	}
	return false
}
