package fdscan

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// TestScanChurn scans the real /proc while the processes it listed exit
// and others start: children of the test that inherit its listening socket
// (as descriptor 3) or hold nothing are killed and reaped, and new ones
// started, while the scan reads their tables. Every owner a scan names must
// be a process that held the socket, identified by PID and start time, and
// the children alive throughout a scan must all be named.
//
// The overlap is made certain rather than left to timing. A scan reads
// /proc in PID order, so the children, the newest PIDs, come last: when
// they exited by themselves after 10 to 50 ms, a scan slowed down by load
// or by a process with a large descriptor table (one of 19,000 makes a scan
// take 100-300 ms) reached them only after all had exited, and never named
// one. Here they live until killed, and the scan, on reaching the first of
// them, waits (hooks.beforeFDs) until the churn has killed and reaped one;
// the others are killed while the scan goes on.
func TestScanChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dozens of processes")
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
	c := &churn{t: t, sleep: sleep, lf: lf}
	t.Cleanup(c.killAll)
	self, err := readIdentity(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}

	// Stayers live through every scan and must be named by each. The
	// others, holders and not, are listed by a scan and killed while it
	// runs, each replaced by a new child that the next scan lists.
	const scans, stayers, holders, others = 4, 2, 4, 2
	var stay, victims []*child
	for range stayers {
		stay = append(stay, c.start(true))
	}
	for i := range holders + others {
		// Holders and others mixed, a holder last.
		victims = append(victims, c.start(i%((holders+others)/others) != 0))
	}
	wanted := map[uint64]struct{}{lino: {}}
	var named, namedVictims, vanished, changed, exited, started int
	for n := range scans {
		listed := make(map[int]bool)
		for _, ch := range slices.Concat(stay, victims) {
			listed[ch.id.pid] = true
		}
		// Kill the newest first: the scan, in PID order, reaches those
		// last.
		slices.Reverse(victims)

		s := &Scanner{Workers: n % 2}
		reached := make(chan struct{})
		firstExit := make(chan struct{})
		var once sync.Once
		s.hooks.beforeFDs = func(pid int) {
			if listed[pid] {
				once.Do(func() { close(reached) })
				<-firstExit
			}
		}
		var scanning atomic.Bool
		scanning.Store(true)
		scanned := make(chan struct{})
		type churned struct {
			reached         bool
			exited, started int
			next            []*child // the replacements
			err             error
		}
		done := make(chan churned, 1)
		go func() {
			var r churned
			defer func() { done <- r }()
			release := sync.OnceFunc(func() { close(firstExit) })
			defer release()
			select {
			case <-reached:
				r.reached = true
			case <-scanned:
			}
			for _, v := range victims {
				if r.err = c.kill(v); r.err != nil {
					return
				}
				if scanning.Load() {
					r.exited++
				}
				release()
				ch, err := c.tryStart(v.hold)
				if err != nil {
					r.err = err
					return
				}
				r.next = append(r.next, ch)
				if scanning.Load() {
					r.started++
				}
			}
		}()
		res, err := s.Scan(wanted)
		scanning.Store(false)
		close(scanned)
		r := <-done
		if err != nil {
			t.Fatal(err)
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		// By construction: the scan listed the children, and one was
		// killed and reaped while it waited to read them.
		if !r.reached {
			t.Errorf("scan %d: never read the %d children it listed", n, len(listed))
		}
		if r.exited == 0 {
			t.Errorf("scan %d: none of the children it listed exited while it ran", n)
		}
		exited += r.exited
		started += r.started

		for _, o := range res.Owners[lino] {
			named++
			c.checkOwner(n, o, self, lfd)
			if slices.ContainsFunc(victims, func(v *child) bool { return matchesExactly(o, []identity{v.id}) }) {
				namedVictims++
			}
		}
		for _, ch := range stay {
			if !slices.ContainsFunc(res.Owners[lino], func(o snapshot.Owner) bool { return matchesExactly(o, []identity{ch.id}) }) {
				t.Errorf("scan %d: child %d (start %d), which held the socket throughout, not named", n, ch.id.pid, ch.id.start)
			}
		}
		if s := res.State(lino); s == snapshot.OwnersNone || s == snapshot.OwnersUnknown {
			t.Errorf("scan %d: state %s though the test process holds the socket", n, s)
		}
		vanished += res.Vanished
		changed += res.Changed
		victims = r.next
	}
	t.Logf("%d scans, %d holders and %d others started, %d exited and %d started during scans, %d owners named (%d of them children killed during or after their scan), %d vanished, %d changed",
		scans, len(c.holders), len(c.nonHolders), exited, started, named, namedVictims, vanished, changed)
}

// churn starts and ends the children of TestScanChurn. Its methods may be
// called from one goroutine at a time.
type churn struct {
	t     *testing.T
	sleep string
	lf    *os.File // the listener, given to holders as descriptor 3

	holders, nonHolders []identity
	live                []*child
}

// child is a process the churn started.
type child struct {
	cmd  *exec.Cmd
	id   identity
	hold bool // holds the listener as descriptor 3
}

// start starts a child, failing the test when it cannot.
func (c *churn) start(hold bool) *child {
	c.t.Helper()
	ch, err := c.tryStart(hold)
	if err != nil {
		c.t.Fatal(err)
	}
	return ch
}

// tryStart starts a child that lives until killed (30 s at most, should
// the test die first), holding the listener as descriptor 3 when hold is
// set, and records its identity.
func (c *churn) tryStart(hold bool) (*child, error) {
	cmd := exec.Command(c.sleep, "30")
	if hold {
		cmd.ExtraFiles = []*os.File{c.lf}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	ch := &child{cmd: cmd, hold: hold}
	c.live = append(c.live, ch)
	// Not reaped before kill: the stat read is of this child.
	id, err := readIdentity(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	ch.id = id
	if hold {
		c.holders = append(c.holders, id)
	} else {
		c.nonHolders = append(c.nonHolders, id)
	}
	return ch, nil
}

// kill kills ch and reaps it.
func (c *churn) kill(ch *child) error {
	i := slices.Index(c.live, ch)
	if i < 0 {
		return nil
	}
	c.live = slices.Delete(c.live, i, i+1)
	if err := ch.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill child %d: %w", ch.cmd.Process.Pid, err)
	}
	var ee *exec.ExitError
	if err := ch.cmd.Wait(); err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("reap child %d: %w", ch.cmd.Process.Pid, err)
	}
	return nil
}

// killAll kills and reaps every child still running.
func (c *churn) killAll() {
	for len(c.live) > 0 {
		if err := c.kill(c.live[0]); err != nil {
			c.t.Error(err)
		}
	}
}

// checkOwner fails the test unless o, named by scan n as a holder of the
// listener, is the test process (self, by descriptor lfd) or a child that
// held it.
func (c *churn) checkOwner(n int, o snapshot.Owner, self identity, lfd int) {
	c.t.Helper()
	switch {
	case o.PID == self.pid:
		if o.StartTime != self.start || !slices.Equal(o.FDs, []int{lfd}) {
			c.t.Errorf("scan %d: test process as %+v, want start %d, fd %d", n, o, self.start, lfd)
		}
	case slices.Contains(o.FDs, lfd):
		// Between fork and exec a child, holder or not, still has
		// the parent's table (with the listener as lfd, closed on
		// exec): it holds the socket, and its parent is the test.
		if !matchesExactly(o, c.holders) && !matchesExactly(o, c.nonHolders) && o.PPID != self.pid {
			c.t.Errorf("scan %d: named pid %d (start %d, ppid %d, fds %v), which is no child of the test", n, o.PID, o.StartTime, o.PPID, o.FDs)
		}
	default:
		if !slices.Equal(o.FDs, []int{3}) {
			c.t.Errorf("scan %d: pid %d holds by %v, want [3]", n, o.PID, o.FDs)
		}
		if !matchesExactly(o, c.holders) || matchesExactly(o, c.nonHolders) {
			c.t.Errorf("scan %d: named pid %d (start %d), which never held the socket", n, o.PID, o.StartTime)
		}
	}
}

// identity is a process the churn test started, or the test itself.
type identity struct {
	pid   int
	start uint64
}

// readIdentity reads the start time of pid.
func readIdentity(pid int) (identity, error) {
	b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return identity{}, err
	}
	st, err := parseStat(b)
	if err != nil {
		return identity{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return identity{pid: pid, start: st.StartTime}, nil
}

// matchesExactly reports whether o is one of ids: same PID and start time.
func matchesExactly(o snapshot.Owner, ids []identity) bool {
	for _, id := range ids {
		if id.pid == o.PID && id.start == o.StartTime {
			return true
		}
	}
	return false
}
