package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux"
	"github.com/openports/openports/internal/source/linux/bpfowners"
	"github.com/openports/openports/internal/source/linux/bpfwatch"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/procpriv"
)

// Modes of Options.Mode.
const (
	ModeAuto = "auto" // eBPF when it loads, else poll
	ModeEBPF = "ebpf" // eBPF bind records + destroy notices + polls, or fail
	ModePoll = "poll" // polls + destroy notices (+ /proc for new sockets)
)

// Options configure a Watcher.
type Options struct {
	// Interval between polls; 0 means DefaultInterval.
	Interval time.Duration
	// Mode is ModeAuto, ModeEBPF or ModePoll ("" is ModeAuto).
	Mode string
	// NetNSPath is the network namespace to watch (a /proc/PID/ns/net or
	// /run/netns/NAME path); "" is the caller's; AllNetNS is every one
	// the run can see.
	NetNSPath string
	// ProcRoot is where procfs is mounted; "" is /proc.
	ProcRoot string
	// RescanEvery is how many polls pass between owner rescans of every
	// tracked socket (owner-changed events); 0 means 30, <0 never.
	RescanEvery int
	// Ready, when set, is called once everything is in place (eBPF
	// programs attached, notices subscribed, the first poll taken):
	// every socket from then on is watched.
	Ready func()
	// AfterPoll, when set, is called after every poll (with its end),
	// from the goroutine that emits events: for a consumer that holds
	// events back for a while (watch --policy waiting for an owner).
	AfterPoll func(now time.Time)
	// Reach, when set, gets a New event again once a poll has read the
	// IP_TRANSPARENT flag of a loopback socket its New event could not
	// tell (Tracker.Reach), from the goroutine that emits events.
	Reach func(Event)
	// Inputs are the collection core's inputs the polls read through
	// (sock_diag, /proc/net); nil fields are the real ones. Tests give
	// fakes to make dumps fail.
	Inputs linux.Inputs
}

// DefaultInterval is the poll interval when Options.Interval is 0.
const DefaultInterval = time.Second

// Socket-destroy multicast groups of NETLINK_SOCK_DIAG (enum
// sknetlink_groups in linux/sock_diag.h).
var destroyGroups = []uint32{1, 2, 3, 4} // INET_TCP, INET_UDP, INET6_TCP, INET6_UDP

// Run watches until ctx ends and returns what it saw. emit gets every event
// from the one goroutine that runs the tracker. A failure to start (no
// namespace, no sock_diag, --mode ebpf that cannot load) is an error;
// failures after the start are counted in Summary.Errors.
func Run(ctx context.Context, opt Options, emit func(Event)) (Summary, error) {
	if opt.Interval <= 0 {
		opt.Interval = DefaultInterval
	}
	if opt.RescanEvery == 0 {
		opt.RescanEvery = 30
	}
	proc := opt.ProcRoot
	if proc == "" {
		proc = "/proc"
	}

	var tracer *bpfwatch.Tracer
	var err error
	mode := opt.Mode
	switch mode {
	case ModeEBPF, ModeAuto, "":
		tracer, err = bpfwatch.Open()
		if err != nil && mode == ModeEBPF {
			return Summary{}, fmt.Errorf("--mode ebpf: %w", err)
		}
		mode = ModeEBPF
		if err != nil {
			mode = ModePoll
		}
	case ModePoll:
	default:
		return Summary{}, fmt.Errorf("unknown watch mode %q (want auto, ebpf or poll)", opt.Mode)
	}
	if tracer != nil {
		defer tracer.Close()
	}

	users := &linux.UserCache{}
	t := NewTracker(emit)
	t.UserName = users.Name
	inputs := linux.Live(proc)
	t.Ephemeral = linux.EphemeralRange(inputs.Proc)
	t.Summary.Mode = mode
	t.Summary.Start = time.Now()
	fail := func(err error) { t.fail(err.Error()) }
	// A /proc that cannot list every process (another PID namespace,
	// hidepid), or one of which that could not be told, makes no socket
	// "held by no process".
	priv, err := inputs.Privilege.Detect()
	if err != nil {
		fail(fmt.Errorf("privilege probe: %w", err))
	}
	owners := ownerLookup(t, proc, mode, users, blindReason(priv, err))

	// Subscribe to destroy notices before the first dump (in nsSet.add),
	// so that nothing dies unseen between the dump and the subscription.
	// Their sockets are non-blocking and in one epoll set with an eventfd
	// that the end of ctx writes: this goroutine waits on it for notices
	// and until the next poll or ring buffer read, so that nothing is
	// handed from goroutine to goroutine per notice.
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return Summary{}, fmt.Errorf("create epoll set: %w", err)
	}
	defer unix.Close(epfd)
	stopFD, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return Summary{}, fmt.Errorf("create eventfd: %w", err)
	}
	defer unix.Close(stopFD)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, stopFD, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stopFD)}); err != nil {
		return Summary{}, fmt.Errorf("add eventfd to epoll set: %w", err)
	}
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-ctx.Done():
			one := [8]byte{1}
			_, _ = unix.Write(stopFD, one[:]) // any non-zero count wakes the wait
		case <-ended:
		}
	}()
	set := &nsSet{proc: proc, in: opt.Inputs, epfd: epfd, byIno: map[uint64]*nsWatch{}, byFD: map[int32]*nsWatch{}, fail: fail}
	defer set.closeAll()
	if opt.NetNSPath == AllNetNS {
		set.all = true
		if err := set.add("", proc+"/thread-self/ns/net", 0); err != nil {
			return Summary{}, err
		}
		for _, err := range set.discover() {
			fail(err)
		}
	} else {
		nsPath := opt.NetNSPath
		if nsPath == "" {
			nsPath = proc + "/thread-self/ns/net"
		}
		if err := set.add("", nsPath, 0); err != nil {
			return Summary{}, err
		}
	}
	t.NSName = set.name
	t.Localnet = set.localnet
	t.Reach = opt.Reach
	t.Summary.Namespaces = len(set.byIno)
	if set.noNotices != nil {
		fail(fmt.Errorf("no socket-destroy notices (needs CAP_NET_ADMIN): sockets that live shorter than --interval are missed: %w", set.noNotices))
	}

	// The ring buffer is read by this goroutine, without waiting on it:
	// before every batch of destroy notices (so that the bind record of
	// a socket a notice ends is always taken first), before every poll
	// (so that a socket the dump caught is matched with its bind record
	// rather than looked up in /proc), and every recordEvery. Records
	// carry the kernel's time, so that reading them late does not change
	// what is reported.
	clock := newMonoClock()
	readRecords := func() {
		if tracer == nil || !tracer.Pending() {
			return
		}
		_, err := tracer.ReadAvailable(func(ev bpfwatch.Event) {
			if set.watches(ev.NetNS) {
				t.Bound(clock.wall(ev.MonoNS), ev)
			}
		})
		if err != nil {
			fail(err)
		}
	}
	var notices noticeReader
	// takeNotices reads the notices waiting on the sockets epoll named
	// (every socket when ready is nil), then the ring buffer, then hands
	// the notices to the tracker: a notice is read before the records,
	// so that every bind that preceded the close it reports is taken
	// first.
	takeNotices := func(ready []unix.EpollEvent) {
		notices.batch = notices.batch[:0]
		if ready == nil {
			for _, w := range set.byIno {
				if w.nfd >= 0 {
					notices.drain(w.nfd, w.ino, fail)
				}
			}
		} else {
			for _, ev := range ready {
				if w, ok := set.byFD[ev.Fd]; ok {
					notices.drain(w.nfd, w.ino, fail)
				}
			}
		}
		readRecords()
		now := time.Now()
		for i := range notices.batch {
			t.Destroyed(now, notices.batch[i])
		}
	}
	socks, gaps, failed := set.poll()
	for _, g := range gaps {
		fail(errors.New(g.Detail))
	}
	if len(failed) > 0 && !set.all {
		for _, err := range failed {
			return Summary{}, fmt.Errorf("first poll: %w", err)
		}
	}
	for _, err := range failed {
		fail(err)
	}
	t.Start(time.Now(), socks, owners)
	if opt.Ready != nil {
		opt.Ready()
	}

	nextPoll := time.Now().Add(opt.Interval)
	nextRecords := time.Now().Add(recordEvery)
	events := make([]unix.EpollEvent, 64)
	polls := 0
	for {
		if ctx.Err() != nil {
			if tracer != nil {
				if lost, err := tracer.Lost(); err == nil {
					t.Summary.EBPFLost = lost
				}
			}
			t.Summary.Duration = time.Since(t.Summary.Start)
			return t.Summary, nil
		}
		now := time.Now()
		wake := nextPoll
		if tracer != nil && nextRecords.Before(wake) {
			wake = nextRecords
		}
		timeout := 0
		if d := wake.Sub(now); d > 0 {
			timeout = int((d + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(epfd, events, timeout)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return t.Summary, fmt.Errorf("wait for destroy notices: %w", err)
		}
		if n > 0 {
			ready := events[:0]
			for _, ev := range events[:n] {
				if ev.Fd != int32(stopFD) {
					ready = append(ready, ev)
				}
			}
			if len(ready) > 0 {
				takeNotices(ready)
				// Let notices gather for a moment: one wake-up
				// then reads many, rather than one each.
				if noticeHold > 0 {
					_ = unix.Nanosleep(&unix.Timespec{Nsec: int64(noticeHold)}, nil)
				}
			}
		}
		now = time.Now()
		if tracer != nil && !now.Before(nextRecords) {
			readRecords()
			nextRecords = now.Add(recordEvery)
		}
		if now.Before(nextPoll) {
			continue
		}
		// Like a ticker: the next poll is due one interval after this
		// one was, or one interval from now after a late one.
		nextPoll = nextPoll.Add(opt.Interval)
		if !nextPoll.After(now) {
			nextPoll = now.Add(opt.Interval)
		}
		polls++
		if set.all {
			for _, err := range set.discover() {
				fail(err)
			}
			t.Summary.Namespaces = max(t.Summary.Namespaces, len(set.byIno))
		}
		start := time.Now()
		socks, gaps, failed := set.poll()
		clear(set.routeLocalnet) // read again when an event needs it
		for _, g := range gaps {
			fail(errors.New(g.Detail))
		}
		for _, err := range failed {
			fail(err)
		}
		// Every bind that returned before the dump ended is in the ring
		// buffer, and every close before it has its notice queued: take
		// the notices (each socket), then those records, before the dump.
		takeNotices(nil)
		// A namespace whose dump failed keeps its sockets until a poll
		// of it works.
		var polled func(uint64) bool
		if len(failed) > 0 {
			polled = func(ino uint64) bool { _, bad := failed[ino]; return !bad }
		}
		t.PollNamespaces(start, time.Now(), socks, polled, owners)
		if opt.RescanEvery > 0 && polls%opt.RescanEvery == 0 {
			t.Rescan(time.Now(), owners)
		}
		if opt.AfterPoll != nil {
			opt.AfterPoll(time.Now())
		}
	}
}

// AllNetNS as Options.NetNSPath watches every network namespace the run can
// see: its own, those of every process in /proc, and those named in
// /run/netns (ip netns), found again at every poll.
const AllNetNS = "all"

// recordEvery is how often the eBPF ring buffer is read when no notice or
// poll has read it meanwhile: the delay of a New event from a bind record.
const recordEvery = 50 * time.Millisecond

// ownerLookup returns the OwnerFunc of a watch: the eBPF task_file iterator
// (package bpfowners) in eBPF mode where it loads, the /proc scan
// otherwise. The iterator reads the kernel's file tables without a
// readlink per descriptor of the host, which is what a /proc scan costs.
//
// blind is why some processes are not even listed in /proc ("" when all
// are): a socket no listed process holds then has an unknown owner, not
// none, and one whose holders were found may have others.
func ownerLookup(t *Tracker, proc, mode string, users *linux.UserCache, blind string) OwnerFunc {
	scanner := &fdscan.Scanner{ProcRoot: proc, LookupUser: users.LookupUser}
	useIter := mode == ModeEBPF && proc == "/proc" && bpfowners.Available() == nil
	if useIter {
		t.Summary.OwnerMethod = snapshot.OwnerMethodEBPF
	} else {
		t.Summary.OwnerMethod = snapshot.OwnerMethodProcFD
	}
	return func(wanted map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) {
		t.Summary.OwnerScans++
		var res *fdscan.Result
		var err error
		if useIter {
			res, err = bpfowners.ScanWith(wanted, scanner)
			if err != nil {
				t.fail(fmt.Sprintf("eBPF owner scan (falling back to /proc): %v", err))
				res, err = scanner.Scan(wanted)
			}
		} else {
			res, err = scanner.Scan(wanted)
		}
		if err != nil {
			t.fail(fmt.Sprintf("scan /proc for owners: %v", err))
			return nil, err.Error()
		}
		reason := blind
		if reason == "" && !res.Complete() {
			reason = "some processes could not be read (run as root)"
		}
		return res.Owners, reason
	}
}

// blindReason is why /proc does not list every process that may hold a
// socket, "" when it does: a PID namespace other than the host's, or a
// hidepid mount without CAP_SYS_PTRACE (procpriv says which), or a
// privilege probe that failed (err), which leaves it untold.
func blindReason(priv procpriv.Info, err error) string {
	if err != nil {
		return fmt.Sprintf("could not tell whether /proc lists every process: %v", err)
	}
	if !priv.PIDNS && !priv.ProcessesHidden() {
		return ""
	}
	return priv.Advice()
}

// noticeHold is how long the loop rests after it took destroy notices, so
// that under churn one wake-up reads the notices of many sockets: a gone
// event is stamped up to this much after the close.
const noticeHold = 5 * time.Millisecond

// fail counts an error watch goes on after.
func (t *Tracker) fail(msg string) {
	if t.Summary.Errors == nil {
		t.Summary.Errors = map[string]int{}
	}
	if len(t.Summary.Errors) < 100 {
		t.Summary.Errors[msg]++
	}
}

// monoClock converts CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to
// wall time.
type monoClock struct {
	wall0 time.Time
	mono0 int64
}

func newMonoClock() monoClock {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail on Linux
	return monoClock{wall0: time.Now(), mono0: ts.Nano()}
}

func (c monoClock) wall(ns uint64) time.Time {
	return c.wall0.Add(time.Duration(int64(ns) - c.mono0))
}
