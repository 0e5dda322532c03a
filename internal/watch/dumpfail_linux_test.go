package watch

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux"
	"github.com/openports/openports/internal/source/linux/sockdiag"
	"github.com/openports/openports/internal/testenv"
)

// failingDiag is the real sock_diag whose dumps fail (EIO, as a reply lost
// mid-dump) once the first poll has been taken: failing is set then.
type failingDiag struct {
	real    linux.DiagOpener
	failing *atomic.Bool
}

func (d failingDiag) Open(netnsFD int) (linux.DiagConn, error) {
	c, err := d.real.Open(netnsFD)
	if err != nil {
		return nil, err
	}
	return failingConn{c, d.failing}, nil
}

type failingConn struct {
	linux.DiagConn
	failing *atomic.Bool
}

func (c failingConn) Dump(q sockdiag.Query) (*sockdiag.Result, error) {
	if c.failing.Load() {
		return nil, unix.EIO
	}
	return c.DiagConn.Dump(q)
}

// failingProc is the real procfs whose /proc/net tables cannot be read.
type failingProc struct{ linux.ProcReader }

func (failingProc) NetSockets(int, uint64, []snapshot.Proto, bool) ([]snapshot.Socket, error) {
	return nil, unix.EACCES
}

// TestPollDumpFails: once every sock_diag dump fails, watch's polls go
// through the collection core's fall-back: /proc/net is read (a listener
// that was there stays, one that appears is reported new, and the
// fall-back is counted in the summary's errors); when /proc/net cannot be
// read either, the namespace is unknown, and its sockets are not reported
// gone.
func TestPollDumpFails(t *testing.T) {
	env := testenv.New(t)
	for _, tt := range []struct {
		name     string
		proc     linux.ProcReader
		wantNew  bool   // the listener opened after the failure is reported
		wantFail string // in Summary.Errors
	}{
		{"proc/net fall-back", nil, true, "read /proc/net instead"},
		{"nothing readable", failingProc{linux.Live("/proc").Proc}, false, "poll network namespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)})
			var failing atomic.Bool
			in := linux.Inputs{Diag: failingDiag{real: linux.Live("/proc").Diag, failing: &failing}}
			if tt.proc != nil {
				in.Proc = tt.proc
			}
			var afterPolls atomic.Int32
			w := startWatch(t, Options{Mode: ModePoll, NetNSPath: env.NetNSPath(), Interval: 20 * time.Millisecond,
				RescanEvery: -1, Inputs: in, Ready: func() { failing.Store(true) }, AfterPoll: func(time.Time) { afterPolls.Add(1) }})
			after := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)})
			// Until the new listener is reported, or for some fifteen
			// polls when it cannot be.
			wait := 300 * time.Millisecond
			if tt.wantNew {
				wait = 5 * time.Second
			}
			for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
				if tt.wantNew && w.Find(after.Inode, New) != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			sum := w.Stop(t)
			if w.Find(before.Inode, Gone) != nil {
				t.Errorf("the listener that stayed was reported gone after the dumps failed: %+v", w.Events())
			}
			if got := w.Find(after.Inode, New) != nil; got != tt.wantNew {
				t.Errorf("new listener reported: %v, want %v (events %+v)", got, tt.wantNew, w.Events())
			}
			var found bool
			for msg := range sum.Errors {
				found = found || strings.Contains(msg, tt.wantFail)
			}
			if !found || sum.Polls < 1 {
				t.Errorf("summary %+v: want errors naming %q after a poll", sum, tt.wantFail)
			}
			if n := int(afterPolls.Load()); n != sum.Polls {
				t.Errorf("AfterPoll called %d times in %d polls", n, sum.Polls)
			}
		})
	}
}
