package watch

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// destroyReadBuffer is the kernel receive buffer of a destroy-notice
// socket: room for a burst of several thousand notices between two reads.
const destroyReadBuffer = 4 << 20

// nsWatch is one watched network namespace: the collection core's dump for
// the polls (a sock_diag socket kept open, /proc/net when a dump fails) and
// a socket subscribed to its destroy notices, both opened inside it (they
// keep the namespace alive until closed).
type nsWatch struct {
	ino  uint64
	dump *linux.NamespaceDump
	nfd  int // non-blocking destroy-notice socket, in the set's epoll; -1 without notices
}

// nsSet is the namespaces a watch follows. Only the goroutine of Run uses
// it; the notice sockets of every namespace are in one epoll set (epfd),
// which Run's loop waits on.
type nsSet struct {
	proc  string
	in    linux.Inputs // the collection core's inputs (nil fields: real)
	all   bool
	epfd  int
	byIno map[uint64]*nsWatch
	byFD  map[int32]*nsWatch
	mu    sync.Mutex // guards names (read by the tracker's NSName)
	names map[uint64]string
	// noNotices is why destroy notices could not be subscribed to (no
	// CAP_NET_ADMIN), nil when they were.
	noNotices error
	// routeLocalnet caches, by namespace, what localnet read since the
	// last poll: a setting changes rarely, and reading another
	// namespace's costs a thread that enters it.
	routeLocalnet map[uint64]localnetState
	// fail counts an error the watch goes on after; nil counts none.
	fail func(error)
}

type localnetState struct {
	via []string
	err error
}

// localnet names the interfaces of namespace ino whose route_localnet lets
// other machines reach its IPv4 loopback sockets (read as list reads them,
// linux.NamespaceDump.RouteLocalnet), or why that could not be read: once
// per namespace between two polls.
func (set *nsSet) localnet(ino uint64) ([]string, error) {
	if st, ok := set.routeLocalnet[ino]; ok {
		return st.via, st.err
	}
	var st localnetState
	if w := set.byIno[ino]; w == nil {
		st.err = fmt.Errorf("route_localnet of network namespace %d was not read: it is not watched yet", ino)
	} else {
		ifs, err := w.dump.RouteLocalnet()
		st.err = err
		for _, ifc := range ifs {
			st.via = append(st.via, ifc.Name)
		}
	}
	if st.err != nil && set.fail != nil {
		set.fail(st.err)
	}
	if set.routeLocalnet == nil {
		set.routeLocalnet = map[uint64]localnetState{}
	}
	set.routeLocalnet[ino] = st
	return st.via, st.err
}

// add starts watching the namespace that path refers to, unless it is
// already watched; name is its `ip netns` name, if known, and pid a
// process in it (0: none known), whose /proc/PID/net is read when a dump
// fails.
func (set *nsSet) add(name, path string, pid int) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	// The sockets hold the namespace; the file is needed only to open them.
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat network namespace %s: %w", path, err)
	}
	if name != "" {
		set.setName(st.Ino, name)
	}
	if _, ok := set.byIno[st.Ino]; ok {
		return nil
	}
	// The run's own namespace is opened without entering it, as list
	// does: entering any namespace (setns) needs CAP_SYS_ADMIN, which an
	// unprivileged user lacks even for the namespace it is in.
	nsFD := fd
	var own unix.Stat_t
	if err := unix.Stat(set.proc+"/thread-self/ns/net", &own); err == nil {
		if own.Dev != st.Dev {
			// Not a namespace: an `ip netns` name being added or removed.
			return fmt.Errorf("open network namespace %s: not a namespace file: %w", path, unix.ENOENT)
		}
		if own.Ino == st.Ino {
			nsFD = -1
		}
	}
	if nsFD >= 0 {
		// The dump keeps its own descriptor, to open sock_diag again
		// after a failed dump.
		if nsFD, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0); err != nil {
			return fmt.Errorf("watch network namespace %s: %w", path, err)
		}
	}
	if pid <= 0 {
		pid = pidOfNSPath(set.proc, path)
	}
	dump, err := linux.OpenNamespaceDump(source.Options{ProcRoot: set.proc}, set.in,
		linux.NamespaceTarget{ID: st.Ino, Name: name, FD: nsFD, PID: pid})
	if err != nil {
		if nsFD >= 0 {
			unix.Close(nsFD)
		}
		return fmt.Errorf("watch network namespace %s: %w", path, err)
	}
	nfd, err := openNoticeSocket(fd)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		// Destroy notices need CAP_NET_ADMIN: without them the watch
		// polls only, and says so.
		set.noNotices = err
		nfd = -1
	} else if err != nil {
		dump.Close()
		return fmt.Errorf("destroy notices in %s: %w", path, err)
	}
	if nfd >= 0 {
		if err := unix.EpollCtl(set.epfd, unix.EPOLL_CTL_ADD, nfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(nfd)}); err != nil {
			unix.Close(nfd)
			dump.Close()
			return fmt.Errorf("destroy notices in %s: epoll: %w", path, err)
		}
	}
	w := &nsWatch{ino: st.Ino, dump: dump, nfd: nfd}
	set.byIno[st.Ino] = w
	if nfd >= 0 {
		set.byFD[int32(nfd)] = w
	}
	return nil
}

func (set *nsSet) close(w *nsWatch) {
	if w.nfd >= 0 {
		_ = unix.EpollCtl(set.epfd, unix.EPOLL_CTL_DEL, w.nfd, nil)
		delete(set.byFD, int32(w.nfd))
		unix.Close(w.nfd)
	}
	w.dump.Close()
	delete(set.byIno, w.ino)
}

func (set *nsSet) closeAll() {
	for _, w := range set.byIno {
		set.close(w)
	}
}

func (set *nsSet) setName(ino uint64, name string) {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.names == nil {
		set.names = map[uint64]string{}
	}
	set.names[ino] = name
}

// name returns the `ip netns` name of the namespace ino, "" when it has none.
func (set *nsSet) name(ino uint64) string {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.names[ino]
}

// watches says whether an eBPF record of namespace ino is wanted: any one
// with --netns all (a namespace born since the last poll is added at the
// next), else the watched one only.
func (set *nsSet) watches(ino uint64) bool {
	if set.all {
		return true
	}
	_, ok := set.byIno[ino]
	return ok
}

// discover adds the namespaces named in /run/netns and those of every
// process in /proc (found as list finds them, linux.NetNSLister), and stops
// watching those that neither holds any more (except the run's own). It
// returns what it could not read, summed up. A namespace that vanished
// while it was being opened is not an error.
func (set *nsSet) discover() []error {
	var errs []error
	lister := linux.Live(set.proc).NetNS
	seen := map[uint64]bool{}
	if self, err := lister.Self(); err == nil {
		seen[self] = true
	}
	byNS, denied, err := lister.ByProcess()
	if err != nil {
		errs = append(errs, err)
	}
	names := lister.Named()
	for ino, name := range names {
		seen[ino] = true
		pid := 0
		if pids := byNS[ino]; len(pids) > 0 {
			pid = pids[0]
		}
		if err := set.add(name, linux.RunNetNS+"/"+name, pid); err != nil && !linux.Vanished(err) {
			errs = append(errs, err)
		}
	}
	set.mu.Lock()
	set.names = names
	set.mu.Unlock()

	for ino, pids := range byNS {
		seen[ino] = true
		if _, ok := set.byIno[ino]; ok {
			continue
		}
		for _, pid := range pids {
			err := set.add("", set.proc+"/"+strconv.Itoa(pid)+"/ns/net", pid)
			if err == nil {
				break
			}
			if !linux.Vanished(err) {
				errs = append(errs, err)
				break
			}
		}
	}
	if denied > 0 {
		errs = append(errs, fmt.Errorf("the network namespaces of some processes could not be read (run as root)"))
	}
	for ino, w := range set.byIno {
		if !seen[ino] {
			set.close(w)
		}
	}
	return errs
}

// poll dumps, in every watched namespace, TCP listeners and UDP and
// UDP-Lite sockets of every state, with the state filter in the kernel
// (established TCP connections are never read), tagged with the namespace,
// through the collection core (a failed dump falls back to /proc/net).
//
// gaps are what the dumps could not see fully (a fall-back to /proc/net);
// failed holds the namespaces that could not be read at all, with the
// error: their sockets are unknown, not gone.
func (set *nsSet) poll() (socks []snapshot.Socket, gaps []snapshot.Gap, failed map[uint64]error) {
	inos := make([]uint64, 0, len(set.byIno))
	for ino := range set.byIno {
		inos = append(inos, ino)
	}
	slices.Sort(inos)
	for _, ino := range inos {
		w := set.byIno[ino]
		n := len(socks)
		for _, q := range pollQueries {
			res, g, err := w.dump.Dump(q)
			gaps = append(gaps, g...)
			if err != nil {
				if failed == nil {
					failed = map[uint64]error{}
				}
				failed[ino] = fmt.Errorf("poll network namespace %d: %w", ino, err)
				socks = socks[:n]
				break
			}
			socks = append(socks, res...)
		}
	}
	return socks, gaps, failed
}

// pollQueries are the dumps of one poll: TCP listeners, and UDP and
// UDP-Lite sockets of every state (a connected UDP socket has a port too).
var pollQueries = []sockdiag.Query{
	{Protos: []snapshot.Proto{snapshot.TCP}},
	{Protos: []snapshot.Proto{snapshot.UDP, snapshot.UDPLite}, AllStates: true},
}

// pidOfNSPath is the PID of a procRoot/PID/ns/net path, 0 for any other.
func pidOfNSPath(proc, path string) int {
	rest, ok := strings.CutPrefix(path, proc+"/")
	if !ok {
		return 0
	}
	num, ok := strings.CutSuffix(rest, "/ns/net")
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(num)
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
