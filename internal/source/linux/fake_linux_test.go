package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/procpriv"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// Fakes of the collection core's inputs. Each namespace is known by the fd
// the fake NetNS lister hands out (-1: the collector's own).

type fakeConn struct {
	res *sockdiag.Result
	err error
}

func (c fakeConn) Dump(sockdiag.Query) (*sockdiag.Result, error) { return c.res, c.err }
func (c fakeConn) Close() error                                  { return nil }

// fakeDiag answers the dumps of each namespace fd in turn: dumps[fd][i] is
// the i-th dump there (the last one repeats).
type fakeDiag struct {
	openErr map[int]error
	dumps   map[int][]fakeConn
	calls   map[int]int
	queries []sockdiag.Query
}

func (d *fakeDiag) Open(fd int) (DiagConn, error) {
	if err := d.openErr[fd]; err != nil {
		return nil, err
	}
	if d.calls == nil {
		d.calls = map[int]int{}
	}
	list := d.dumps[fd]
	if len(list) == 0 {
		return fakeConn{res: &sockdiag.Result{}}, nil
	}
	i := min(d.calls[fd], len(list)-1)
	d.calls[fd]++
	return list[i], nil
}

type fakeIfs struct {
	ifs map[int][]snapshot.Interface
	err error
}

func (f fakeIfs) Interfaces(fd int) ([]snapshot.Interface, error) { return f.ifs[fd], f.err }

// fakeFirewall returns rs (nil: an empty ruleset) after calling wait, when
// set.
type fakeFirewall struct {
	rs   *firewall.Ruleset
	wait func()
}

func (f fakeFirewall) Read(_ context.Context, netns uint64) *firewall.Ruleset {
	if f.wait != nil {
		f.wait()
	}
	rs := &firewall.Ruleset{Chains: []firewall.Chain{}}
	if f.rs != nil {
		rs = f.rs
	}
	rs.NetNS = netns
	return rs
}

type fakePriv struct {
	info procpriv.Info
	err  error
	wait func() // runs before Detect answers
}

func (p fakePriv) Detect() (procpriv.Info, error) {
	if p.wait != nil {
		p.wait()
	}
	return p.info, p.err
}

// fakeProc serves files and /proc/net tables (by PID; 0 is the
// collector's own).
type fakeProc struct {
	files  map[string]string
	net    map[int][]snapshot.Socket
	netErr error
	reads  []int // the PIDs whose /proc/net was read
	// fileReads counts the reads of each file.
	fileReads map[string]int
	// fileErrs are the errors reading a file fails with.
	fileErrs map[string]error
}

func (p *fakeProc) ReadFile(name string) ([]byte, error) {
	if p.fileReads == nil {
		p.fileReads = map[string]int{}
	}
	p.fileReads[name]++
	if err := p.fileErrs[name]; err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if s, ok := p.files[name]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (p *fakeProc) NetSockets(pid int, _ uint64, protos []snapshot.Proto, _ bool) ([]snapshot.Socket, error) {
	p.reads = append(p.reads, pid)
	if p.netErr != nil {
		return nil, p.netErr
	}
	var out []snapshot.Socket
	for _, s := range p.net[pid] {
		for _, proto := range protos {
			if s.Proto == proto {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

type fakeNetNS struct {
	self    uint64
	selfErr error
	named   map[uint64]string
	byPID   map[uint64][]int
	denied  int
	listErr error
	fds     map[NetNSRef]int
	openErr map[NetNSRef]error
	closed  []int
}

func (n *fakeNetNS) Self() (uint64, error)    { return n.self, n.selfErr }
func (n *fakeNetNS) Named() map[uint64]string { return n.named }
func (n *fakeNetNS) ByProcess() (map[uint64][]int, int, error) {
	return n.byPID, n.denied, n.listErr
}
func (n *fakeNetNS) Open(ref NetNSRef) (int, error) {
	if err := n.openErr[ref]; err != nil {
		return -1, err
	}
	if fd, ok := n.fds[ref]; ok {
		return fd, nil
	}
	return -1, fmt.Errorf("open %+v: %w", ref, unix.ENOENT)
}
func (n *fakeNetNS) Close(fd int) { n.closed = append(n.closed, fd) }

// fakeOwners finds the owners of res (nil: nobody holds anything, and
// every process was read).
func fakeOwners(res *fdscan.Result, err error) func(source.OwnerChoice, int, *UserCache) (ownerFinder, error) {
	return func(source.OwnerChoice, int, *UserCache) (ownerFinder, error) {
		return ownerFinder{method: "fake", scan: func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
			if err != nil {
				return nil, err
			}
			out := &fdscan.Result{Owners: map[uint64][]snapshot.Owner{}}
			if res != nil {
				out.Unreadable, out.Gaps = res.Unreadable, res.Gaps
				for ino := range wanted {
					if o, ok := res.Owners[ino]; ok {
						out.Owners[ino] = o
					}
				}
			}
			return out, nil
		}}, nil
	}
}

const selfNS = 4026531840

func tcp(addr string, inode uint64, uid uint32) snapshot.Socket {
	return snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort(addr), State: snapshot.Listen, Inode: inode, UID: snapshot.Uint32(uid)}
}

func udp(addr string, inode uint64, uid uint32) snapshot.Socket {
	return snapshot.Socket{Proto: snapshot.UDP, Local: netip.MustParseAddrPort(addr), State: snapshot.Unconnected, Inode: inode, UID: snapshot.Uint32(uid)}
}

func owner(pid int, name string, uid uint32) snapshot.Owner {
	return snapshot.Owner{PID: pid, Name: name, UID: snapshot.Uint32(uid)}
}

// rootPriv is what a root run in the initial namespaces sees.
var rootPriv = procpriv.Info{EUID: 0, CapEff: 1<<procpriv.CapDACReadSearch | 1<<procpriv.CapSysPtrace | 1<<procpriv.CapSysAdmin, ProcMount: true}

type fixture struct {
	opt    source.Options
	diag   *fakeDiag
	ifs    fakeIfs
	priv   fakePriv
	proc   *fakeProc
	netns  *fakeNetNS
	fw     fakeFirewall
	owners *fdscan.Result
	ownErr error
}

func newFixture() *fixture {
	return &fixture{
		diag:  &fakeDiag{},
		priv:  fakePriv{info: rootPriv},
		proc:  &fakeProc{files: map[string]string{"sys/net/ipv4/ip_local_port_range": "32768\t60999\n", "sys/net/ipv6/bindv6only": "0\n"}},
		netns: &fakeNetNS{self: selfNS},
	}
}

func (f *fixture) collector() *Collector {
	c := NewWithInputs(f.opt, Inputs{Diag: f.diag, Interfaces: f.ifs, Privilege: f.priv, Proc: f.proc, NetNS: f.netns, Firewall: f.fw})
	c.findOwners = fakeOwners(f.owners, f.ownErr)
	return c
}

func (f *fixture) run(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	snap, err := f.collector().Snapshot(context.Background())
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return snap
}

func gapReasons(snap *snapshot.Snapshot) []string {
	var out []string
	for _, g := range snap.Gaps {
		out = append(out, g.Area+"/"+g.Reason)
	}
	return out
}

func hasGap(snap *snapshot.Snapshot, area, reason string) bool {
	for _, g := range snap.Gaps {
		if g.Area == area && g.Reason == reason {
			return true
		}
	}
	return false
}

func sockByInode(snap *snapshot.Snapshot, ino uint64) *snapshot.Socket {
	for i := range snap.Sockets {
		if snap.Sockets[i].Inode == ino {
			return &snap.Sockets[i]
		}
	}
	return nil
}

// TestDumpFailures: every way a sock_diag dump can fail after the socket
// opened ends in the /proc/net fall-back with a gap, or (when /proc/net
// cannot be read either) in a gap: never in an empty, complete view.
func TestDumpFailures(t *testing.T) {
	procSock := tcp("0.0.0.0:22", 100, 0)
	tests := []struct {
		name     string
		openErr  error
		dump     fakeConn
		netErr   error
		wantGap  string // area/reason
		wantSock bool   // the /proc/net socket is listed
	}{
		{name: "sendmsg EPERM", dump: fakeConn{err: fmt.Errorf("send: %w: %w", sockdiag.ErrRefused, unix.EPERM)},
			wantGap: "sockets/" + ReasonNetlinkRefused, wantSock: true},
		{name: "sendmsg EIO", dump: fakeConn{err: fmt.Errorf("send sock_diag dump request for tcp/ipv4: %w", unix.EIO)},
			wantGap: "sockets/" + ReasonDumpFailed, wantSock: true},
		{name: "recvmsg ENOBUFS mid-stream", dump: fakeConn{err: fmt.Errorf("dump udp/ipv6: %w", unix.ENOBUFS)},
			wantGap: "sockets/" + ReasonDumpFailed, wantSock: true},
		{name: "no udp_diag (ENOENT)", dump: fakeConn{err: fmt.Errorf("dump udp/ipv4: %w: no handler: %w", sockdiag.ErrRefused, unix.ENOENT)},
			wantGap: "sockets/" + ReasonNetlinkRefused, wantSock: true},
		{name: "open refused", openErr: fmt.Errorf("open: %w: %w", sockdiag.ErrRefused, unix.EPROTONOSUPPORT),
			wantGap: "sockets/" + ReasonNetlinkRefused, wantSock: true},
		{name: "open fails otherwise", openErr: unix.EMFILE,
			wantGap: "sockets/" + ReasonDumpFailed, wantSock: true},
		{name: "nil result", dump: fakeConn{},
			wantGap: "sockets/" + ReasonDumpFailed, wantSock: true},
		{name: "dump fails and /proc/net too", dump: fakeConn{err: unix.EIO}, netErr: errors.New("no /proc/net table readable"),
			wantGap: "sockets/" + ReasonUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.diag.dumps = map[int][]fakeConn{-1: {tt.dump}}
			if tt.openErr != nil {
				f.diag.openErr = map[int]error{-1: tt.openErr}
			}
			f.proc.net = map[int][]snapshot.Socket{0: {procSock}}
			f.proc.netErr = tt.netErr
			snap := f.run(t)
			area, reason, _ := strings.Cut(tt.wantGap, "/")
			if !hasGap(snap, area, reason) {
				t.Errorf("gaps %v, want %s", gapReasons(snap), tt.wantGap)
			}
			if len(snap.Gaps) == 0 {
				t.Fatal("no gap: the view would be complete")
			}
			if got := sockByInode(snap, 100) != nil; got != tt.wantSock {
				t.Errorf("socket from /proc/net listed = %v, want %v (sockets %+v)", got, tt.wantSock, snap.Sockets)
			}
			if tt.wantSock && snap.Source != "linux/procfs" {
				t.Errorf("source %q, want linux/procfs", snap.Source)
			}
		})
	}
}

// TestDropClosedKeepsWhenRecheckFails: a socket nobody holds is dropped as
// closed only when a second dump proves it gone; a failing second dump
// proves nothing.
func TestDropClosed(t *testing.T) {
	kernel := tcp("0.0.0.0:2049", 200, 0)
	tests := []struct {
		name   string
		second fakeConn
		netErr error
		want   bool
	}{
		{"second dump lists it", fakeConn{res: &sockdiag.Result{Sockets: []snapshot.Socket{kernel}}}, nil, true},
		{"second dump proves it closed", fakeConn{res: &sockdiag.Result{}}, nil, false},
		{"second dump fails, /proc/net lists it", fakeConn{err: unix.EIO}, nil, true},
		{"second dump and /proc/net fail", fakeConn{err: unix.ENOBUFS}, errors.New("unreadable"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{kernel}}}, tt.second}}
			f.proc.net = map[int][]snapshot.Socket{0: {kernel}}
			f.proc.netErr = tt.netErr
			snap := f.run(t)
			s := sockByInode(snap, 200)
			if (s != nil) != tt.want {
				t.Fatalf("kernel socket listed = %v, want %v", s != nil, tt.want)
			}
			if s != nil && s.OwnerState != snapshot.OwnersNone {
				t.Errorf("owner state %q, want none", s.OwnerState)
			}
		})
	}
}

// TestOwnerStates: complete, none, partial and unknown owners, with
// refused processes, hidepid and a PID namespace.
func TestOwnerStates(t *testing.T) {
	socks := []snapshot.Socket{tcp("0.0.0.0:22", 1, 0), tcp("0.0.0.0:80", 2, 33), udp("0.0.0.0:53", 3, 1000), tcp("0.0.0.0:2049", 4, 0)}
	sshd := owner(10, "sshd", 0)
	tests := []struct {
		name    string
		priv    procpriv.Info
		owners  *fdscan.Result
		want    map[uint64]snapshot.OwnerState
		gap     string
		wantGap bool
	}{
		// Only root's socket without a holder is a kernel socket; a
		// user's is held out of sight (in flight, in an io_uring).
		{name: "root, all read", priv: rootPriv, owners: &fdscan.Result{Owners: map[uint64][]snapshot.Owner{1: {sshd}}},
			want: map[uint64]snapshot.OwnerState{1: snapshot.OwnersComplete, 2: snapshot.OwnersUnknown, 3: snapshot.OwnersUnknown, 4: snapshot.OwnersNone},
			gap:  ReasonUnheld, wantGap: true},
		{name: "refused process of uid 33", priv: rootPriv, owners: &fdscan.Result{
			Owners:     map[uint64][]snapshot.Owner{1: {sshd}},
			Unreadable: []fdscan.Unreadable{{PID: 1, UID: snapshot.Uint32(33), Reason: fdscan.ReasonPermission}}},
			want: map[uint64]snapshot.OwnerState{1: snapshot.OwnersComplete, 2: snapshot.OwnersUnknown, 3: snapshot.OwnersUnknown},
			gap:  procpriv.CodeRefused, wantGap: true},
		{name: "refused process of uid 0 (partial)", priv: rootPriv, owners: &fdscan.Result{
			Owners:     map[uint64][]snapshot.Owner{1: {sshd}},
			Unreadable: []fdscan.Unreadable{{PID: 1, UID: snapshot.Uint32(0), Reason: fdscan.ReasonPermission}}},
			want: map[uint64]snapshot.OwnerState{1: snapshot.OwnersPartial, 2: snapshot.OwnersUnknown, 3: snapshot.OwnersUnknown},
			gap:  procpriv.CodeRefused, wantGap: true},
		{name: "hidepid=invisible as uid 1000", priv: procpriv.Info{EUID: 1000, ProcMount: true, HidePID: procpriv.HidePIDInvisible},
			owners: &fdscan.Result{Owners: map[uint64][]snapshot.Owner{3: {owner(20, "dnsmasq", 1000)}}},
			want:   map[uint64]snapshot.OwnerState{1: snapshot.OwnersUnknown, 2: snapshot.OwnersUnknown, 3: snapshot.OwnersComplete},
			gap:    procpriv.CodeHidePID, wantGap: true},
		{name: "PID namespace", priv: func() procpriv.Info { p := rootPriv; p.PIDNS = true; return p }(),
			owners: &fdscan.Result{Owners: map[uint64][]snapshot.Owner{3: {owner(20, "dnsmasq", 1000)}}},
			want:   map[uint64]snapshot.OwnerState{1: snapshot.OwnersUnknown, 2: snapshot.OwnersUnknown, 3: snapshot.OwnersPartial},
			gap:    procpriv.CodePIDNamespace, wantGap: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.priv.info = tt.priv
			f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: socks}}}}
			f.owners = tt.owners
			snap := f.run(t)
			for ino, want := range tt.want {
				s := sockByInode(snap, ino)
				if s == nil {
					t.Fatalf("socket %d missing", ino)
				}
				if s.OwnerState != want {
					t.Errorf("socket %d: owner state %q, want %q (%s)", ino, s.OwnerState, want, s.OwnerReason)
				}
				if (want == snapshot.OwnersUnknown || want == snapshot.OwnersPartial) && s.OwnerReasonCode != tt.gap {
					t.Errorf("socket %d: reason code %q, want %q", ino, s.OwnerReasonCode, tt.gap)
				}
			}
			if got := hasGap(snap, "owners", tt.gap); got != tt.wantGap {
				t.Errorf("owners gap %q = %v, want %v (gaps %v)", tt.gap, got, tt.wantGap, gapReasons(snap))
			}
			if !tt.wantGap && len(snap.Gaps) > 0 {
				t.Errorf("unexpected gaps %v", gapReasons(snap))
			}
		})
	}
}

// TestPIDNamespaceWording: the reason names the PID namespace.
func TestPIDNamespaceWording(t *testing.T) {
	f := newFixture()
	f.priv.info.PIDNS = true
	f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)}}}}}
	snap := f.run(t)
	if s := sockByInode(snap, 1); s == nil || !strings.Contains(s.OwnerReason, "owners outside this PID namespace are invisible") {
		t.Fatalf("socket %+v: want the PID namespace reason", s)
	}
	if !snap.Privilege.PIDNamespace {
		t.Error("privilege does not record the PID namespace")
	}
}

// TestUserNamespaceUIDs: uids the kernel gave inside a user namespace are
// reported and named as the uids they stand for outside it; unmapped ones
// are unknown.
func TestUserNamespaceUIDs(t *testing.T) {
	f := newFixture()
	f.priv.info = procpriv.Info{EUID: 0, CapEff: rootPriv.CapEff, UserNS: true}
	f.proc.files["self/uid_map"] = "         0     100000       1000\n"
	f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0), tcp("0.0.0.0:23", 2, 65534)}}}}}
	f.owners = &fdscan.Result{Owners: map[uint64][]snapshot.Owner{1: {owner(7, "sshd", 0)}}}
	c := f.collector()
	var looked []uint32
	c.findOwners = func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
		users.Lookup = func(uid uint32) (string, error) {
			looked = append(looked, uid)
			if uid == 100000 {
				return "alice", nil
			}
			return "", fmt.Errorf("no user %d", uid)
		}
		return fakeOwners(f.owners, nil)(choice, openFiles, users)
	}
	snap, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := sockByInode(snap, 1)
	if s.UID == nil || *s.UID != 100000 || s.User != "alice" {
		t.Errorf("socket of namespace uid 0: uid %v user %q, want 100000 alice", ptrVal(s.UID), s.User)
	}
	if o := s.Owners[0]; o.UID == nil || *o.UID != 100000 {
		t.Errorf("owner uid %v, want 100000", ptrVal(o.UID))
	}
	if u := sockByInode(snap, 2); u.UID != nil || u.User != "" {
		t.Errorf("socket of unmapped uid: uid %v user %q, want unknown", ptrVal(u.UID), u.User)
	}
	for _, uid := range looked {
		if uid == 0 {
			t.Error("looked up host uid 0 for a namespace uid")
		}
	}
}

func ptrVal(p *uint32) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestOtherNamespaces: --netns all lists every namespace it can enter; one
// that vanished meanwhile is neither listed nor a gap, one that could not
// be entered is a gap that says why.
func TestOtherNamespaces(t *testing.T) {
	f := newFixture()
	f.opt.AllNamespaces = true
	f.netns.named = map[uint64]string{11: "blue", 12: "gone", 13: "locked"}
	f.netns.byPID = map[uint64][]int{selfNS: {1}, 11: {50}, 20: {60, 61}, 21: {70}, 22: {80, 81}}
	f.netns.fds = map[NetNSRef]int{{Name: "blue"}: 101, {PID: 61}: 120, {PID: 81}: 122}
	f.netns.openErr = map[NetNSRef]error{
		{Name: "gone"}:   &fs.PathError{Op: "open", Path: "/run/netns/gone", Err: unix.ENOENT},
		{Name: "locked"}: &fs.PathError{Op: "open", Path: "/run/netns/locked", Err: unix.EACCES},
		{PID: 60}:        &fs.PathError{Op: "open", Path: "/proc/60/ns/net", Err: unix.ESRCH},
		{PID: 70}:        &fs.PathError{Op: "open", Path: "/proc/70/ns/net", Err: unix.ENOENT}, // the namespace's only process exited
		{PID: 80}:        &fs.PathError{Op: "open", Path: "/proc/80/ns/net", Err: unix.EACCES},
	}
	f.netns.denied = 2
	f.diag.dumps = map[int][]fakeConn{
		-1:  {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)}}}},
		101: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{func() snapshot.Socket { s := tcp("192.0.2.1:80", 2, 0); s.IfIndex = 2; return s }()}}}},
		120: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{udp("0.0.0.0:53", 3, 0)}}}},
	}
	f.diag.openErr = map[int]error{122: fmt.Errorf("open: %w: %w", sockdiag.ErrRefused, unix.EPERM)}
	f.proc.net = map[int][]snapshot.Socket{81: {tcp("0.0.0.0:8080", 4, 0)}}
	f.ifs = fakeIfs{ifs: map[int][]snapshot.Interface{101: {{Index: 2, Name: "veth0", Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}}}}
	f.owners = &fdscan.Result{Owners: map[uint64][]snapshot.Owner{1: {owner(1, "sshd", 0)}, 2: {owner(50, "httpd", 0)}, 3: {owner(61, "dnsmasq", 0)}, 4: {owner(81, "app", 0)}}}
	snap := f.run(t)

	var ids []uint64
	for _, ns := range snap.Namespaces {
		ids = append(ids, ns.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint([]uint64{selfNS, 11, 20, 22}) {
		t.Errorf("namespaces %v, want self, 11, 20, 22", ids)
	}
	if snap.Namespaces[1].Name != "blue" {
		t.Errorf("namespace 11 named %q, want blue", snap.Namespaces[1].Name)
	}
	for ino, ns := range map[uint64]uint64{1: selfNS, 2: 11, 3: 20, 4: 22} {
		s := sockByInode(snap, ino)
		if s == nil || s.NetNS != ns || s.OwnerState != snapshot.OwnersComplete {
			t.Errorf("socket %d: %+v, want in namespace %d with its owner", ino, s, ns)
		}
	}
	if s := sockByInode(snap, 2); s.Interface != "veth0" {
		t.Errorf("socket 2 interface %q, want veth0", s.Interface)
	}
	var details []string
	for _, g := range snap.Gaps {
		details = append(details, g.Detail)
		if strings.Contains(g.Detail, "gone") || strings.Contains(g.Detail, " 21") {
			t.Errorf("a vanished namespace is a gap: %s", g.Detail)
		}
	}
	all := strings.Join(details, "\n")
	for _, want := range []string{`cannot enter network namespace "locked": open /run/netns/locked: permission denied`, "of 2 processes could not be read", "cannot enter network namespace 22: it needs CAP_SYS_ADMIN (run as root)", "read /proc/net instead"} {
		if !strings.Contains(all, want) {
			t.Errorf("gaps lack %q:\n%s", want, all)
		}
	}
	if f.proc.reads[0] != 81 {
		t.Errorf("/proc/net fall-back of namespace 22 read PID %v, want 81", f.proc.reads)
	}
	if len(f.netns.closed) != 3 {
		t.Errorf("closed %v, want the 3 opened namespace fds", f.netns.closed)
	}
}

// TestNamedNamespaceWithoutProcessHasNoProcNet: a namespace only `ip
// netns` holds has no /proc/PID/net; when its dump fails, reading the
// collector's own /proc/net instead would list the wrong namespace.
func TestNamedNamespaceWithoutProcessHasNoProcNet(t *testing.T) {
	f := newFixture()
	f.opt.AllNamespaces = true
	f.netns.named = map[uint64]string{11: "blue"}
	f.netns.fds = map[NetNSRef]int{{Name: "blue"}: 101}
	f.diag.dumps = map[int][]fakeConn{101: {{err: unix.EIO}}}
	f.proc.net = map[int][]snapshot.Socket{0: {tcp("0.0.0.0:22", 1, 0)}}
	snap := f.run(t)
	for _, s := range snap.Sockets {
		if s.NetNS == 11 {
			t.Errorf("socket %+v of the collector's namespace listed under blue", s)
		}
	}
	if !hasGap(snap, "sockets", ReasonUnreadable) {
		t.Errorf("gaps %v, want sockets/unreadable for blue", gapReasons(snap))
	}
}

// TestRawFallback: a kernel without raw_diag lists raw sockets from
// /proc/net/raw, with a gap, rather than none.
func TestRawFallback(t *testing.T) {
	f := newFixture()
	f.opt.Raw = true
	raw := snapshot.Socket{Proto: snapshot.Raw, Local: netip.MustParseAddrPort("0.0.0.0:1"), State: snapshot.Unconnected, Inode: 9, UID: snapshot.Uint32(0)}
	f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{
		Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)},
		Unavailable: []sockdiag.Unavailable{
			{Request: sockdiag.Request{Proto: snapshot.Raw, Family: sockdiag.AFInet}, Err: unix.ENOENT},
			{Request: sockdiag.Request{Proto: snapshot.Raw, Family: sockdiag.AFInet6}, Err: unix.ENOENT},
			{Request: sockdiag.Request{Proto: snapshot.SCTP, Family: sockdiag.AFInet}, Err: unix.ENOENT},
		},
	}}}}
	f.proc.net = map[int][]snapshot.Socket{0: {raw, tcp("0.0.0.0:22", 1, 0)}}
	snap := f.run(t)
	if sockByInode(snap, 9) == nil {
		t.Fatalf("raw socket from /proc/net/raw missing: %+v", snap.Sockets)
	}
	n := 0
	for _, s := range snap.Sockets {
		if s.Inode == 1 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("TCP socket listed %d times, want once (only raw is read from /proc/net)", n)
	}
	if len(snap.Gaps) != 1 || snap.Gaps[0].Reason != sockdiag.ReasonUnavailable || !strings.Contains(snap.Gaps[0].Detail, "/proc/net/raw") {
		t.Errorf("gaps %+v, want one raw gap naming /proc/net/raw", snap.Gaps)
	}
	// The renderers word the gap from its arguments: without read_from it
	// said the raw sockets "were not listed".
	if len(snap.Gaps) == 1 && snap.Gaps[0].Args["read_from"] != "/proc/net/raw" {
		t.Errorf("gap args %v, want read_from /proc/net/raw", snap.Gaps[0].Args)
	}
	if snap.Source != "linux/sock_diag" {
		t.Errorf("source %q", snap.Source)
	}
}

// TestCollectorErrors: failures that leave nothing to report are errors.
func TestCollectorErrors(t *testing.T) {
	t.Run("own namespace unknown", func(t *testing.T) {
		f := newFixture()
		f.netns.selfErr = errors.New("stat: permission denied")
		if _, err := f.collector().Snapshot(context.Background()); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("owner scan fails", func(t *testing.T) {
		f := newFixture()
		f.ownErr = errors.New("scan /proc: boom")
		if _, err := f.collector().Snapshot(context.Background()); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFixture()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := f.collector().Snapshot(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("unknown owner choice", func(t *testing.T) {
		c := New(source.Options{Owners: "psychic"})
		if _, err := c.ownerFinder("psychic", 0, &UserCache{}); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestGapsOfInputs: a privilege probe, interface dump or process listing
// that fails is a gap, and the rest of the view is still collected.
func TestGapsOfInputs(t *testing.T) {
	f := newFixture()
	f.opt.AllNamespaces = true
	f.priv.err = errors.New("read self/status: permission denied")
	f.ifs.err = errors.New("rtnetlink: EPERM")
	f.netns.listErr = errors.New("list /proc: EIO")
	f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("192.0.2.1:22", 1, 0)}}}}}
	snap := f.run(t)
	for _, want := range []string{"processes/privilege-unknown", "interfaces/" + ReasonUnreadable, "namespaces/" + ReasonUnreadable} {
		area, reason, _ := strings.Cut(want, "/")
		if !hasGap(snap, area, reason) {
			t.Errorf("gaps %v lack %s", gapReasons(snap), want)
		}
	}
	if sockByInode(snap, 1) == nil {
		t.Error("socket missing")
	}
}

// TestQueryAndDefaults: SCTP is asked for only with its module loaded,
// raw only on request, NoNetlink reads /proc/net, and the sysctls land in
// the snapshot.
func TestQueryAndDefaults(t *testing.T) {
	f := newFixture()
	f.proc.files["thread-self/net/sctp"] = ""
	f.proc.files["sys/net/ipv6/bindv6only"] = "1\n"
	f.opt.Raw = true
	q := f.collector().query()
	if fmt.Sprint(q.Protos) != fmt.Sprint([]snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite, snapshot.SCTP, snapshot.Raw}) {
		t.Errorf("protos %v", q.Protos)
	}
	f.opt.Raw = false
	f.opt.NoNetlink = true
	f.proc.net = map[int][]snapshot.Socket{0: {tcp("0.0.0.0:22", 1, 0)}}
	snap := f.run(t)
	if snap.Source != "linux/procfs" || sockByInode(snap, 1) == nil {
		t.Errorf("NoNetlink: source %q, sockets %+v", snap.Source, snap.Sockets)
	}
	if snap.BindV6Only == nil || !*snap.BindV6Only || snap.EphemeralPorts == nil || snap.EphemeralPorts.First != 32768 || snap.EphemeralPorts.Last != 60999 {
		t.Errorf("defaults: v6only %v, ephemeral %+v", snap.BindV6Only, snap.EphemeralPorts)
	}
	delete(f.proc.files, "thread-self/net/sctp")
	if q := f.collector().query(); len(q.Protos) != 3 {
		t.Errorf("protos without sctp: %v", q.Protos)
	}
}

// TestHiddenProcessesHideNamespaces: with hidepid (or in a PID namespace)
// --netns all cannot find the namespaces of processes /proc does not list,
// and says so.
func TestHiddenProcessesHideNamespaces(t *testing.T) {
	for _, priv := range []procpriv.Info{
		{EUID: 1000, ProcMount: true, HidePID: procpriv.HidePIDInvisible},
		func() procpriv.Info { p := rootPriv; p.PIDNS = true; return p }(),
	} {
		f := newFixture()
		f.opt.AllNamespaces = true
		f.priv.info = priv
		snap := f.run(t)
		if !hasGap(snap, "namespaces", priv.ReasonCode()) {
			t.Errorf("%+v: gaps %v, want namespaces/%s", priv, gapReasons(snap), priv.ReasonCode())
		}
	}
	f := newFixture()
	f.opt.AllNamespaces = true
	if snap := f.run(t); len(snap.Gaps) != 0 {
		t.Errorf("root: gaps %v, want none", gapReasons(snap))
	}
}

// TestFirewallBesideOwnerScan: the packet filter is read while the owners
// are found (the fake reader returns only once the owner scan has started,
// which a collector reading it first would never do), what it could not
// read still becomes gaps, and the interfaces of the namespace whose rules
// were read are listed though no socket needs them.
func TestFirewallBesideOwnerScan(t *testing.T) {
	f := newFixture()
	scanning := make(chan struct{})
	var sawScan, returned atomic.Bool
	f.fw = fakeFirewall{
		rs: &firewall.Ruleset{Chains: []firewall.Chain{}, Unread: []firewall.Unread{{Backend: "nftables", Reason: "permission", Detail: "nftables: operation not permitted"}}},
		wait: func() {
			defer returned.Store(true)
			select {
			case <-scanning:
				sawScan.Store(true)
			case <-time.After(10 * time.Second): // a collector that reads the filter first
			}
		},
	}
	f.ifs = fakeIfs{ifs: map[int][]snapshot.Interface{-1: {{Index: 1, Name: "lo"}, {Index: 2, Name: "eth0"}}}}
	f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)}}}}}
	c := f.collector()
	find := c.findOwners
	c.findOwners = func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
		of, err := find(choice, openFiles, users)
		scan := of.scan
		of.scan = func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
			close(scanning)
			return scan(wanted)
		}
		return of, err
	}
	snap, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sawScan.Load() {
		t.Error("the packet filter was read before the owner scan started, not beside it")
	}
	if snap.Firewall == nil || snap.Firewall.NetNS != selfNS || len(snap.Firewall.Unread) != 1 {
		t.Fatalf("firewall %+v, want the fake's ruleset of namespace %d with its unread backend", snap.Firewall, selfNS)
	}
	if !hasGap(snap, "published", "nat-unreadable") {
		t.Errorf("gaps %v lack published/nat-unreadable for the unread backend", gapReasons(snap))
	}
	if len(snap.Interfaces) != 2 || snap.Interfaces[1].Name != "eth0" || snap.Interfaces[1].NetNS != selfNS {
		t.Errorf("interfaces %+v, want lo and eth0 of namespace %d", snap.Interfaces, selfNS)
	}

	// A failed owner scan returns only once the reader is done.
	f = newFixture()
	returned.Store(false)
	f.fw = fakeFirewall{wait: func() { time.Sleep(10 * time.Millisecond); returned.Store(true) }}
	f.ownErr = errors.New("scan failed")
	if _, err := f.collector().Snapshot(context.Background()); err == nil {
		t.Fatal("Snapshot with a failed owner scan: no error")
	}
	if !returned.Load() {
		t.Error("Snapshot returned while the packet filter was still being read")
	}
}

// TestInterfacesNameSockets: the interfaces listed beside the owner scan
// name the sockets bound to a device, in their own namespace only.
func TestInterfacesNameSockets(t *testing.T) {
	f := newFixture()
	f.opt.AllNamespaces = true
	f.netns.byPID = map[uint64][]int{selfNS + 1: {50}}
	f.netns.fds = map[NetNSRef]int{{PID: 50}: 7}
	bound := tcp("0.0.0.0:53", 1, 0)
	bound.IfIndex = 2
	other := tcp("0.0.0.0:53", 2, 0)
	other.IfIndex = 2
	f.diag.dumps = map[int][]fakeConn{
		-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{bound}}}},
		7:  {{res: &sockdiag.Result{Sockets: []snapshot.Socket{other}}}},
	}
	f.ifs = fakeIfs{ifs: map[int][]snapshot.Interface{
		-1: {{Index: 1, Name: "lo"}, {Index: 2, Name: "eth0"}},
		7:  {{Index: 1, Name: "lo"}, {Index: 2, Name: "veth1"}},
	}}
	snap := f.run(t)
	if s := sockByInode(snap, 1); s == nil || s.Interface != "eth0" {
		t.Errorf("socket of the own namespace: %+v, want interface eth0", s)
	}
	if s := sockByInode(snap, 2); s == nil || s.Interface != "veth1" {
		t.Errorf("socket of the other namespace: %+v, want interface veth1", s)
	}
	if len(snap.Interfaces) != 4 {
		t.Errorf("interfaces %+v, want two of each namespace", snap.Interfaces)
	}
}

// TestOpenFilesReadOnce: --owners auto decides between /proc and eBPF by
// the host's open files, and the collector reads sys/fs/file-nr once per
// snapshot for both the early load (prefetchEBPF) and the choice; other
// choices, and a procfs that is not the kernel's, never read it.
func TestOpenFilesReadOnce(t *testing.T) {
	for _, tc := range []struct {
		choice    source.OwnerChoice
		procRoot  string
		reads     int
		openFiles int
	}{
		{source.OwnersAuto, "", 1, 1234},
		{"", "", 1, 1234},
		{source.OwnersEBPF, "", 1, 1234},
		{source.OwnersProc, "", 0, 0},
		{source.OwnersAuto, "/tmp/fake-proc", 0, 0},
	} {
		f := newFixture()
		f.proc.files["sys/fs/file-nr"] = "1234\t0\t2466174\n"
		f.opt.Owners, f.opt.ProcRoot = tc.choice, tc.procRoot
		c := f.collector()
		got := -1
		find := c.findOwners
		c.findOwners = func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
			got = openFiles
			if choice == source.OwnersEBPF {
				choice = source.OwnersProc // the fake tree, not the kernel's iterator
			}
			return find(choice, openFiles, users)
		}
		if _, err := c.Snapshot(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := f.proc.fileReads["sys/fs/file-nr"]; n != tc.reads || got != tc.openFiles {
			t.Errorf("owners %q, proc %q: file-nr read %d times, owner finder given %d open files; want %d and %d",
				tc.choice, tc.procRoot, n, got, tc.reads, tc.openFiles)
		}
	}
}

// TestOwnerScanBesidePrivilegeProbe: the owner scan starts before the
// privilege probe has answered; a user name it looks up meanwhile waits
// for the probe and is mapped out of the user namespace the probe found,
// the probe's answer still gives the sockets' owner reasons, and its
// failure is still a gap.
func TestOwnerScanBesidePrivilegeProbe(t *testing.T) {
	for _, probeErr := range []error{nil, errors.New("read self/mountinfo: permission denied")} {
		f := newFixture()
		scanning := make(chan struct{})
		var sawScan atomic.Bool
		f.priv = fakePriv{info: procpriv.Info{EUID: 0, CapEff: rootPriv.CapEff, UserNS: true, PIDNS: true}, err: probeErr, wait: func() {
			select {
			case <-scanning:
				sawScan.Store(true)
			case <-time.After(10 * time.Second): // a collector that waits for the probe first
			}
		}}
		f.proc.files["self/uid_map"] = "         0     100000       1000\n"
		f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp("0.0.0.0:22", 1, 0)}}}}}
		c := f.collector()
		var scanned string
		c.findOwners = func(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
			users.Lookup = func(uid uint32) (string, error) {
				if uid == 100000 {
					return "alice", nil
				}
				return "", fmt.Errorf("no user %d", uid)
			}
			return ownerFinder{method: "fake", scan: func(map[uint64]struct{}) (*fdscan.Result, error) {
				close(scanning)
				scanned = users.Name(0) // as fdscan names an owner
				return &fdscan.Result{Owners: map[uint64][]snapshot.Owner{}}, nil
			}}, nil
		}
		snap, err := c.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !sawScan.Load() {
			t.Errorf("probe error %v: the owner scan started only after the privilege probe", probeErr)
		}
		if scanned != "alice" {
			t.Errorf("probe error %v: uid 0 named %q during the scan, want alice (host uid 100000)", probeErr, scanned)
		}
		if got := hasGap(snap, "processes", "privilege-unknown"); got != (probeErr != nil) {
			t.Errorf("probe error %v: privilege-unknown gap %v; gaps %v", probeErr, got, gapReasons(snap))
		}
		if !snap.Privilege.UserNamespace || !snap.Privilege.PIDNamespace {
			t.Errorf("probe error %v: privilege %+v, want the probe's user and PID namespaces", probeErr, snap.Privilege)
		}
		if s := sockByInode(snap, 1); s.OwnerState != snapshot.OwnersUnknown || s.OwnerReasonCode != procpriv.CodePIDNamespace {
			t.Errorf("probe error %v: socket owners %s (%s), want unknown (%s)", probeErr, s.OwnerState, s.OwnerReasonCode, procpriv.CodePIDNamespace)
		}
	}
}

// TestRouteLocalnet: an IPv4 loopback listener makes the collector read
// route_localnet (conf.all's and each interface's) in its namespace and
// mark the interfaces that take packets for 127.0.0.0/8; a setting that
// cannot be read is a gap, never taken for off.
func TestRouteLocalnet(t *testing.T) {
	conf := func(dev string) string { return "sys/net/ipv4/conf/" + dev + "/route_localnet" }
	tests := []struct {
		name   string
		sock   string
		files  map[string]string
		marked []string
		gap    bool
	}{
		{"off", "127.0.0.1:8080", map[string]string{conf("all"): "0\n", conf("eth0"): "0\n", conf("eth1"): "0\n", conf("lo"): "1\n"}, nil, false},
		{"on for eth1", "127.0.0.1:8080", map[string]string{conf("all"): "0\n", conf("eth0"): "0\n", conf("eth1"): "1\n"}, []string{"eth1"}, false},
		{"on for all", "[::ffff:127.0.0.5]:8080", map[string]string{conf("all"): "1\n", conf("eth0"): "0\n", conf("eth1"): "0\n"}, []string{"eth0", "eth1"}, false},
		{"an interface gone meanwhile", "127.0.0.1:8080", map[string]string{conf("all"): "0\n", conf("eth1"): "1\n"}, []string{"eth1"}, false},
		{"conf.all unreadable", "127.0.0.1:8080", map[string]string{conf("eth1"): "1\n"}, []string{"eth1"}, true},
		// Not read at all without an IPv4 loopback socket.
		{"no IPv4 loopback socket", "[::1]:8080", map[string]string{conf("all"): "1\n"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			maps.Copy(f.proc.files, tt.files)
			f.ifs = fakeIfs{ifs: map[int][]snapshot.Interface{-1: {{Index: 1, Name: "lo"}, {Index: 2, Name: "eth0"}, {Index: 3, Name: "eth1"}}}}
			f.diag.dumps = map[int][]fakeConn{-1: {{res: &sockdiag.Result{Sockets: []snapshot.Socket{tcp(tt.sock, 5, 0)}}}}}
			f.owners = &fdscan.Result{Owners: map[uint64][]snapshot.Owner{5: {owner(10, "kube-proxy", 0)}}}
			snap := f.run(t)
			var marked []string
			for _, ifc := range snap.Interfaces {
				if ifc.RouteLocalnet {
					marked = append(marked, ifc.Name)
				}
			}
			if !slices.Equal(marked, tt.marked) {
				t.Errorf("marked %v, want %v", marked, tt.marked)
			}
			if got := hasGap(snap, "interfaces", ReasonRouteLocalnetUnreadable); got != tt.gap {
				t.Errorf("route_localnet gap = %v, want %v (gaps %v)", got, tt.gap, gapReasons(snap))
			}
		})
	}
}
