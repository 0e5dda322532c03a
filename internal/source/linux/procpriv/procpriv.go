// Package procpriv tells what a Linux run of openports can see of other
// processes: its effective user id and capabilities, the hidepid= and
// subset= options of the procfs mount, and whether it runs in a user
// namespace other than the initial one. The owner scan (fdscan) reports
// which processes it could not read; Info turns that into a reason a person
// can act on, e.g. "run as root".
//
// Reading another user's /proc/PID/fd takes two checks in the kernel: the
// directory's permission bits (passed with CAP_DAC_READ_SEARCH or
// CAP_DAC_OVERRIDE) and a ptrace access check (passed with CAP_SYS_PTRACE in
// the target's user namespace). hidepid= can hide or lock other users'
// /proc/PID entirely for those without CAP_SYS_PTRACE.
//
// The parsers take an io.Reader and are portable; Detect reads the files of
// the running Linux system, DetectFS those of any tree (fixtures in tests).
package procpriv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/kernfile"
)

// Cap is a Linux capability number (see capabilities(7)).
type Cap uint

// The capabilities that decide what openports can see.
const (
	CapDACOverride   Cap = 1  // bypasses file permission checks
	CapDACReadSearch Cap = 2  // bypasses read and search permission checks
	CapNetAdmin      Cap = 12 // network administration (e.g. some sock_diag details)
	CapSysPtrace     Cap = 19 // passes the ptrace access check of /proc/PID/fd
	CapSysAdmin      Cap = 21 // setns into other namespaces, among much else
)

// relevant lists the capabilities Info reports, in numeric order.
var relevant = []Cap{CapDACOverride, CapDACReadSearch, CapNetAdmin, CapSysPtrace, CapSysAdmin}

// String returns the capability's name, e.g. "CAP_SYS_PTRACE".
func (c Cap) String() string {
	switch c {
	case CapDACOverride:
		return "CAP_DAC_OVERRIDE"
	case CapDACReadSearch:
		return "CAP_DAC_READ_SEARCH"
	case CapNetAdmin:
		return "CAP_NET_ADMIN"
	case CapSysPtrace:
		return "CAP_SYS_PTRACE"
	case CapSysAdmin:
		return "CAP_SYS_ADMIN"
	default:
		return "CAP_" + strconv.FormatUint(uint64(c), 10)
	}
}

// Values of Info.HidePID, as kernels since 5.8 print them. Older kernels
// print 0, 1 and 2, which Detect maps onto these.
const (
	HidePIDOff        = ""           // every process visible and readable (permissions allowing)
	HidePIDNoAccess   = "noaccess"   // hidepid=1: others' /proc/PID visible but closed
	HidePIDInvisible  = "invisible"  // hidepid=2: others' /proc/PID not listed
	HidePIDPtraceable = "ptraceable" // hidepid=4: only ptraceable processes listed
)

// Info is what a run can see.
type Info struct {
	// EUID is the effective user id (the second field of the Uid: line of
	// /proc/self/status), or -1 when it could not be read.
	EUID int
	// CapEff is the effective capability set, one bit per Cap.
	CapEff uint64
	// ProcMount is true when the mount of the proc root was found in
	// mountinfo; HidePID, HidePIDGID and Subset are meaningful only then.
	ProcMount bool
	// HidePID is the mount's hidepid= option, one of the HidePID values.
	HidePID string
	// HidePIDGID is the mount's gid= option: members of that group are
	// exempt from hidepid. Empty when absent.
	HidePIDGID string
	// Subset is the mount's subset= option ("pid": only process
	// directories, no /proc/net), empty when absent.
	Subset string
	// UserNS is true when the run is in a user namespace other than the
	// initial one: its capabilities do not reach processes outside it.
	UserNS bool
	// PIDNS is true when the proc mount shows a PID namespace other than
	// the initial one (a container sharing the host's network, `unshare
	// -p -f --mount-proc`): processes outside it are not in /proc at all,
	// so no socket can be said to be held by no process.
	PIDNS bool
}

// Has reports whether c is in the effective set.
func (i Info) Has(c Cap) bool { return c < 64 && i.CapEff&(1<<c) != 0 }

// Caps names the relevant effective capabilities, e.g.
// ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"].
func (i Info) Caps() []string {
	var out []string
	for _, c := range relevant {
		if i.Has(c) {
			out = append(out, c.String())
		}
	}
	return out
}

// missing lists the capabilities needed to read other users' descriptor
// tables that the run lacks.
func (i Info) missing() []string {
	var out []string
	if !i.Has(CapSysPtrace) {
		out = append(out, CapSysPtrace.String())
	}
	if !i.Has(CapDACReadSearch) && !i.Has(CapDACOverride) {
		out = append(out, CapDACReadSearch.String())
	}
	return out
}

// CanReadAll reports whether the run should be able to read every
// process's descriptor table: it has the capabilities in the initial user
// namespace. (A security module may still refuse some.)
func (i Info) CanReadAll() bool { return len(i.missing()) == 0 && !i.UserNS }

// ProcessesHidden reports whether the proc mount hides other users'
// processes from the listing itself, so that a scan cannot even count what
// it missed: a socket of another user with no owner found may have one.
func (i Info) ProcessesHidden() bool {
	return (i.HidePID == HidePIDInvisible || i.HidePID == HidePIDPtraceable) && !i.Has(CapSysPtrace)
}

// Snapshot returns the record of the run's rights for snapshot.Privilege.
func (i Info) Snapshot() snapshot.Privilege {
	return snapshot.Privilege{EUID: i.EUID, Capabilities: i.Caps(), HidePID: i.HidePID, UserNamespace: i.UserNS, PIDNamespace: i.PIDNS}
}

// Stable codes returned by ReasonCode, for snapshot.Gap.Reason.
const (
	CodeHidePID       = "hidepid"        // the proc mount hides or locks processes
	CodeNoCapability  = "no-capability"  // CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH missing
	CodeUserNamespace = "user-namespace" // capabilities limited to a user namespace
	CodeRefused       = "refused"        // refused despite the capabilities
	CodePIDNamespace  = "pid-namespace"  // /proc shows a PID namespace other than the host's
)

// why returns the code and the explanation of unseen owners.
func (i Info) why() (code, text string) {
	switch {
	case i.PIDNS:
		return CodePIDNamespace, "owners outside this PID namespace are invisible: /proc lists only its processes (run in the host's PID namespace)"
	case i.HidePID != HidePIDOff && !i.Has(CapSysPtrace):
		what := "other users' processes are hidden"
		if i.HidePID == HidePIDNoAccess {
			what = "other users' /proc/PID directories cannot be read"
		} else if i.HidePID == HidePIDPtraceable {
			what = "processes this run may not trace are hidden"
		}
		return CodeHidePID, fmt.Sprintf("/proc is mounted with hidepid=%s: %s (run as root)", i.HidePID, what)
	case len(i.missing()) > 0:
		return CodeNoCapability, fmt.Sprintf("reading other users' /proc/PID/fd needs %s (run as root)", strings.Join(i.missing(), " and "))
	case i.UserNS:
		return CodeUserNamespace, "this run is in a user namespace, whose capabilities do not reach processes outside it (run in the initial namespace)"
	default:
		return CodeRefused, fmt.Sprintf("some descriptor tables were refused even with %s and %s (a security module or a protected process)", CapSysPtrace, CapDACReadSearch)
	}
}

// ReasonCode is the stable code of why owners may be unseen: one of the
// Code constants.
func (i Info) ReasonCode() string { code, _ := i.why(); return code }

// Advice explains, without naming a socket, why owners may be unseen and
// what to do, e.g. "reading other users' /proc/PID/fd needs CAP_SYS_PTRACE
// and CAP_DAC_READ_SEARCH (run as root)".
func (i Info) Advice() string { _, text := i.why(); return text }

// Reason explains why the owner of a socket created by uid (nil when
// unknown), whose user name is user ("" when unknown), may not have been
// seen, e.g. "socket owned by uid 0 (root); reading other users'
// /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (run as root)".
func (i Info) Reason(uid *uint32, user string) string {
	who := "of unknown uid"
	if uid != nil {
		who = "owned by uid " + strconv.FormatUint(uint64(*uid), 10)
		if user != "" {
			who += " (" + user + ")"
		}
	}
	return "socket " + who + "; " + i.Advice()
}

// Detect reads what the running process can see: procRoot/self/status,
// procRoot/self/mountinfo (for the mount at procRoot) and
// procRoot/self/uid_map. On error the Info holds what could be read.
func Detect(procRoot string) (Info, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	mp, err := filepath.Abs(procRoot)
	if err != nil {
		return Info{}, fmt.Errorf("resolve %s: %w", procRoot, err)
	}
	if real, err := filepath.EvalSymlinks(mp); err == nil {
		mp = real
	}
	return DetectFS(kernfile.FS(procRoot), mp)
}

// DetectFS is Detect over a tree laid out like /proc (holding
// self/status, self/mountinfo and self/uid_map), looking for the proc mount
// at mountPoint.
func DetectFS(fsys fs.FS, mountPoint string) (Info, error) {
	info := Info{EUID: -1}
	var errs []error

	if b, err := fs.ReadFile(fsys, "self/status"); err != nil {
		errs = append(errs, fmt.Errorf("read self/status: %w", err))
	} else if st, err := ParseStatus(bytes.NewReader(b)); err != nil {
		errs = append(errs, fmt.Errorf("parse self/status: %w", err))
	} else {
		info.EUID, info.CapEff = st.EUID, st.CapEff
		info.PIDNS = pidNamespaceHidden(fsys, st.NSpidLevels)
	}

	if b, err := fs.ReadFile(fsys, "self/mountinfo"); err != nil {
		errs = append(errs, fmt.Errorf("read self/mountinfo: %w", err))
	} else if mounts, err := ParseMountinfo(bytes.NewReader(b)); err != nil {
		errs = append(errs, fmt.Errorf("parse self/mountinfo: %w", err))
	} else if m, ok := FindMount(mounts, mountPoint); ok {
		info.ProcMount = true
		info.HidePID = normalizeHidePID(m.SuperOption("hidepid"))
		info.HidePIDGID = m.SuperOption("gid")
		info.Subset = m.SuperOption("subset")
	}

	switch b, err := fs.ReadFile(fsys, "self/uid_map"); {
	case errors.Is(err, fs.ErrNotExist):
		// A kernel without user namespaces: only the initial one.
	case err != nil:
		errs = append(errs, fmt.Errorf("read self/uid_map: %w", err))
	default:
		info.UserNS = !IsInitialUIDMap(b)
	}
	return info, errors.Join(errs...)
}

// normalizeHidePID maps the numeric forms of older kernels onto names.
func normalizeHidePID(v string) string {
	switch v {
	case "", "0", "off":
		return HidePIDOff
	case "1":
		return HidePIDNoAccess
	case "2":
		return HidePIDInvisible
	case "4":
		return HidePIDPtraceable
	default:
		return v
	}
}

// Status is what Info needs from /proc/self/status.
type Status struct {
	// EUID is the effective user id.
	EUID int
	// CapEff is the effective capability set.
	CapEff uint64
	// NSpidLevels is the number of PIDs on the NSpid: line, one per PID
	// namespace from the proc mount's down to the process's own; 0 when
	// the kernel does not print the line (before 4.1).
	NSpidLevels int
}

// ParseStatus reads the Uid: and CapEff: lines of a /proc/PID/status file.
func ParseStatus(r io.Reader) (Status, error) {
	var st Status
	var haveUID, haveCap bool
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Uid":
			f := strings.Fields(val)
			if len(f) != 4 {
				return st, fmt.Errorf("line %d: Uid has %d fields, want 4", n, len(f))
			}
			v, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return st, fmt.Errorf("line %d: effective uid: %w", n, err)
			}
			st.EUID, haveUID = int(v), true
		case "CapEff":
			v, err := strconv.ParseUint(val, 16, 64)
			if err != nil {
				return st, fmt.Errorf("line %d: CapEff: %w", n, err)
			}
			st.CapEff, haveCap = v, true
		case "NSpid":
			st.NSpidLevels = len(strings.Fields(val))
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("read status: %w", err)
	}
	if !haveUID || !haveCap {
		return st, fmt.Errorf("status lacks Uid (%v) or CapEff (%v)", haveUID, haveCap)
	}
	return st, nil
}

// InitPIDNamespaceInode is the inode of the initial PID namespace's
// /proc/PID/ns/pid (PROC_PID_INIT_INO): fixed by the kernel since 3.8.
const InitPIDNamespaceInode = 0xEFFFFFFC

// pidNamespaceHidden reports whether the proc mount in fsys shows a PID
// namespace other than the initial one. The run's own namespace is
// self/ns/pid; the proc mount's is that one when NSpid has one level (the
// usual --mount-proc), else an ancestor, which is the initial one only when
// PID 1 of the mount is in it. What cannot be told is taken as hidden.
func pidNamespaceHidden(fsys fs.FS, nspidLevels int) bool {
	self, ok := nsInode(fsys, "self/ns/pid")
	if !ok {
		return false // no namespaces (or a fixture without them)
	}
	if self == InitPIDNamespaceInode {
		return false
	}
	if nspidLevels > 1 {
		if one, ok := nsInode(fsys, "1/ns/pid"); ok && one == InitPIDNamespaceInode {
			return false // the host's /proc, seen from a child namespace
		}
	}
	return true
}

// IsInitialUIDMap reports whether b, the contents of /proc/PID/uid_map,
// maps the whole uid range onto itself ("0 0 4294967295"), which only the
// initial user namespace does.
func IsInitialUIDMap(b []byte) bool {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 {
		return false
	}
	f := strings.Fields(lines[0])
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}

// Mount is one line of /proc/PID/mountinfo.
type Mount struct {
	// MountPoint is the mount point, unescaped.
	MountPoint string
	// FSType is the file system type, e.g. "proc".
	FSType string
	// Source is the mount source, unescaped.
	Source string
	// SuperOptions are the per-superblock options, e.g. "rw,hidepid=invisible".
	SuperOptions string
}

// SuperOption returns the value of option key= in SuperOptions ("" when
// absent or without a value).
func (m Mount) SuperOption(key string) string {
	for opt := range strings.SplitSeq(m.SuperOptions, ",") {
		if k, v, ok := strings.Cut(opt, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// ParseMountinfo reads /proc/PID/mountinfo (proc(5)): ID, parent ID,
// major:minor, root, mount point, options, optional fields ending with
// "-", then type, source and super options.
func ParseMountinfo(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 10 || sep < 0 || len(f) < sep+4 {
			return nil, fmt.Errorf("line %d: want at least 6 fields, \"-\", type, source and options: %q", n, line)
		}
		out = append(out, Mount{
			MountPoint:   unescape(f[4]),
			FSType:       f[sep+1],
			Source:       unescape(f[sep+2]),
			SuperOptions: f[sep+3],
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

// unescape undoes the kernel's octal escapes (\040 for space, \011, \012,
// \134) in a mountinfo field; anything else is kept as it is.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// FindMount returns the proc mount at mountPoint. When several mounts are
// stacked there, the last one listed is the one visible.
func FindMount(mounts []Mount, mountPoint string) (Mount, bool) {
	mountPoint = path.Clean(mountPoint)
	var found Mount
	ok := false
	for _, m := range mounts {
		if m.FSType == "proc" && path.Clean(m.MountPoint) == mountPoint {
			found, ok = m, true
		} else if ok && path.Clean(m.MountPoint) == mountPoint {
			// Something else mounted over the proc mount.
			ok = false
		}
	}
	return found, ok
}
