package linux

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/bpfowners"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/netif"
	"github.com/openports/openports/internal/source/linux/procnet"
	"github.com/openports/openports/internal/source/linux/procpriv"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// Collector is the live Linux source.
type Collector struct {
	opt  source.Options
	proc string
}

// New returns a collector with the given options.
func New(opt source.Options) *Collector {
	proc := opt.ProcRoot
	if proc == "" {
		proc = "/proc"
	}
	return &Collector{opt: opt, proc: proc}
}

// namespace is one network namespace to list, with a file descriptor to
// enter it by (-1 for the collector's own).
type namespace struct {
	info snapshot.Namespace
	fd   int
	pid  int // a process inside it, for the /proc/PID/net fallback; 0 = self
}

// Snapshot collects sockets, owners, interfaces and gaps.
//
// Owners come from the eBPF task_file iterator or from one pass over
// /proc/PID/fd, as Options.Owners asks (auto by default): auto
// uses the iterator on hosts with enough open files for it to be the faster
// one, when bpfowners.Available says this run may load it and procfs is at
// /proc, and the /proc scan otherwise. snap.OwnerMethod says which.
func (c *Collector) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	snap := &snapshot.Snapshot{
		Schema: snapshot.SchemaVersion,
		OS:     "linux",
		Taken:  time.Now().UTC(),
		Source: "linux/sock_diag",
	}
	// One uname gives both the host name and the kernel release.
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		snap.Host = cString(uts.Nodename[:])
		snap.Kernel = cString(uts.Release[:])
	}
	priv, err := procpriv.Detect(c.proc)
	if err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "processes", Reason: "privilege-unknown",
			Detail: fmt.Sprintf("could not tell what this run may see: %v", err)})
	}
	snap.Privilege = priv.Snapshot()
	c.hostDefaults(snap)

	self, err := nsInode(filepath.Join(c.proc, "self/ns/net"))
	if err != nil {
		return nil, fmt.Errorf("identify own network namespace: %w", err)
	}
	snap.Firewall = readFirewall(ctx, self, c.proc)
	names := netnsNames()
	users := &userCache{names: map[uint32]string{}}
	owners, err := c.ownerFinder(c.opt.Owners, users)
	if err != nil {
		return nil, err
	}
	q := c.query()

	namespaces := []namespace{{info: snapshot.Namespace{ID: self, Current: true, Name: names[self]}, fd: -1}}
	// Sockets of the collector's own namespace are dumped first; with
	// --netns all the owner scan also tells which other namespaces exist.
	wanted := map[uint64]struct{}{}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.collectNamespace(snap, &namespaces[0], q, wanted)
	res, err := owners.scan(wanted)
	if err != nil {
		return nil, err
	}
	if c.opt.AllNamespaces {
		more := c.otherNamespaces(snap, self, names, res.NetNS)
		defer func() {
			for _, ns := range more {
				unix.Close(ns.fd)
			}
		}()
		added := map[uint64]struct{}{}
		for i := range more {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			c.collectNamespace(snap, &more[i], q, added)
		}
		namespaces = append(namespaces, more...)
		if len(added) > 0 {
			// Owners of the other namespaces' sockets: one more pass,
			// for the new inodes only.
			res2, err := owners.scan(added)
			if err != nil {
				return nil, err
			}
			maps.Copy(res.Owners, res2.Owners)
		}
	}
	for _, ns := range namespaces {
		snap.Namespaces = append(snap.Namespaces, ns.info)
	}
	slices.SortFunc(snap.Namespaces[1:], func(a, b snapshot.Namespace) int { return cmp.Compare(a.ID, b.ID) })
	snap.OwnerMethod = owners.method
	c.attachOwners(snap, res, priv, users)
	c.dropClosed(snap, namespaces, q)
	snap.Sort()
	return snap, nil
}

// ownerFinder is the owner mapping one snapshot uses.
type ownerFinder struct {
	method string // snapshot.OwnerMethod
	scan   func(wanted map[uint64]struct{}) (*fdscan.Result, error)
}

// ebpfMinFiles is the number of open files on the host (the first field
// of /proc/sys/fs/file-nr) from which auto prefers the eBPF iterator. The
// iterator costs about 50 ms of CPU whatever the host holds, nearly all of
// it loading the program (parsing the kernel's BTF for its relocations);
// the /proc scan costs about 6 µs per open file. Measured on the bench
// machine (2 cores, Linux 6.18): 13 ms against 55 ms at 1,000 open files,
// 135 ms against 49 ms at 22,000; they cross near 8,000.
const ebpfMinFiles = 8000

// ownerFinder picks the owner mapping for choice. Auto uses the eBPF
// iterator only where it is the faster one (ebpfMinFiles) and can see what
// the /proc scan would: procfs at /proc (a test's fake tree is not the
// kernel's). Below the threshold auto does not even try to load it.
func (c *Collector) ownerFinder(choice source.OwnerChoice, users *userCache) (ownerFinder, error) {
	scanner := &fdscan.Scanner{ProcRoot: c.proc, NetNS: c.opt.AllNamespaces, LookupUser: users.lookup}
	procScan := ownerFinder{method: MethodProc, scan: func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
		res, err := scanner.Scan(wanted)
		if err != nil {
			return nil, fmt.Errorf("scan /proc for socket owners: %w", err)
		}
		return res, nil
	}}
	ebpfScan := ownerFinder{method: MethodEBPF, scan: func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
		res, err := bpfowners.Scan(wanted, c.proc)
		if err != nil {
			return nil, fmt.Errorf("find socket owners with eBPF: %w", err)
		}
		return res, nil
	}}
	switch choice {
	case source.OwnersProc:
		return procScan, nil
	case source.OwnersEBPF:
		if err := bpfowners.Available(); err != nil {
			return ownerFinder{}, fmt.Errorf("--owners ebpf: %w", err)
		}
		return ebpfScan, nil
	case source.OwnersAuto, "":
		if c.proc == "/proc" && openFiles(c.proc) >= ebpfMinFiles && bpfowners.Available() == nil {
			return ebpfScan, nil
		}
		return procScan, nil
	}
	return ownerFinder{}, fmt.Errorf("unknown owner mapping %q", choice)
}

// openFiles returns the number of open files on the host, the first field
// of procRoot/sys/fs/file-nr, or 0 when it cannot be read: auto then keeps
// to the /proc scan, which sees everything the iterator would.
func openFiles(procRoot string) int {
	b, err := os.ReadFile(filepath.Join(procRoot, "sys/fs/file-nr"))
	if err != nil {
		return 0
	}
	return parseFileNr(b)
}

// parseFileNr returns the first field of /proc/sys/fs/file-nr
// ("1034\t0\t2466174\n"), 0 when it is not a number.
func parseFileNr(b []byte) int {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// cString returns the text of a NUL-padded utsname field.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// dropClosed removes sockets that no process holds and that are gone from
// a second dump: they were closed while /proc was scanned, and listing them
// as kernel sockets would be wrong. One more dump per namespace, and only
// when there is such a socket.
func (c *Collector) dropClosed(snap *snapshot.Snapshot, namespaces []namespace, q sockdiag.Query) {
	suspect := map[uint64]bool{} // namespace IDs
	for _, s := range snap.Sockets {
		if s.OwnerState == snapshot.OwnersNone && s.Inode != 0 {
			suspect[s.NetNS] = true
		}
	}
	if len(suspect) == 0 {
		return
	}
	alive := map[uint64]bool{} // inodes
	checked := map[uint64]bool{}
	for i := range namespaces {
		ns := &namespaces[i]
		if !suspect[ns.info.ID] {
			continue
		}
		var gaps snapshot.Snapshot
		socks, err := c.dump(&gaps, ns, q)
		if err != nil {
			continue
		}
		checked[ns.info.ID] = true
		for _, s := range socks {
			alive[s.Inode] = true
		}
	}
	kept := snap.Sockets[:0]
	for _, s := range snap.Sockets {
		if s.OwnerState == snapshot.OwnersNone && s.Inode != 0 && checked[s.NetNS] && !alive[s.Inode] {
			continue
		}
		kept = append(kept, s)
	}
	snap.Sockets = kept
}

// collectNamespace lists the sockets of ns into snap and adds their inodes
// to wanted. It lists the namespace's interfaces too when a socket needs
// them (see needInterfaces).
func (c *Collector) collectNamespace(snap *snapshot.Snapshot, ns *namespace, q sockdiag.Query, wanted map[uint64]struct{}) {
	socks, err := c.dump(snap, ns, q)
	if err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "sockets", Reason: "unreadable",
			Detail: fmt.Sprintf("network namespace %d: %v", ns.info.ID, err)})
		return
	}
	for i := range socks {
		socks[i].NetNS = ns.info.ID
		if socks[i].Inode != 0 {
			wanted[socks[i].Inode] = struct{}{}
		}
	}
	// The firewall verdicts need every interface of the namespace whose
	// rules were read: a wildcard listener is evaluated on each.
	firewall := snap.Firewall != nil && snap.Firewall.NetNS == ns.info.ID
	if !needInterfaces(socks) && !firewall {
		snap.Sockets = append(snap.Sockets, socks...)
		return
	}
	ifs, err := netif.Interfaces(ns.fd)
	if err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "interfaces", Reason: "unreadable",
			Detail: fmt.Sprintf("interfaces of network namespace %d: %v; exposure of single-address sockets names no interface", ns.info.ID, err)})
	}
	for i := range ifs {
		ifs[i].NetNS = ns.info.ID
		for j := range socks {
			if socks[j].IfIndex != 0 && int(socks[j].IfIndex) == ifs[i].Index {
				socks[j].Interface = ifs[i].Name
			}
		}
	}
	snap.Sockets = append(snap.Sockets, socks...)
	snap.Interfaces = append(snap.Interfaces, ifs...)
}

// needInterfaces reports whether analysis needs the interfaces of the
// namespace to describe socks: a socket bound to a device (its name, and
// whether it is the loopback device), or to one address that is neither a
// wildcard nor loopback (the interface that has it). Wildcard and loopback
// sockets need none, so a host with only those skips the rtnetlink dumps.
func needInterfaces(socks []snapshot.Socket) bool {
	for i := range socks {
		a := socks[i].Local.Addr().Unmap()
		if socks[i].IfIndex != 0 || (a.IsValid() && !a.IsUnspecified() && !a.IsLoopback()) {
			return true
		}
	}
	return false
}

// query is what every dump asks for. SCTP is asked for only when the sctp
// module is loaded (procRoot/net/sctp exists): without it there are no
// SCTP sockets, and the request would make the kernel run modprobe for
// sctp_diag on every run, which costs milliseconds.
func (c *Collector) query() sockdiag.Query {
	q := sockdiag.Query{Protos: []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite}, AllStates: c.opt.Established}
	var st unix.Stat_t
	if unix.Stat(filepath.Join(c.proc, "net/sctp"), &st) == nil {
		q.Protos = append(q.Protos, snapshot.SCTP)
	}
	if c.opt.Raw {
		q.Protos = append(q.Protos, snapshot.Raw)
	}
	return q
}

// dump lists ns's sockets through sock_diag, or through /proc/net when
// netlink is refused (which it records as a gap).
func (c *Collector) dump(snap *snapshot.Snapshot, ns *namespace, q sockdiag.Query) ([]snapshot.Socket, error) {
	if !c.opt.NoNetlink {
		conn, err := sockdiag.Open(ns.fd)
		if err == nil {
			res, err := conn.Dump(q)
			conn.Close()
			if err == nil {
				for _, u := range res.Unavailable {
					if u.Request.Proto == snapshot.SCTP {
						continue // no SCTP module loaded: there are no SCTP sockets
					}
					snap.Gaps = append(snap.Gaps, u.Gap())
				}
				return res.Sockets, nil
			}
		}
		if !sockdiag.IsRefused(err) {
			return nil, err
		}
		snap.Source = "linux/procfs"
		snap.Gaps = appendOnce(snap.Gaps, snapshot.Gap{Area: "sockets", Reason: "netlink-refused",
			Detail: fmt.Sprintf("sock_diag netlink was refused (%v): read /proc/net instead, which does not give socket cookies, bound devices or IPV6_V6ONLY (the host default is assumed)", err)})
	} else {
		snap.Source = "linux/procfs"
	}
	return procnet.ReadAll(c.proc, ns.pid, c.opt.Raw, c.opt.Established)
}

func appendOnce(gaps []snapshot.Gap, g snapshot.Gap) []snapshot.Gap {
	for _, x := range gaps {
		if x.Reason == g.Reason {
			return gaps
		}
	}
	return append(gaps, g)
}

// attachOwners gives each socket its holders and says how complete they are.
func (c *Collector) attachOwners(snap *snapshot.Snapshot, res *fdscan.Result, priv procpriv.Info, users *userCache) {
	hiddenUIDs := res.HiddenUIDs()
	blind := priv.ProcessesHidden() // hidepid hides other users' processes entirely
	unknown := 0
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.UID != nil {
			s.User = users.name(*s.UID)
		}
		s.Owners = res.Owners[s.Inode]
		otherUser := s.UID != nil && priv.EUID >= 0 && *s.UID != uint32(priv.EUID)
		hidden := (s.UID != nil && hiddenUIDs[*s.UID] > 0) || (s.UID == nil && len(hiddenUIDs) > 0) || (blind && otherUser)
		switch {
		case len(s.Owners) > 0 && hidden:
			s.OwnerState = snapshot.OwnersPartial
			s.OwnerReason = priv.Reason(s.UID, s.User)
			s.OwnerReasonCode = priv.ReasonCode()
		case len(s.Owners) > 0:
			s.OwnerState = snapshot.OwnersComplete
		case hidden || len(hiddenUIDs) > 0:
			s.OwnerState = snapshot.OwnersUnknown
			s.OwnerReason = priv.Reason(s.UID, s.User)
			s.OwnerReasonCode = priv.ReasonCode()
			unknown++
		default:
			s.OwnerState = snapshot.OwnersNone
		}
	}
	if unknown > 0 {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "owners", Reason: priv.ReasonCode(),
			Detail: fmt.Sprintf("%d %s whose owner this run cannot see: %s", unknown, plural(unknown, "socket", "sockets"), priv.Advice()),
			Count:  unknown})
	}
	for _, g := range res.Gaps {
		// Processes that exited, or whose PID was reused, during the
		// scan held nothing that is still open under them: their
		// sockets, if shared, are listed with the remaining holders.
		// That is not a hole in the view.
		if g.Reason == fdscan.ReasonVanished || g.Reason == "changed" {
			continue
		}
		snap.Gaps = append(snap.Gaps, g)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// userCache names user ids once per snapshot, for the sockets' uids and
// (as fdscan.Scanner.LookupUser) for the owners', so that each uid is
// looked up once. It is safe for concurrent use.
type userCache struct {
	mu    sync.Mutex
	names map[uint32]string
	errs  map[uint32]error
}

// lookup names uid with os/user, remembering the answer and its error.
func (u *userCache) lookup(uid uint32) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if name, ok := u.names[uid]; ok {
		return name, u.errs[uid]
	}
	name := ""
	usr, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err == nil {
		name = usr.Username
	} else {
		if u.errs == nil {
			u.errs = map[uint32]error{}
		}
		u.errs[uid] = err
	}
	u.names[uid] = name
	return name, err
}

// name is lookup without the error: a socket's user column is left empty
// when the uid has no name (the uid itself is kept).
func (u *userCache) name(uid uint32) string {
	name, _ := u.lookup(uid)
	return name
}

// hostDefaults reads the sysctls that change how sockets are read:
// net.ipv6.bindv6only and net.ipv4.ip_local_port_range.
func (c *Collector) hostDefaults(snap *snapshot.Snapshot) {
	if b, err := os.ReadFile(filepath.Join(c.proc, "sys/net/ipv6/bindv6only")); err == nil {
		v := strings.TrimSpace(string(b)) == "1"
		snap.BindV6Only = &v
	}
	if b, err := os.ReadFile(filepath.Join(c.proc, "sys/net/ipv4/ip_local_port_range")); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			lo, err1 := strconv.ParseUint(f[0], 10, 16)
			hi, err2 := strconv.ParseUint(f[1], 10, 16)
			if err1 == nil && err2 == nil {
				snap.EphemeralPorts = &snapshot.PortRange{First: uint16(lo), Last: uint16(hi)}
			}
		}
	}
}

// nsInode returns the inode of a namespace file.
func nsInode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}

// netnsNames maps namespace inodes to their `ip netns` names.
func netnsNames() map[uint64]string {
	names := map[uint64]string{}
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return names
	}
	for _, e := range entries {
		if ino, err := nsInode(filepath.Join("/run/netns", e.Name())); err == nil {
			names[ino] = e.Name()
		}
	}
	return names
}

// otherNamespaces opens every network namespace other than self that a
// process lives in or `ip netns` names. Those it cannot enter become gaps.
// byNS comes from the owner scan: with the /proc scan it holds every
// process, with the eBPF iterator only processes that hold a socket (a
// namespace whose processes hold none has no owned sockets to show, and
// its kernel-held sockets are listed only when `ip netns` names it).
func (c *Collector) otherNamespaces(snap *snapshot.Snapshot, self uint64, names map[uint64]string, byNS map[uint64][]int) []namespace {
	var out []namespace
	seen := map[uint64]bool{self: true}
	open := func(id uint64, path string, pid int) bool {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return false
		}
		out = append(out, namespace{info: snapshot.Namespace{ID: id, Name: names[id]}, fd: fd, pid: pid})
		return true
	}
	for id, name := range names {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !open(id, filepath.Join("/run/netns", name), 0) {
			snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "namespaces", Reason: "unreadable",
				Detail: fmt.Sprintf("cannot enter network namespace %q", name)})
		}
	}
	for id, pids := range byNS {
		if seen[id] {
			continue
		}
		seen[id] = true
		ok := false
		for _, pid := range pids {
			if open(id, filepath.Join(c.proc, strconv.Itoa(pid), "ns/net"), pid) {
				ok = true
				break
			}
		}
		if !ok {
			snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "namespaces", Reason: "unreadable",
				Detail: fmt.Sprintf("cannot enter network namespace %d of PIDs %v", id, pids)})
		}
	}
	return out
}
