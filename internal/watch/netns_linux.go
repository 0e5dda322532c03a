package watch

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// runNetNS is where `ip netns` keeps the namespaces it names.
const runNetNS = "/run/netns"

// destroyReadBuffer is the kernel receive buffer of a destroy-notice
// socket: room for a burst of several thousand notices between two reads.
const destroyReadBuffer = 4 << 20

// nsWatch is one watched network namespace: a sock_diag socket for the
// polls and one subscribed to its destroy notices, both opened inside it
// (they keep the namespace alive until closed).
type nsWatch struct {
	ino  uint64
	dump *sockdiag.Conn
	nfd  int // non-blocking destroy-notice socket, in the set's epoll
}

// nsSet is the namespaces a watch follows. Only the goroutine of Run uses
// it; the notice sockets of every namespace are in one epoll set (epfd),
// which Run's loop waits on.
type nsSet struct {
	proc  string
	all   bool
	epfd  int
	byIno map[uint64]*nsWatch
	byFD  map[int32]*nsWatch
	mu    sync.Mutex // guards names (read by the tracker's NSName)
	names map[uint64]string
}

// add starts watching the namespace that path refers to, unless it is
// already watched; name is its `ip netns` name, if known.
func (set *nsSet) add(name, path string) error {
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
	dump, err := sockdiag.Open(fd)
	if err != nil {
		return fmt.Errorf("watch network namespace %s: %w", path, err)
	}
	nfd, err := openNoticeSocket(fd)
	if err != nil {
		dump.Close()
		return fmt.Errorf("destroy notices in %s: %w", path, err)
	}
	if err := unix.EpollCtl(set.epfd, unix.EPOLL_CTL_ADD, nfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(nfd)}); err != nil {
		unix.Close(nfd)
		dump.Close()
		return fmt.Errorf("destroy notices in %s: epoll: %w", path, err)
	}
	w := &nsWatch{ino: st.Ino, dump: dump, nfd: nfd}
	set.byIno[st.Ino] = w
	set.byFD[int32(nfd)] = w
	return nil
}

func (set *nsSet) close(w *nsWatch) {
	_ = unix.EpollCtl(set.epfd, unix.EPOLL_CTL_DEL, w.nfd, nil)
	delete(set.byFD, int32(w.nfd))
	unix.Close(w.nfd)
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
// process in /proc, and stops watching those that neither holds any more
// (except the run's own). It returns what it could not read, summed up.
func (set *nsSet) discover() []error {
	var errs []error
	seen := map[uint64]bool{}
	var self unix.Stat_t
	if err := unix.Stat(set.proc+"/thread-self/ns/net", &self); err == nil {
		seen[self.Ino] = true
	}
	names := map[uint64]string{}
	if ents, err := os.ReadDir(runNetNS); err == nil {
		for _, e := range ents {
			path := runNetNS + "/" + e.Name()
			var st unix.Stat_t
			if err := unix.Stat(path, &st); err != nil {
				continue // a name being created or removed
			}
			names[st.Ino] = e.Name()
			seen[st.Ino] = true
			if err := set.add(e.Name(), path); err != nil {
				errs = append(errs, err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("list %s: %w", runNetNS, err))
	}
	set.mu.Lock()
	set.names = names
	set.mu.Unlock()

	ents, err := os.ReadDir(set.proc)
	if err != nil {
		return append(errs, fmt.Errorf("list %s: %w", set.proc, err))
	}
	denied := 0
	buf := make([]byte, 64)
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		path := set.proc + "/" + e.Name() + "/ns/net"
		n, err := unix.Readlink(path, buf)
		if err != nil {
			if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
				denied++
			}
			continue // most often: the process exited
		}
		ino, ok := parseNetNSLink(buf[:n])
		if !ok {
			continue
		}
		seen[ino] = true
		if _, ok := set.byIno[ino]; ok {
			continue
		}
		if err := set.add("", path); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, err)
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

// parseNetNSLink parses the target of a /proc/PID/ns/net link, "net:[INO]".
func parseNetNSLink(b []byte) (uint64, bool) {
	s, ok := strings.CutPrefix(string(b), "net:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil
}

// poll dumps, in every watched namespace, TCP listeners and UDP and
// UDP-Lite sockets of every state, with the state filter in the kernel
// (established TCP connections are never read), tagged with the namespace.
//
// failed holds the namespaces whose dump failed, with the error.
func (set *nsSet) poll() (socks []snapshot.Socket, failed map[uint64]error) {
	inos := make([]uint64, 0, len(set.byIno))
	for ino := range set.byIno {
		inos = append(inos, ino)
	}
	slices.Sort(inos)
	for _, ino := range inos {
		w := set.byIno[ino]
		n := len(socks)
		for _, q := range []sockdiag.Query{
			{Protos: []snapshot.Proto{snapshot.TCP}},
			{Protos: []snapshot.Proto{snapshot.UDP, snapshot.UDPLite}, AllStates: true},
		} {
			res, err := w.dump.Dump(q)
			if err != nil {
				if failed == nil {
					failed = map[uint64]error{}
				}
				failed[ino] = fmt.Errorf("poll network namespace %d: %w", ino, err)
				break
			}
			socks = append(socks, res.Sockets...)
		}
		for i := n; i < len(socks); i++ {
			socks[i].NetNS = ino
		}
	}
	return socks, failed
}
