package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/kernfile"
	"github.com/openports/openports/internal/source/linux/netif"
	"github.com/openports/openports/internal/source/linux/procnet"
	"github.com/openports/openports/internal/source/linux/procpriv"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// The collection core reads the kernel through six inputs, each an
// interface with the real implementation below and fakes in the tests, so
// that every failure path can be driven without a kernel that fails.

// DiagConn is a sock_diag socket in one network namespace
// (*sockdiag.Conn).
type DiagConn interface {
	Dump(q sockdiag.Query) (*sockdiag.Result, error)
	Close() error
}

// DiagOpener opens sock_diag sockets: in the namespace netnsFD refers to,
// or in the caller's when netnsFD < 0.
type DiagOpener interface {
	Open(netnsFD int) (DiagConn, error)
}

// InterfaceSource lists the interfaces of a network namespace (netnsFD <
// 0: the caller's).
type InterfaceSource interface {
	Interfaces(netnsFD int) ([]snapshot.Interface, error)
}

// PrivilegeProbe tells what this run may see of other processes.
type PrivilegeProbe interface {
	Detect() (procpriv.Info, error)
}

// ProcReader reads procfs: sysctls and other files by their path under the
// proc root, and the /proc/net socket tables of a process's namespace (pid
// 0: the caller's). NetSockets fails when process pid is not in network
// namespace netns before and after the read: a PID found in a namespace
// may have exited and been reused by a process of another one.
type ProcReader interface {
	ReadFile(name string) ([]byte, error)
	NetSockets(pid int, netns uint64, protos []snapshot.Proto, established bool) ([]snapshot.Socket, error)
}

// NetNSLister finds network namespaces and opens them.
type NetNSLister interface {
	// Self is the inode of the caller's network namespace.
	Self() (uint64, error)
	// Named maps the namespaces `ip netns` names (/run/netns) to their
	// names.
	Named() map[uint64]string
	// ByProcess maps the namespace of every process in /proc to its PIDs;
	// denied counts the processes whose namespace could not be read.
	ByProcess() (byNS map[uint64][]int, denied int, err error)
	// Open opens a namespace by a process (pid > 0) or by its `ip netns`
	// name, returning a file descriptor to enter it by.
	Open(ref NetNSRef) (int, error)
	// Close closes a descriptor Open returned.
	Close(fd int)
}

// FirewallReader reads the packet filter of the caller's network namespace
// (inode netns). What it could not read is listed in the ruleset's Unread,
// so that verdicts say unknown instead of open.
type FirewallReader interface {
	Read(ctx context.Context, netns uint64) *firewall.Ruleset
}

// NetNSRef names one way to reach a namespace: a process in it, or its
// `ip netns` name.
type NetNSRef struct {
	PID  int
	Name string
}

// Inputs are what the collection core reads. A nil field is the real
// implementation (Live).
type Inputs struct {
	Diag       DiagOpener
	Interfaces InterfaceSource
	Privilege  PrivilegeProbe
	Proc       ProcReader
	NetNS      NetNSLister
	Firewall   FirewallReader
}

// Live returns the real inputs over the procfs at procRoot.
func Live(procRoot string) Inputs {
	return Inputs{
		Diag:       liveDiag{},
		Interfaces: liveInterfaces{},
		Privilege:  livePrivilege{proc: procRoot},
		Proc:       liveProc{root: procRoot},
		NetNS:      &liveNetNS{proc: procRoot},
		Firewall:   liveFirewall{proc: procRoot},
	}
}

// withDefaults fills the nil fields of in with the real inputs.
func (in Inputs) withDefaults(procRoot string) Inputs {
	live := Live(procRoot)
	if in.Diag == nil {
		in.Diag = live.Diag
	}
	if in.Interfaces == nil {
		in.Interfaces = live.Interfaces
	}
	if in.Privilege == nil {
		in.Privilege = live.Privilege
	}
	if in.Proc == nil {
		in.Proc = live.Proc
	}
	if in.NetNS == nil {
		in.NetNS = live.NetNS
	}
	if in.Firewall == nil {
		in.Firewall = live.Firewall
	}
	return in
}

type liveDiag struct{}

func (liveDiag) Open(netnsFD int) (DiagConn, error) {
	c, err := sockdiag.Open(netnsFD)
	if err != nil {
		return nil, err
	}
	return c, nil
}

type liveInterfaces struct{}

func (liveInterfaces) Interfaces(netnsFD int) ([]snapshot.Interface, error) {
	return netif.Interfaces(netnsFD)
}

type livePrivilege struct{ proc string }

func (p livePrivilege) Detect() (procpriv.Info, error) { return procpriv.Detect(p.proc) }

type liveFirewall struct{ proc string }

func (f liveFirewall) Read(ctx context.Context, netns uint64) *firewall.Ruleset {
	return readFirewall(ctx, netns, f.proc)
}

type liveProc struct{ root string }

func (p liveProc) ReadFile(name string) ([]byte, error) {
	return kernfile.Read(filepath.Join(p.root, name))
}

// NetSockets reads the /proc/net tables of protos.
func (p liveProc) NetSockets(pid int, netns uint64, protos []snapshot.Proto, established bool) ([]snapshot.Socket, error) {
	if pid <= 0 {
		return procnet.ReadProtos(p.root, 0, protos, established)
	}
	if err := p.inNetNS(pid, netns); err != nil {
		return nil, err
	}
	socks, err := procnet.ReadProtos(p.root, pid, protos, established)
	if err != nil {
		return nil, err
	}
	if err := p.inNetNS(pid, netns); err != nil {
		return nil, err
	}
	return socks, nil
}

// inNetNS checks that process pid is in network namespace netns.
func (p liveProc) inNetNS(pid int, netns uint64) error {
	var st unix.Stat_t
	path := filepath.Join(p.root, strconv.Itoa(pid), "ns/net")
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("process %d, through which namespace %d was to be read: %w", pid, netns, err)
	}
	if st.Ino != netns {
		return fmt.Errorf("process %d left network namespace %d (it exited, and its PID was reused?): its /proc/%d/net would show namespace %d", pid, netns, pid, st.Ino)
	}
	return nil
}

// liveNetNS finds namespaces through procRoot/*/ns/net and /run/netns.
type liveNetNS struct {
	proc string
	run  string // where `ip netns` names namespaces; "" is RunNetNS
}

// RunNetNS is where `ip netns` keeps the namespaces it names.
const RunNetNS = "/run/netns"

func (l *liveNetNS) runDir() string {
	if l.run == "" {
		return RunNetNS
	}
	return l.run
}

func (l *liveNetNS) Self() (uint64, error) {
	return nsInode(filepath.Join(l.proc, "thread-self/ns/net"))
}

// nsfsDev is the device of the namespace file system, on which every
// namespace file lives: a file in /run/netns on any other device is not a
// namespace (yet, or any more: `ip netns add` creates the file, then
// mounts the namespace over it).
func (l *liveNetNS) nsfsDev() (uint64, bool) {
	var st unix.Stat_t
	if unix.Stat(filepath.Join(l.proc, "thread-self/ns/net"), &st) != nil {
		return 0, false
	}
	return st.Dev, true
}

func (l *liveNetNS) Named() map[uint64]string {
	names := map[uint64]string{}
	entries, err := os.ReadDir(l.runDir())
	if err != nil {
		return names
	}
	dev, devOK := l.nsfsDev()
	for _, e := range entries {
		var st unix.Stat_t
		if unix.Stat(filepath.Join(l.runDir(), e.Name()), &st) != nil {
			continue // removed meanwhile
		}
		if devOK && st.Dev != dev {
			continue // not a namespace: being added or deleted
		}
		names[st.Ino] = e.Name()
	}
	return names
}

// ByProcess reads the target of every procRoot/PID/ns/net ("net:[INO]"):
// one readlink per process.
func (l *liveNetNS) ByProcess() (map[uint64][]int, int, error) {
	ents, err := os.ReadDir(l.proc)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", l.proc, err)
	}
	byNS := map[uint64][]int{}
	denied := 0
	buf := make([]byte, 64)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		n, err := unix.Readlink(filepath.Join(l.proc, e.Name(), "ns/net"), buf)
		if err != nil {
			if (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) && !l.exiting(e.Name()) {
				denied++
			}
			continue // most often: the process exited
		}
		if ino, ok := ParseNetNSLink(buf[:n]); ok {
			byNS[ino] = append(byNS[ino], pid)
		}
	}
	return byNS, denied, nil
}

// exiting reports whether process pid (a /proc entry name) is gone or on
// its way out: a process that is exiting refuses even root its namespace
// links for a moment (seen here under churn), which is no namespace
// withheld from the run.
func (l *liveNetNS) exiting(pid string) bool {
	b, err := os.ReadFile(filepath.Join(l.proc, pid, "stat"))
	return err != nil || exitingStat(b)
}

// pfExiting is the kernel's PF_EXITING task flag, in /proc/PID/stat's
// field 9 (flags).
const pfExiting = 0x4

// exitingStat reports whether the /proc/PID/stat content b is a process
// that is exiting (PF_EXITING) or has exited (state Z or X). The fields
// after the command name, which ends at the last ')', are numbered as in
// proc(5): 3 state, ..., 9 flags.
func exitingStat(b []byte) bool {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return false
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 7 {
		return false
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return true
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfExiting != 0
}

func (l *liveNetNS) Open(ref NetNSRef) (int, error) {
	path := filepath.Join(l.runDir(), ref.Name)
	if ref.PID > 0 {
		path = filepath.Join(l.proc, strconv.Itoa(ref.PID), "ns/net")
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Entering a file that is not a namespace fails with EINVAL: a name
	// that was being removed is gone, not a namespace that refused us.
	var st unix.Stat_t
	if dev, ok := l.nsfsDev(); ok && unix.Fstat(fd, &st) == nil && st.Dev != dev {
		unix.Close(fd)
		return -1, &os.PathError{Op: "open", Path: path, Err: unix.ENOENT}
	}
	return fd, nil
}

func (l *liveNetNS) Close(fd int) { unix.Close(fd) }

// nsInode returns the inode of a namespace file.
func nsInode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}
