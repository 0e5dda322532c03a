package linux

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/netif"
	"github.com/openports/openports/internal/source/linux/procpriv"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// Collector is the live Linux source.
type Collector struct {
	opt  source.Options
	proc string
	in   Inputs
	// findOwners picks the owner mapping (ownerFinder by default; tests
	// give a fake one).
	findOwners func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error)
}

// New returns a collector with the given options, reading the running
// kernel.
func New(opt source.Options) *Collector { return NewWithInputs(opt, Inputs{}) }

// NewWithInputs returns a collector that reads through in (nil fields: the
// real inputs).
func NewWithInputs(opt source.Options, in Inputs) *Collector {
	proc := opt.ProcRoot
	if proc == "" {
		proc = "/proc"
	}
	c := &Collector{opt: opt, proc: proc, in: in.withDefaults(proc)}
	c.findOwners = c.ownerFinder
	return c
}

// namespace is one network namespace to list, with a file descriptor to
// enter it by (-1 for the collector's own).
type namespace struct {
	info snapshot.Namespace
	fd   int
	pid  int // a process inside it, for the /proc/PID/net fallback; 0 = self or none
	// transparentUnread: its sockets were listed without IP_TRANSPARENT
	// (a kernel before 5.10, whose sock_diag has no INET_DIAG_SOCKOPT,
	// or /proc/net).
	transparentUnread bool
}

// Gap reasons of the collection core.
const (
	// ReasonNetlinkRefused: sock_diag was refused; /proc/net was read.
	ReasonNetlinkRefused = "netlink-refused"
	// ReasonDumpFailed: a sock_diag dump failed after the socket opened
	// (an error mid-dump, a lost reply); /proc/net was read.
	ReasonDumpFailed = "sock-diag-failed"
	// ReasonUnreadable: a namespace's sockets, interfaces or processes
	// could not be read at all.
	ReasonUnreadable = "unreadable"
	// ReasonNetNSDenied: a network namespace could not be entered.
	ReasonNetNSDenied = "netns-unreadable"
	// ReasonNetNSUnlisted: a namespace wired to a listed one (it has an
	// NSID there) was found neither through a process nor `ip netns`.
	ReasonNetNSUnlisted = "netns-unlisted"
	// ReasonNSIDUnreadable: the NSIDs of a listed namespace could not be
	// read, so a namespace wired to it that no process or `ip netns`
	// name shows would go unnoticed.
	ReasonNSIDUnreadable = "netns-nsid-unreadable"
)

// Snapshot collects sockets, owners, interfaces and gaps.
//
// Owners come from the eBPF task_file iterator or from one pass over
// /proc/PID/fd, as Options.Owners asks (see ownerFinder);
// snap.OwnerMethod says which.
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
	// What the socket dump and the owner scan do not need is read beside
	// them: the privilege probe until the owners are attached (the scan
	// waits for it only to name a uid inside a user namespace), and in
	// bg until the end the packet filter (which may run
	// iptables-legacy-save) and the interfaces. The scan leaves a core
	// idle for long stretches on small hosts. Every namespace descriptor
	// stays open until bg is done. The eBPF iterator's load, the longest
	// of these when the owner scan will use it, starts first.
	openFiles := c.openFilesFor(c.opt.Owners)
	c.prefetchEBPF(c.opt.Owners, openFiles)
	var priv procpriv.Info
	var privErr error
	privDone := make(chan struct{})
	go func() {
		defer close(privDone)
		priv, privErr = c.in.Privilege.Detect()
	}()
	var bg sync.WaitGroup
	var opened []namespace
	defer func() {
		<-privDone
		bg.Wait()
		for _, ns := range opened {
			c.in.NetNS.Close(ns.fd)
		}
	}()
	c.hostDefaults(snap)

	self, err := c.in.NetNS.Self()
	if err != nil {
		return nil, fmt.Errorf("identify own network namespace: %w", err)
	}
	var fw *firewall.Ruleset
	bg.Go(func() { fw = c.in.Firewall.Read(ctx, self) })
	names := hostNamed(c.in.NetNS.Named(), c.proc)
	q := c.query()

	namespaces := []namespace{{info: snapshot.Namespace{ID: self, Current: true, Name: names[self]}, fd: -1}}
	wanted := map[uint64]struct{}{}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Cleared by any namespace whose raw/packet tables go unread.
	snap.RawTablesRead = true
	// The firewall verdicts need every interface of the namespace whose
	// rules are read (self): a wildcard listener is evaluated on each.
	ifaces := []*nsInterfaces{c.collectNamespace(snap, &namespaces[0], q, wanted, true, &bg)}

	users := &UserCache{mapOf: func() *IDMap {
		<-privDone
		return c.userMap(priv)
	}}
	owners, err := c.findOwners(c.opt.Owners, openFiles, users)
	if err != nil {
		return nil, err
	}
	// byNS maps each namespace found through /proc to its processes, which
	// name its container (addContainers); nil without --netns all.
	var byNS map[uint64][]int
	var unlisted []snapshot.Gap // unlisted's, in bg
	if c.opt.AllNamespaces {
		<-privDone
		var more []namespace
		more, byNS = c.otherNamespaces(snap, self, names, priv)
		opened = more
		for i := range more {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ifaces = append(ifaces, c.collectNamespace(snap, &more[i], q, wanted, false, &bg))
		}
		namespaces = append(namespaces, more...)
		// Beside the owner scan, as the interface listings: a netlink
		// socket in each namespace costs a thread's setns.
		all := namespaces
		bg.Go(func() { unlisted = c.unlisted(all) })
	}
	// One owner pass for the sockets of every namespace (socket inodes
	// are unique across namespaces).
	res, err := owners.scan(wanted)
	if err != nil {
		return nil, err
	}
	<-privDone
	if privErr != nil {
		snap.Gaps = slices.Insert(snap.Gaps, 0, snapshot.Gap{Area: "processes", Reason: "privilege-unknown",
			Args:   map[string]string{"error": privErr.Error()},
			Detail: fmt.Sprintf("could not tell what this run may see: %v", privErr)})
	}
	snap.Privilege = priv.Snapshot()
	bg.Wait()
	if unlisted != nil {
		snap.Gaps = append(snap.Gaps, unlisted...)
	}
	snap.Firewall = fw
	if g := transparentGap(snap, fw, &namespaces[0]); g != nil {
		snap.Gaps = append(snap.Gaps, *g)
	}
	for _, ni := range ifaces {
		addInterfaces(snap, ni)
	}
	c.markRouteLocalnet(snap, namespaces)
	for _, ns := range namespaces {
		snap.Namespaces = append(snap.Namespaces, ns.info)
	}
	slices.SortFunc(snap.Namespaces[1:], func(a, b snapshot.Namespace) int { return cmp.Compare(a.ID, b.ID) })
	snap.OwnerMethod = owners.methodUsed()
	if byNS == nil {
		byNS = res.NetNS
	}
	c.addContainers(snap, self, byNS, res.Owners)
	c.attachOwners(snap, res, priv, users)
	attachRawOwners(snap, res.Owners, len(res.HiddenUIDs()) > 0 || priv.ProcessesHidden() || priv.PIDNS)
	c.dropClosed(snap, namespaces, q)
	gapUnheld(snap)
	snap.Sort()
	return snap, nil
}

// userMap is the run's uid translation, nil outside a user namespace. In
// one the kernel gives uids as they are inside it; they are named (and
// reported) as the uids they stand for outside it, through
// /proc/self/uid_map.
func (c *Collector) userMap(priv procpriv.Info) *IDMap {
	if !priv.UserNS {
		return nil
	}
	m := &IDMap{} // maps nothing: no names rather than wrong ones
	if b, err := c.in.Proc.ReadFile("self/uid_map"); err == nil {
		if parsed, err := ParseIDMap(b); err == nil {
			m = parsed
		}
	}
	return m
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
// when there is such a socket. A namespace whose second dump fails keeps
// its sockets: nothing proves them closed.
func (c *Collector) dropClosed(snap *snapshot.Snapshot, namespaces []namespace, q sockdiag.Query) {
	suspect := map[uint64]bool{} // namespace IDs
	for _, s := range snap.Sockets {
		if unheldOrNone(s) && s.Inode != 0 {
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
		var scratch snapshot.Snapshot
		socks, err := c.dump(&scratch, ns, q)
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
		if unheldOrNone(s) && s.Inode != 0 && checked[s.NetNS] && !alive[s.Inode] {
			continue
		}
		kept = append(kept, s)
	}
	snap.Sockets = kept
}

// gapUnheld records the sockets of ReasonUnheld that dropClosed kept: their
// holders are out of sight, so the view is not complete.
func gapUnheld(snap *snapshot.Snapshot) {
	n := 0
	for _, s := range snap.Sockets {
		if s.OwnerReasonCode == ReasonUnheld {
			n++
		}
	}
	if n == 0 {
		return
	}
	snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "owners", Reason: ReasonUnheld,
		Args:   map[string]string{"count": strconv.Itoa(n)},
		Detail: fmt.Sprintf("%d %s of users other than root held by no descriptor table: kernel sockets of tunnel devices made in a user namespace (VXLAN, Geneve, FOU, WireGuard), or sockets in flight between processes (SCM_RIGHTS) or registered with an io_uring; their holders are unknown", n, plural(n, "socket", "sockets")),
		Count:  n})
}

// unheldOrNone reports whether no descriptor table held s: a kernel socket
// (none) or a user's socket held out of sight (ReasonUnheld).
func unheldOrNone(s snapshot.Socket) bool {
	return s.OwnerState == snapshot.OwnersNone || s.OwnerReasonCode == ReasonUnheld
}

// collectNamespace lists the sockets of ns into snap and adds their inodes
// to wanted. When a socket needs the namespace's interfaces (see
// needInterfaces), or always when all is set, it starts listing them in bg
// and returns where they will be, for addInterfaces once bg is done; nil
// otherwise.
func (c *Collector) collectNamespace(snap *snapshot.Snapshot, ns *namespace, q sockdiag.Query, wanted map[uint64]struct{}, all bool, bg *sync.WaitGroup) *nsInterfaces {
	socks, err := c.dump(snap, ns, q)
	if err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "sockets", Reason: ReasonUnreadable,
			Args:   map[string]string{"netns": nsLabel(ns), "error": err.Error()},
			Detail: fmt.Sprintf("sockets of network namespace %s were not listed: %v", nsLabel(ns), err)})
		snap.RawTablesRead = false
		return nil
	}
	for i := range socks {
		socks[i].NetNS = ns.info.ID
		if socks[i].Inode != 0 {
			wanted[socks[i].Inode] = struct{}{}
		}
	}
	snap.Sockets = append(snap.Sockets, socks...)
	// Raw and packet sockets that are no rows: their holders are named by
	// the same owner scan.
	raws := c.rawPacket(snap, ns)
	for _, r := range raws {
		if r.Inode != 0 {
			wanted[r.Inode] = struct{}{}
		}
	}
	snap.RawSockets = append(snap.RawSockets, raws...)
	if !all && !needInterfaces(socks) {
		return nil
	}
	ni := &nsInterfaces{netns: ns.info.ID}
	fd := ns.fd
	bg.Go(func() { ni.ifs, ni.err = c.in.Interfaces.Interfaces(fd) })
	return ni
}

// nsInterfaces is the interface listing of one namespace.
type nsInterfaces struct {
	netns uint64
	ifs   []snapshot.Interface
	err   error
}

// addInterfaces adds the interfaces of ni (nil: none were listed) to snap,
// and names the interface of each socket of its namespace bound to one.
func addInterfaces(snap *snapshot.Snapshot, ni *nsInterfaces) {
	if ni == nil {
		return
	}
	if ni.err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "interfaces", Reason: ReasonUnreadable,
			Args:   map[string]string{"netns": strconv.FormatUint(ni.netns, 10), "error": ni.err.Error()},
			Detail: fmt.Sprintf("interfaces of network namespace %d: %v; exposure of single-address sockets names no interface", ni.netns, ni.err)})
	}
	byIndex := make(map[int]string, len(ni.ifs))
	for i := range ni.ifs {
		ni.ifs[i].NetNS = ni.netns
		byIndex[ni.ifs[i].Index] = ni.ifs[i].Name
	}
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.NetNS != ni.netns || s.IfIndex == 0 {
			continue
		}
		if name, ok := byIndex[int(s.IfIndex)]; ok {
			s.Interface = name
		}
	}
	snap.Interfaces = append(snap.Interfaces, ni.ifs...)
}

// ReasonRouteLocalnetUnreadable: whether a namespace takes packets for
// 127.0.0.0/8 from other machines (route_localnet) could not be read.
const ReasonRouteLocalnetUnreadable = "route-localnet-unreadable"

// markRouteLocalnet sets RouteLocalnet on the interfaces of each namespace
// that has an IPv4 loopback socket, where net.ipv4.conf.all.route_localnet
// or the interface's own is on: the kernel then takes packets for
// 127.0.0.0/8 arriving on it from other machines (kube-proxy sets it for
// NodePorts on localhost), so those sockets are no longer loopback-only.
// A namespace whose setting cannot be read is a gap: hiding its loopback
// sockets would be an all-clear nothing proved.
func (c *Collector) markRouteLocalnet(snap *snapshot.Snapshot, namespaces []namespace) {
	want := map[uint64]bool{}
	for _, s := range snap.Sockets {
		if a := s.Local.Addr().Unmap(); a.Is4() && a.IsLoopback() {
			want[s.NetNS] = true
		}
	}
	for i := range namespaces {
		ns := &namespaces[i]
		if !want[ns.info.ID] {
			continue
		}
		var idx []int
		for j := range snap.Interfaces {
			if snap.Interfaces[j].NetNS == ns.info.ID {
				idx = append(idx, j)
			}
		}
		ifs := make([]snapshot.Interface, len(idx))
		for k, j := range idx {
			ifs[k] = snap.Interfaces[j]
		}
		failed := c.routeLocalnet(ns, ifs)
		for k, j := range idx {
			snap.Interfaces[j].RouteLocalnet = ifs[k].RouteLocalnet
		}
		if failed != nil {
			snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "interfaces", Reason: ReasonRouteLocalnetUnreadable,
				Args:   map[string]string{"netns": nsLabel(ns), "error": failed.Error()},
				Detail: fmt.Sprintf("route_localnet of network namespace %s could not be read (%v): its loopback sockets may be reachable from other machines", nsLabel(ns), failed)})
		}
	}
}

// routeLocalnet sets RouteLocalnet on those of ifs (interfaces of ns)
// whose net.ipv4.conf.IFACE.route_localnet, or conf.all's, is on. It
// returns why the setting could not be read (nil when it was, or when ns
// is another namespace under a test's proc tree): the caller must then not
// take ns's loopback sockets for loopback-only.
func (c *Collector) routeLocalnet(ns *namespace, ifs []snapshot.Interface) error {
	var idx []int
	names := []string{"sys/net/ipv4/conf/all/route_localnet"}
	for j := range ifs {
		if ifc := ifs[j]; ifc.Name != "lo" && !strings.ContainsRune(ifc.Name, '/') {
			idx = append(idx, j)
			names = append(names, "sys/net/ipv4/conf/"+ifc.Name+"/route_localnet")
		}
	}
	vals, errs := c.readInNamespace(ns, names)
	if vals == nil {
		return nil // a test's proc tree: no other namespace to enter
	}
	var failed error
	on := func(k int) bool {
		if errs[k] != nil {
			if !errors.Is(errs[k], fs.ErrNotExist) || k == 0 { // an interface removed meanwhile is no gap
				failed = cmp.Or(failed, errs[k])
			}
			return false
		}
		return strings.TrimSpace(string(vals[k])) != "0"
	}
	all := on(0)
	for k, j := range idx {
		if on(k+1) || all {
			ifs[j].RouteLocalnet = true
		}
	}
	return failed
}

// readInNamespace reads the files names (under the proc root: sysctls,
// /proc/net tables) as seen from namespace ns: through c.in.Proc for the
// collector's own, from a thread that entered ns otherwise. Every name of
// the collector's own namespace must be thread-relative (sys/net, or
// thread-self/net, never net or self/net): self is the thread-group
// leader, the main thread, which another goroutine may have entered into
// some other namespace meanwhile (as this function would, but for the
// guard below). It returns nil values for another namespace when the proc
// root is not the kernel's (a test's tree).
func (c *Collector) readInNamespace(ns *namespace, names []string) ([][]byte, []error) {
	vals, errs := make([][]byte, len(names)), make([]error, len(names))
	if ns.info.Current {
		for k, n := range names {
			vals[k], errs[k] = c.in.Proc.ReadFile(n)
		}
		return vals, errs
	}
	if c.proc != "/proc" {
		return nil, nil
	}
	enter := func() {
		// The thread enters ns and comes back before it is unlocked;
		// one that cannot come back stays locked, and the runtime ends
		// it with the goroutine rather than reuse it in ns.
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			for k := range errs {
				errs[k] = fmt.Errorf("open own namespace: %w", err)
			}
			return
		}
		defer unix.Close(own)
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			for k := range errs {
				errs[k] = fmt.Errorf("enter the namespace: %w", err)
			}
			return
		}
		for k, n := range names {
			vals[k], errs[k] = os.ReadFile(filepath.Join(c.proc, n))
		}
		if unix.Setns(own, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if unix.Gettid() != unix.Getpid() {
			enter()
			return
		}
		// This goroutine runs on the main thread, whose namespace
		// every /proc/self (and /proc/net) of the process shows, and
		// which the runtime keeps rather than ends when it cannot come
		// back: it must never enter ns. While it stays locked here, a
		// fresh goroutine runs on another thread.
		inner := make(chan struct{})
		go func() {
			defer close(inner)
			enter()
		}()
		<-inner
	}()
	<-done
	return vals, errs
}

// needInterfaces reports whether analysis needs the interfaces of the
// namespace to describe socks: a socket bound to a device (its name, and
// whether it is the loopback device), or to one address that is neither a
// wildcard nor loopback (the interface that has it), or to an IPv4
// loopback address (the interfaces whose route_localnet lets other machines
// reach it). Wildcard and IPv6 loopback sockets need none, so a namespace
// with only those skips the rtnetlink dumps.
func needInterfaces(socks []snapshot.Socket) bool {
	for i := range socks {
		a := socks[i].Local.Addr().Unmap()
		if socks[i].IfIndex != 0 || (a.IsValid() && !a.IsUnspecified() && !a.IsLoopback()) || (a.Is4() && a.IsLoopback()) {
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
	if _, err := c.in.Proc.ReadFile("thread-self/net/sctp"); !errors.Is(err, fs.ErrNotExist) {
		q.Protos = append(q.Protos, snapshot.SCTP) // a directory: reading it fails otherwise
	}
	if c.opt.Raw {
		q.Protos = append(q.Protos, snapshot.Raw)
	}
	return q
}

// dump lists ns's sockets through sock_diag. Every failure of sock_diag
// (refused, or a dump that failed after the socket opened) falls back to
// /proc/net and records why as a gap; only when /proc/net cannot be read
// either is it an error (which the caller records as a gap). An optional
// protocol the kernel has no handler for is read from /proc/net alone: raw
// sockets from /proc/net/raw, SCTP not at all (no module, no sockets).
func (c *Collector) dump(snap *snapshot.Snapshot, ns *namespace, q sockdiag.Query) ([]snapshot.Socket, error) {
	return c.dumpWith(snap, ns, q, func(q sockdiag.Query) (*sockdiag.Result, error) { return c.diagDump(ns.fd, q) })
}

// dumpWith is dump with the sock_diag dump made by diag: a socket opened
// for it (dump), or one kept open between polls (NamespaceDump).
func (c *Collector) dumpWith(snap *snapshot.Snapshot, ns *namespace, q sockdiag.Query, diag func(sockdiag.Query) (*sockdiag.Result, error)) ([]snapshot.Socket, error) {
	if c.opt.NoNetlink {
		snap.Source = "linux/procfs"
		ns.transparentUnread = true
		return c.procNet(ns, procfsProtos(q), q.AllStates)
	}
	res, err := diag(q)
	if err == nil && res == nil {
		err = errors.New("sock_diag dump returned no result")
	}
	// /proc/net, the fall-back below, does not give IP_TRANSPARENT either.
	ns.transparentUnread = err != nil || !res.Sockopt && len(res.Sockets) > 0
	if err == nil {
		socks := res.Sockets
		for _, u := range res.Unavailable {
			if u.Request.Proto == snapshot.SCTP || u.Request.Proto == snapshot.Raw {
				continue // no SCTP module loaded: there are no SCTP sockets; raw: below
			}
			snap.Gaps = appendOnce(snap.Gaps, c.unavailableGap(u))
		}
		if i := slices.IndexFunc(res.Unavailable, func(u sockdiag.Unavailable) bool { return u.Request.Proto == snapshot.Raw }); i >= 0 {
			raw, err := c.procNet(ns, []snapshot.Proto{snapshot.Raw}, q.AllStates)
			if err != nil {
				return nil, fmt.Errorf("raw sockets: no sock_diag handler, and /proc/net/raw: %w", err)
			}
			// Only now that /proc/net/raw listed them does the gap say so.
			g := c.unavailableGap(res.Unavailable[i])
			g.Args["read_from"] = "/proc/net/raw"
			snap.Gaps = appendOnce(snap.Gaps, g)
			socks = append(socks, raw...)
		}
		return socks, nil
	}
	socks, perr := c.procNet(ns, procfsProtos(q), q.AllStates)
	if perr != nil {
		return nil, fmt.Errorf("%s, and /proc/net could not be read instead: %w", diagFailure(ns, err), perr)
	}
	reason := ReasonDumpFailed
	if sockdiag.IsRefused(err) {
		reason = ReasonNetlinkRefused
	}
	snap.Source = "linux/procfs"
	snap.Gaps = appendOnce(snap.Gaps, snapshot.Gap{Area: "sockets", Reason: reason,
		Args:   map[string]string{"netns": nsLabel(ns), "error": err.Error()},
		Detail: fmt.Sprintf("%s: read /proc/net instead, which does not give socket cookies, bound devices or IPV6_V6ONLY (the host default is assumed)", diagFailure(ns, err))})
	return socks, nil
}

// diagFailure says why sock_diag could not list ns, in words a person can
// act on: entering another namespace needs CAP_SYS_ADMIN.
func diagFailure(ns *namespace, err error) string {
	switch {
	case !ns.info.Current && errors.Is(err, unix.EPERM):
		return fmt.Sprintf("cannot enter network namespace %s: it needs CAP_SYS_ADMIN (run as root) (%v)", nsLabel(ns), err)
	case sockdiag.IsRefused(err):
		return fmt.Sprintf("sock_diag netlink was refused (%v)", err)
	default:
		return fmt.Sprintf("sock_diag failed (%v)", err)
	}
}

// nsLabel names ns for a person: its `ip netns` name and inode, or the
// inode alone.
func nsLabel(ns *namespace) string {
	if ns.info.Name != "" {
		return fmt.Sprintf("%q (%d)", ns.info.Name, ns.info.ID)
	}
	return strconv.FormatUint(ns.info.ID, 10)
}

// unavailableGap is the gap of an optional protocol without a sock_diag
// handler; raw sockets are then read from /proc/net/raw, without their
// bound devices.
func (c *Collector) unavailableGap(u sockdiag.Unavailable) snapshot.Gap {
	g := u.Gap()
	if u.Request.Proto == snapshot.Raw {
		g.Detail = fmt.Sprintf("the kernel has no sock_diag handler for raw sockets (%v): they were read from /proc/net/raw instead, which does not give bound devices", u.Err)
	}
	g.Args = map[string]string{"request": u.Request.String(), "error": fmt.Sprint(u.Err)}
	return g
}

// diagDump is one sock_diag dump of q in the namespace fd refers to.
func (c *Collector) diagDump(fd int, q sockdiag.Query) (*sockdiag.Result, error) {
	conn, err := c.in.Diag.Open(fd)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.Dump(q) // dumpWith turns a nil result into an error
}

// procfsProtos are the protocols of q that /proc/net has tables for
// (SCTP's /proc/net/sctp/eps has another format and is not read).
func procfsProtos(q sockdiag.Query) []snapshot.Proto {
	var out []snapshot.Proto
	for _, p := range q.Protos {
		if p != snapshot.SCTP {
			out = append(out, p)
		}
	}
	return out
}

// procNet reads the /proc/net tables of ns: /proc/net for the collector's
// own namespace, /proc/PID/net of a process inside another one. A
// namespace no visible process lives in (only `ip netns` names it) has no
// such table to read. allStates keeps every state, as sock_diag's
// Query.AllStates; otherwise what a listing without --established keeps.
func (c *Collector) procNet(ns *namespace, protos []snapshot.Proto, allStates bool) ([]snapshot.Socket, error) {
	if !ns.info.Current && ns.pid <= 0 {
		return nil, errors.New("no process this run can see lives in it, so there is no /proc/PID/net to read")
	}
	pid := ns.pid
	if ns.info.Current {
		pid = 0
	}
	return c.in.Proc.NetSockets(pid, ns.info.ID, protos, allStates)
}

func appendOnce(gaps []snapshot.Gap, g snapshot.Gap) []snapshot.Gap {
	for _, x := range gaps {
		if x.Reason == g.Reason && x.Area == g.Area {
			return gaps
		}
	}
	return append(gaps, g)
}

// ReasonTransparentUnread is the sockets gap reason of a namespace whose
// firewall has a TPROXY rule while IP_TRANSPARENT could not be read.
const ReasonTransparentUnread = "transparent-unread"

// transparentGap is the gap of ns (the namespace whose firewall fw is)
// when its sockets were listed without IP_TRANSPARENT, fw has a TPROXY
// rule, and ns has loopback listeners: a TPROXY rule hands a transparent
// listener connections from other machines, so whether those listeners
// are reachable is unknown. nil otherwise.
func transparentGap(snap *snapshot.Snapshot, fw *firewall.Ruleset, ns *namespace) *snapshot.Gap {
	if !ns.transparentUnread || fw == nil {
		return nil
	}
	rules := fw.TProxyRules()
	if len(rules) == 0 {
		return nil
	}
	n := 0
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.NetNS == ns.info.ID && s.Remote == (netip.AddrPort{}) && s.Local.Addr().Unmap().IsLoopback() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &snapshot.Gap{Area: "sockets", Reason: ReasonTransparentUnread, Count: n,
		Args: map[string]string{"count": strconv.Itoa(n), "netns": nsLabel(ns), "rules": strings.Join(rules, "; ")},
		Detail: fmt.Sprintf("IP_TRANSPARENT could not be read in network namespace %s (the kernel's sock_diag gives socket options from Linux 5.10 on, /proc/net never), and its firewall has TPROXY rules (%s), which hand a transparent socket connections from other machines: whether its %d loopback %s reachable is unknown",
			nsLabel(ns), strings.Join(rules, "; "), n, plural(n, "listener is", "listeners are"))}
}

// ReasonUnheld is the owner reason code (and owners gap reason) of a
// socket of a user other than root that no descriptor table holds: held
// out of sight, or the kernel socket of a tunnel device (VXLAN, Geneve,
// FOU, WireGuard) made in a user namespace, which the kernel makes with
// that namespace's owner's uid. Which one is not proven, so it stays
// unknown.
const ReasonUnheld = "unheld"

// unheldReason words ReasonUnheld for the socket of uid (user).
func unheldReason(uid *uint32, user string) string {
	who := "uid " + strconv.FormatUint(uint64(*uid), 10)
	if user != "" {
		who += " (" + user + ")"
	}
	return "socket owned by " + who + "; no descriptor table holds it: a kernel socket of a tunnel device made in a user namespace of that user (VXLAN, Geneve, FOU, WireGuard), or a socket held out of sight (in flight over a Unix socket, or registered with an io_uring)"
}

// attachOwners gives each socket its holders and says how complete they are.
func (c *Collector) attachOwners(snap *snapshot.Snapshot, res *fdscan.Result, priv procpriv.Info, users *UserCache) {
	hiddenUIDs := res.HiddenUIDs()
	blind := priv.ProcessesHidden() // hidepid hides other users' processes entirely
	unknown, partial := 0, 0
	idMap := users.idMap()
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.UID != nil {
			s.User = users.Name(*s.UID)
		}
		s.Owners = res.Owners[s.Inode]
		otherUser := s.UID != nil && priv.EUID >= 0 && *s.UID != uint32(priv.EUID)
		hidden := (s.UID != nil && hiddenUIDs[*s.UID] > 0) || (s.UID == nil && len(hiddenUIDs) > 0) || (blind && otherUser) ||
			priv.PIDNS // processes outside the PID namespace are not in /proc at all
		switch {
		case len(s.Owners) > 0 && hidden:
			s.OwnerState = snapshot.OwnersPartial
			s.OwnerReason = priv.Reason(s.UID, s.User)
			s.OwnerReasonCode = priv.ReasonCode()
			partial++
		case len(s.Owners) > 0:
			s.OwnerState = snapshot.OwnersComplete
		case hidden || len(hiddenUIDs) > 0:
			s.OwnerState = snapshot.OwnersUnknown
			s.OwnerReason = priv.Reason(s.UID, s.User)
			s.OwnerReasonCode = priv.ReasonCode()
			unknown++
		case s.UID != nil && *s.UID != 0:
			// A user's socket that no descriptor table holds is no
			// kernel socket (the kernel makes those as root): it is
			// held where no fd table shows it, in flight over a Unix
			// socket (SCM_RIGHTS) or registered with an io_uring, and
			// still accepts connections. Unless dropClosed proves it
			// closed meanwhile, its owner is unknown, never none.
			s.OwnerState = snapshot.OwnersUnknown
			s.OwnerReason = unheldReason(s.UID, s.User)
			s.OwnerReasonCode = ReasonUnheld
		default:
			s.OwnerState = snapshot.OwnersNone
		}
		if idMap != nil {
			mapUIDs(s, idMap)
		}
	}
	if unknown > 0 || (priv.PIDNS && partial > 0) {
		n := unknown
		if priv.PIDNS {
			n += partial
		}
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "owners", Reason: priv.ReasonCode(),
			Args:   map[string]string{"count": strconv.Itoa(n)},
			Detail: fmt.Sprintf("%d %s whose owner this run cannot see: %s", n, plural(n, "socket", "sockets"), priv.Advice()),
			Count:  n})
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

// mapUIDs turns the uids of s and its owners, as the kernel gave them
// inside this user namespace, into the uids they stand for outside it; a
// uid the map does not reach becomes unknown (the kernel shows it as the
// overflow uid, which names nobody).
func mapUIDs(s *snapshot.Socket, m *IDMap) {
	mapOne := func(uid *uint32) *uint32 {
		if uid == nil {
			return nil
		}
		if h, ok := m.ToHost(*uid); ok {
			return snapshot.Uint32(h)
		}
		return nil
	}
	s.UID = mapOne(s.UID)
	if s.Owners == nil {
		return
	}
	owners := slices.Clone(s.Owners)
	for i := range owners {
		owners[i].UID = mapOne(owners[i].UID)
	}
	s.Owners = owners
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// hostDefaults reads the sysctls that change how sockets are read:
// net.ipv6.bindv6only and net.ipv4.ip_local_port_range.
func (c *Collector) hostDefaults(snap *snapshot.Snapshot) {
	if b, err := c.in.Proc.ReadFile("sys/net/ipv6/bindv6only"); err == nil {
		v := strings.TrimSpace(string(b)) == "1"
		snap.BindV6Only = &v
	}
	snap.EphemeralPorts = EphemeralRange(c.in.Proc)
}

// EphemeralRange reads net.ipv4.ip_local_port_range through proc; nil when
// it cannot be read.
func EphemeralRange(proc ProcReader) *snapshot.PortRange {
	b, err := proc.ReadFile("sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return nil
	}
	r, _ := ParsePortRange(b)
	return r
}

// otherNamespaces opens every network namespace other than self that a
// process lives in or `ip netns` names, and returns them with the
// processes found in each (which name a namespace's container). A namespace that vanished while it
// was being opened (its processes exited, its name was removed) is not
// listed and is not a gap: there is nothing left in it to see. One that
// exists but could not be entered is a gap that says why, and so is a /proc
// that hides processes (hidepid, a PID namespace): the namespaces only they
// live in cannot be found.
func (c *Collector) otherNamespaces(snap *snapshot.Snapshot, self uint64, names map[uint64]string, priv procpriv.Info) ([]namespace, map[uint64][]int) {
	var out []namespace
	seen := map[uint64]bool{self: true}
	byNS, denied, err := c.in.NetNS.ByProcess()
	if err != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "namespaces", Reason: ReasonUnreadable,
			Args:   map[string]string{"error": err.Error()},
			Detail: fmt.Sprintf("could not list the processes' network namespaces: %v; only those `ip netns` names were listed", err)})
	}
	if priv.ProcessesHidden() || priv.PIDNS {
		// Processes /proc does not list cannot name their namespaces.
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "namespaces", Reason: priv.ReasonCode(),
			Detail: fmt.Sprintf("network namespaces only processes hidden from /proc live in were not found: %s", priv.Advice())})
	}
	if denied > 0 {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "namespaces", Reason: ReasonNetNSDenied, Count: denied,
			Args:   map[string]string{"count": strconv.Itoa(denied)},
			Detail: fmt.Sprintf("the network namespaces of %d %s could not be read; their sockets were not listed (run as root)", denied, plural(denied, "process", "processes"))})
	}
	ids := slices.Sorted(maps.Keys(names))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		name := names[id]
		fd, err := c.in.NetNS.Open(NetNSRef{Name: name})
		switch {
		case err == nil:
			ns := namespace{info: snapshot.Namespace{ID: id, Name: name}, fd: fd}
			if pids := byNS[id]; len(pids) > 0 {
				ns.pid = pids[0]
			}
			out = append(out, ns)
		case Vanished(err):
			// `ip netns delete` ran meanwhile.
		default:
			snap.Gaps = append(snap.Gaps, enterGap(id, name, nil, err))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byNS)) {
		if seen[id] {
			continue
		}
		seen[id] = true
		pids := byNS[id]
		var lastErr error
		opened := false
		for _, pid := range pids {
			fd, err := c.in.NetNS.Open(NetNSRef{PID: pid})
			if err == nil {
				out = append(out, namespace{info: snapshot.Namespace{ID: id, Name: names[id]}, fd: fd, pid: pid})
				opened = true
				break
			}
			if !Vanished(err) {
				lastErr = err
			}
		}
		if !opened && lastErr != nil {
			snap.Gaps = append(snap.Gaps, enterGap(id, "", pids, lastErr))
		}
		// Every process exited: the namespace went with them.
	}
	return out, byNS
}

// unlisted is the gaps of the namespaces wired to a listed one that --netns
// all did not find, and of those whose NSIDs could not be read (nil:
// none): a namespace no process lives in and no `ip netns` name
// pins stays alive while a socket in it is open, and a veth into it makes
// that socket reachable, so NSIDs no listed namespace accounts for are
// namespaces whose sockets were not listed. Only on the live inputs (a
// test's fake namespaces have no NSIDs to ask).
func (c *Collector) unlisted(namespaces []namespace) []snapshot.Gap {
	if _, live := c.in.NetNS.(*liveNetNS); !live {
		return nil
	}
	self, err := unix.Open(filepath.Join(c.proc, "thread-self/ns/net"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return unlistedGaps(nil, []string{fmt.Sprintf("own namespace: %v", err)})
	}
	defer unix.Close(self)
	known := []int{self}
	for _, ns := range namespaces[1:] {
		known = append(known, ns.fd)
	}
	var failed []string
	left := map[int][]int32{} // index in namespaces → NSIDs not placed
	for i := range namespaces {
		ids, err := netif.Unlisted(namespaces[i].fd, known)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", nsLabel(&namespaces[i]), err))
		} else if len(ids) > 0 {
			left[i] = ids
		}
	}
	// A namespace whose last process just exited keeps its NSIDs until
	// the kernel's cleanup work runs, which may take a while on a busy
	// host: look again a few times, and keep only NSIDs that stay. A
	// namespace held by a socket stays as long as the socket.
	for try := 0; try < unlistedRetries && len(left) > 0; try++ {
		time.Sleep(unlistedWait)
		for i, before := range left {
			ids, err := netif.Unlisted(namespaces[i].fd, known)
			if err != nil {
				continue // keep what the first look found
			}
			ids = slices.DeleteFunc(ids, func(id int32) bool { return !slices.Contains(before, id) })
			if len(ids) == 0 {
				delete(left, i)
			} else {
				left[i] = ids
			}
		}
	}
	var found []string
	for _, i := range slices.Sorted(maps.Keys(left)) {
		for _, id := range left[i] {
			found = append(found, fmt.Sprintf("NSID %d in %s", id, nsLabel(&namespaces[i])))
		}
	}
	return unlistedGaps(found, failed)
}

// unlistedRetries and unlistedWait bound how long unlisted waits for the
// NSIDs of namespaces being destroyed to go: 5 × 40 ms, only when some
// NSID is not placed.
const (
	unlistedRetries = 5
	unlistedWait    = 40 * time.Millisecond
)

// unlistedGaps are the gaps of unlisted: the NSIDs found (namespaces
// not listed), and the namespaces whose NSIDs could not be read (whether
// some namespace was missed is then unknown: a gap of its own, since
// nothing was found).
func unlistedGaps(found, failed []string) []snapshot.Gap {
	var gaps []snapshot.Gap
	if len(found) > 0 {
		what := strings.Join(found, ", ")
		gaps = append(gaps, snapshot.Gap{Area: "namespaces", Reason: ReasonNetNSUnlisted, Count: len(found),
			Args:   map[string]string{"count": strconv.Itoa(len(found)), "nsids": what},
			Detail: fmt.Sprintf("network namespaces wired to listed ones were found neither through a process nor ip netns (%s): their sockets were not listed", what)})
	}
	if len(failed) > 0 {
		what := strings.Join(failed, "; ")
		gaps = append(gaps, snapshot.Gap{Area: "namespaces", Reason: ReasonNSIDUnreadable, Count: len(failed),
			Args:   map[string]string{"count": strconv.Itoa(len(failed)), "error": what},
			Detail: fmt.Sprintf("the NSIDs of listed network namespaces could not be read (%s): a namespace wired to one of them that no process or ip netns name shows would go unnoticed, and its sockets unlisted", what)})
	}
	return gaps
}

// Vanished reports whether err from opening a network namespace (by a
// process, or by a name under RunNetNS) means it is gone: the process or
// the name no longer exists.
func Vanished(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}

// enterGap is the gap of a namespace that exists but could not be opened.
func enterGap(id uint64, name string, pids []int, err error) snapshot.Gap {
	what := fmt.Sprintf("network namespace %d", id)
	if name != "" {
		what = fmt.Sprintf("network namespace %q", name)
	} else if len(pids) > 0 {
		what = fmt.Sprintf("network namespace %d (of PIDs %s)", id, pidList(pids))
	}
	advice := ""
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		advice = " (run as root)"
	}
	return snapshot.Gap{Area: "namespaces", Reason: ReasonNetNSDenied,
		Args:   map[string]string{"netns": strconv.FormatUint(id, 10), "name": name, "error": err.Error()},
		Detail: fmt.Sprintf("cannot enter %s: %v; its sockets were not listed%s", what, err, advice)}
}

// pidList names at most a few PIDs.
func pidList(pids []int) string {
	const most = 5
	var b strings.Builder
	for i, p := range pids {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(pids)-most)
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

// BoundUDP lists the local addresses of the unconnected UDP sockets bound
// to port in the caller's network namespace, read as list reads them
// (sock_diag, /proc/net when that fails): for `check`, which asks whether
// a local resolver listens.
func BoundUDP(port uint16) ([]netip.Addr, error) {
	c := New(source.Options{})
	var scratch snapshot.Snapshot
	ns := namespace{info: snapshot.Namespace{Current: true}, fd: -1}
	socks, err := c.dump(&scratch, &ns, sockdiag.Query{Protos: []snapshot.Proto{snapshot.UDP}})
	if err != nil {
		return nil, fmt.Errorf("list UDP sockets: %w", err)
	}
	var out []netip.Addr
	for _, s := range socks {
		if s.Local.Port() == port {
			out = append(out, s.Local.Addr().Unmap())
		}
	}
	return out, nil
}

// hostNamed adds the name "host" for the network namespace of PID 1 (the
// initial one, as far as this PID namespace shows), when /proc/1/ns/net
// is readable and /run/netns does not name it already: with --netns all
// it is otherwise a bare inode beside the named container namespaces.
func hostNamed(names map[uint64]string, proc string) map[uint64]string {
	id, err := nsInode(filepath.Join(proc, "1/ns/net"))
	if err != nil || names[id] != "" {
		return names
	}
	out := maps.Clone(names)
	if out == nil {
		out = map[uint64]string{}
	}
	out[id] = "host"
	return out
}
