package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mdlayher/netlink"
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
	ino   uint64
	dump  *sockdiag.Conn
	dconn *netlink.Conn
	done  chan struct{}
}

// nsSet is the namespaces a watch follows. Only the goroutine of Run uses
// it; each namespace's notice reader feeds destroyed.
type nsSet struct {
	ctx       context.Context
	proc      string
	all       bool
	destroyed chan<- snapshot.Socket
	byIno     map[uint64]*nsWatch
	mu        sync.Mutex // guards names (read by the tracker's NSName)
	names     map[uint64]string
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
	dconn, err := netlink.Dial(unix.NETLINK_SOCK_DIAG, &netlink.Config{NetNS: fd})
	if err != nil {
		dump.Close()
		return fmt.Errorf("open sock_diag destroy notices in %s: %w", path, err)
	}
	for _, g := range destroyGroups {
		if err := dconn.JoinGroup(g); err != nil {
			dconn.Close()
			dump.Close()
			return fmt.Errorf("subscribe to sock_diag destroy notices in %s (needs CAP_NET_ADMIN): %w", path, err)
		}
	}
	// A larger buffer only lowers the chance of ENOBUFS in a burst; the
	// default one works too.
	_ = dconn.SetReadBuffer(destroyReadBuffer)
	w := &nsWatch{ino: st.Ino, dump: dump, dconn: dconn, done: make(chan struct{})}
	set.byIno[st.Ino] = w
	go w.readNotices(set.ctx, set.destroyed)
	return nil
}

// readNotices forwards the namespace's destroy notices until its socket is
// closed. A receive error other than the close is forwarded as a socket
// whose State starts with "error: ".
func (w *nsWatch) readNotices(ctx context.Context, destroyed chan<- snapshot.Socket) {
	defer close(w.done)
	for {
		msgs, err := w.dconn.Receive()
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
			s.NetNS = w.ino
			select {
			case destroyed <- s:
			default: // the tracker is behind; a poll will find it gone
			}
		}
	}
}

func (w *nsWatch) close() {
	w.dconn.Close()
	<-w.done
	w.dump.Close()
}

func (set *nsSet) closeAll() {
	for ino, w := range set.byIno {
		w.close()
		delete(set.byIno, ino)
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
			w.close()
			delete(set.byIno, ino)
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
