package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/bpfwatch"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/sockdiag"
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
	// /run/netns/NAME path); "" is the caller's.
	NetNSPath string
	// ProcRoot is where procfs is mounted; "" is /proc.
	ProcRoot string
	// RescanEvery is how many polls pass between owner rescans of every
	// tracked socket (owner-changed events); 0 means 30, <0 never.
	RescanEvery int
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
	nsPath := opt.NetNSPath
	if nsPath == "" {
		nsPath = proc + "/thread-self/ns/net"
	}
	nsFD, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Summary{}, fmt.Errorf("open network namespace %s: %w", nsPath, err)
	}
	defer unix.Close(nsFD)
	var st unix.Stat_t
	if err := unix.Fstat(nsFD, &st); err != nil {
		return Summary{}, fmt.Errorf("stat network namespace %s: %w", nsPath, err)
	}
	netns := st.Ino

	dump, err := sockdiag.Open(nsFD)
	if err != nil {
		return Summary{}, fmt.Errorf("watch: %w", err)
	}
	defer dump.Close()

	var tracer *bpfwatch.Tracer
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

	users := userCache{}
	t := NewTracker(emit)
	t.UserName = users.name
	t.Ephemeral = ephemeralRange(proc)
	t.Summary.Mode = mode
	t.Summary.Start = time.Now()
	scanner := &fdscan.Scanner{ProcRoot: proc}
	owners := func(wanted map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) {
		res, err := scanner.Scan(wanted)
		if err != nil {
			t.fail(fmt.Sprintf("scan /proc for owners: %v", err))
			return nil, err.Error()
		}
		var reason string
		if !res.Complete() {
			reason = "some processes could not be read (run as root)"
		}
		return res.Owners, reason
	}
	fail := func(err error) { t.fail(err.Error()) }

	// Subscribe before the first dump, so that nothing dies unseen
	// between the dump and the subscription.
	destroyed := make(chan snapshot.Socket, 4096)
	dconn, err := netlink.Dial(unix.NETLINK_SOCK_DIAG, &netlink.Config{NetNS: nsFD})
	if err != nil {
		return Summary{}, fmt.Errorf("open sock_diag destroy notices: %w", err)
	}
	for _, g := range destroyGroups {
		if err := dconn.JoinGroup(g); err != nil {
			dconn.Close()
			return Summary{}, fmt.Errorf("subscribe to sock_diag destroy notices (needs CAP_NET_ADMIN): %w", err)
		}
	}
	dconnDone := make(chan struct{})
	go func() {
		defer close(dconnDone)
		for {
			msgs, err := dconn.Receive()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "use of closed") {
					select {
					case destroyed <- snapshot.Socket{State: "error: " + snapshot.State(err.Error())}:
					default:
					}
					if errors.Is(err, unix.ENOBUFS) {
						continue
					}
				}
				return
			}
			for _, m := range msgs {
				s, err := sockdiag.Decode(m.Data, snapshot.UDP)
				if err != nil {
					continue
				}
				s.NetNS = netns
				select {
				case destroyed <- s:
				default: // the tracker is behind; a poll will find it gone
				}
			}
		}
	}()
	defer func() { dconn.Close(); <-dconnDone }()

	records := make(chan bpfwatch.Event, 4096)
	if tracer != nil {
		go func() {
			for {
				ev, err := tracer.Read()
				if err != nil {
					close(records)
					return
				}
				if uint64(ev.NetNS) != netns {
					continue
				}
				select {
				case records <- ev:
				case <-ctx.Done():
					close(records)
					return
				}
			}
		}()
	}

	poll := func() ([]snapshot.Socket, error) {
		var socks []snapshot.Socket
		for _, q := range []sockdiag.Query{
			{Protos: []snapshot.Proto{snapshot.TCP}},
			{Protos: []snapshot.Proto{snapshot.UDP, snapshot.UDPLite}, AllStates: true},
		} {
			res, err := dump.Dump(q)
			if err != nil {
				return nil, err
			}
			socks = append(socks, res.Sockets...)
		}
		for i := range socks {
			socks[i].NetNS = netns
		}
		return socks, nil
	}
	socks, err := poll()
	if err != nil {
		return Summary{}, fmt.Errorf("first poll: %w", err)
	}
	t.Start(time.Now(), socks, owners)

	ticker := time.NewTicker(opt.Interval)
	defer ticker.Stop()
	clock := newMonoClock()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			if tracer != nil {
				if lost, err := tracer.Lost(); err == nil {
					t.Summary.EBPFLost = lost
				}
			}
			t.Summary.Duration = time.Since(t.Summary.Start)
			return t.Summary, nil
		case s := <-destroyed:
			if strings.HasPrefix(string(s.State), "error: ") {
				fail(fmt.Errorf("destroy notices: %s", strings.TrimPrefix(string(s.State), "error: ")))
				continue
			}
			t.Destroyed(time.Now(), s)
		case ev, ok := <-records:
			if !ok {
				records = nil
				continue
			}
			t.Bound(clock.wall(ev.MonoNS), ev)
		case <-ticker.C:
			start := time.Now()
			socks, err := poll()
			if err != nil {
				fail(err)
				continue
			}
			// Records and notices that came in while the dump ran
			// are taken first, so that a socket bound and closed
			// meanwhile is not first reported by the poll.
			drain(t, records, destroyed, clock)
			t.Poll(start, time.Now(), socks, owners)
			if opt.RescanEvery > 0 && n%opt.RescanEvery == 0 {
				t.Rescan(time.Now(), owners)
			}
		}
	}
}

func drain(t *Tracker, records <-chan bpfwatch.Event, destroyed <-chan snapshot.Socket, clock monoClock) {
	for range 100000 {
		select {
		case ev, ok := <-records:
			if !ok {
				records = nil
				continue
			}
			t.Bound(clock.wall(ev.MonoNS), ev)
		case s := <-destroyed:
			if !strings.HasPrefix(string(s.State), "error: ") {
				t.Destroyed(time.Now(), s)
			}
		default:
			return
		}
	}
}

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

// ephemeralRange reads net.ipv4.ip_local_port_range.
func ephemeralRange(proc string) *snapshot.PortRange {
	b, err := os.ReadFile(proc + "/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return nil
	}
	a, err1 := strconv.ParseUint(f[0], 10, 16)
	z, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil || a > z {
		return nil
	}
	return &snapshot.PortRange{First: uint16(a), Last: uint16(z)}
}

// userCache names uids once each.
type userCache map[uint32]string

func (u userCache) lookup(uid uint32) (string, error) {
	if n, ok := u[uid]; ok {
		return n, nil
	}
	usr, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		u[uid] = ""
		return "", fmt.Errorf("look up uid %d: %w", uid, err)
	}
	u[uid] = usr.Username
	return usr.Username, nil
}

func (u userCache) name(uid uint32) string {
	n, _ := u.lookup(uid)
	return n
}
