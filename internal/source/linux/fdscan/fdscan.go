// Package fdscan finds the processes that hold sockets on Linux, by one pass
// over the descriptor tables in /proc/PID/fd.
//
// The collector first lists sockets (sock_diag or /proc/net), which gives
// each socket's inode; it then asks a Scanner for the holders of exactly
// those inodes:
//
//	s := &fdscan.Scanner{ProcRoot: "/proc"}
//	res, err := s.Scan(wanted) // wanted: set of socket inodes
//	for i := range sockets {
//		sockets[i].Owners = res.Owners[sockets[i].Inode]
//		sockets[i].OwnerState = res.State(sockets[i].Inode)
//	}
//	snap.Gaps = append(snap.Gaps, res.Gaps...)
//
// A socket whose state is not complete gets its reason from
// procpriv.Info.Reason, which knows the privileges and the hidepid= option
// of the run. Result.Unreadable names the processes whose tables were
// closed to this run, and HiddenUIDs counts them by uid, so that a socket of
// unknown owner can be matched with its own uid. State cannot know about
// processes hidden from the listing itself (hidepid=invisible): check
// procpriv.Info.ProcessesHidden for sockets of other users.
//
// Every owner is identified by (PID, start time). A process seen holding a
// wanted socket (most processes hold none, and nothing more of them is
// read) has its directory /proc/PID opened once, its matching descriptors
// read a second time, and its details and then its start time read through
// that directory. procfs binds an open /proc/PID to the process it was
// opened on, so the reads cannot wander to a new process that reused the
// PID; a process that exited, or whose descriptor moved, during the scan
// is dropped and counted (Vanished, Changed) rather than named.
//
// Owner details (command line, executable, effective uid) are read only for
// processes that hold a wanted socket. They are deliberately read by hand
// rather than with github.com/prometheus/procfs: procfs opens files by path,
// which would lose the binding to the /proc/PID directory descriptor, and it
// parses every field of stat and status where one or two are needed.
package fdscan

import (
	"cmp"
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/openports/openports/internal/snapshot"
)

// Reasons a process's descriptor table could not be read (Unreadable.Reason).
const (
	// ReasonPermission: the run may not read the process's /proc entries
	// (another user's process without CAP_SYS_PTRACE and
	// CAP_DAC_READ_SEARCH, or hidepid=noaccess).
	ReasonPermission = "permission"
	// ReasonVanished: the process exited (or its PID was reused) before
	// its table could be read. It holds nothing any more, so it does not
	// make the owner lists incomplete.
	ReasonVanished = "vanished"
	// ReasonError: any other failure; Err says which.
	ReasonError = "error"
)

// Scanner finds the holders of sockets. The zero value scans /proc with one
// worker per usable CPU. A Scanner may be reused, and Scan may be called
// from several goroutines; the user-name cache is shared between scans.
type Scanner struct {
	// ProcRoot is where procfs is mounted; "/proc" when empty. Tests point
	// it at a directory laid out like /proc.
	ProcRoot string
	// Workers is how many goroutines read descriptor tables: 0 means
	// runtime.GOMAXPROCS(0), 1 means the calling goroutine alone.
	Workers int
	// LookupUser names a user id. Nil means os/user.LookupId. Names are
	// cached per uid for the life of the Scanner.
	LookupUser func(uid uint32) (string, error)

	mu    sync.Mutex
	users map[uint32]userEntry

	hooks hooks
}

type userEntry struct {
	name string
	err  error
}

// hooks let tests change the tree between the reads of one process, to
// reproduce races deterministically. All are nil outside tests.
type hooks struct {
	// beforeFDs runs before the fd directory is opened.
	beforeFDs func(pid int)
	// openFDs, when it returns an error, replaces opening the fd
	// directory (e.g. to inject EACCES while running as root).
	openFDs func(pid int) error
	// afterFDs runs after the descriptor tables were read (in Scan,
	// before /proc/PID is opened), before the matches are verified,
	// only for processes with matches.
	afterFDs func(pid int)
}

// Result is what one Scan found.
type Result struct {
	// Owners maps a wanted socket inode to every process seen holding it,
	// sorted by PID, each with the descriptors through which it holds
	// that socket (ascending). Inodes nobody was seen holding are absent.
	Owners map[uint64][]snapshot.Owner
	// Unreadable lists the processes whose descriptor tables could not be
	// read, sorted by PID.
	Unreadable []Unreadable
	// Vanished counts holders found and then dropped because the process
	// exited or its PID was reused during the scan.
	Vanished int
	// Changed counts (process, socket) holdings found and then dropped
	// because every matching descriptor pointed elsewhere on the second
	// read (the socket was closed or the descriptor reused).
	Changed int
	// Processes counts the processes listed in ProcRoot.
	Processes int
	// NetNS maps a network namespace inode to the PIDs in it
	// (ascending). The /proc scan leaves it nil; the eBPF iterator
	// (package bpfowners) fills it, as it sees every task's namespace
	// for free.
	NetNS map[uint64][]int
	// Gaps say what the scan could not see, ready for snapshot.Gaps.
	Gaps []snapshot.Gap
}

// Unreadable is a process whose descriptor table could not be read.
type Unreadable struct {
	// PID is the process id.
	PID int
	// UID is the owner of /proc/PID (the process's effective uid, or root
	// for a non-dumpable process), which stat gives without access; nil
	// when even that failed.
	UID *uint32
	// Name and StartTime are the process's command name and start time
	// (from stat, which stays readable when the table is not); zero when
	// even that failed.
	Name      string
	StartTime uint64
	// Reason is ReasonPermission, ReasonVanished or ReasonError.
	Reason string
	// Err is the error that made the table unreadable.
	Err error
}

// Hidden reports whether u may hide sockets from the scan: the process is
// still there but could not be read.
func (u Unreadable) Hidden() bool { return u.Reason != ReasonVanished }

// Complete reports whether every process present during the scan was
// read. It cannot see processes hidden from the listing itself
// (hidepid=invisible); procpriv.Info tells that.
func (r *Result) Complete() bool {
	for _, u := range r.Unreadable {
		if u.Hidden() {
			return false
		}
	}
	return true
}

// State returns the OwnerState of the socket with the given inode:
// complete or none when every process could be read, partial or unknown
// when some could not.
func (r *Result) State(inode uint64) snapshot.OwnerState {
	found := len(r.Owners[inode]) > 0
	switch complete := r.Complete(); {
	case found && complete:
		return snapshot.OwnersComplete
	case found:
		return snapshot.OwnersPartial
	case complete:
		return snapshot.OwnersNone
	default:
		return snapshot.OwnersUnknown
	}
}

// HiddenUIDs counts the unreadable processes that still exist, by the uid
// that owns them, so that a socket of unknown owner can be explained by its
// own uid.
func (r *Result) HiddenUIDs() map[uint32]int {
	m := make(map[uint32]int)
	for _, u := range r.Unreadable {
		if u.Hidden() && u.UID != nil {
			m[*u.UID]++
		}
	}
	return m
}

// holding is one process that holds one or more wanted sockets, as a worker
// found and verified it.
type holding struct {
	owner snapshot.Owner // FDs unset
	uid   *uint32
	hits  []hit // sorted by inode, then fd
}

// hit is one descriptor that pointed at a wanted socket, in the
// descriptor table worker.tables[table] of its process.
type hit struct {
	inode uint64
	fd    int
	table int
}

// workerOut is what one worker found; outputs are merged after all
// workers finished, so they need no locking.
type workerOut struct {
	holdings   []holding
	unreadable []Unreadable
	vanished   int
	changed    int
	details    []error // owner details that could not be read
	truncated  int     // command lines cut at maxFile
}

// maxFile caps a read of cmdline or status.
const maxFile = 1 << 20

// merge combines the outputs of the workers into a Result.
func (s *Scanner) merge(outs []*workerOut, processes int) *Result {
	r := &Result{Owners: make(map[uint64][]snapshot.Owner), Processes: processes}
	var details []error
	truncated := 0
	for _, o := range outs {
		r.Unreadable = append(r.Unreadable, o.unreadable...)
		r.Vanished += o.vanished
		r.Changed += o.changed
		details = append(details, o.details...)
		truncated += o.truncated
		for _, h := range o.holdings {
			if h.uid != nil {
				h.owner.UID = snapshot.Uint32(*h.uid)
				h.owner.User = s.userName(*h.uid, &details)
			}
			for i := 0; i < len(h.hits); {
				j := i
				var fds []int
				for ; j < len(h.hits) && h.hits[j].inode == h.hits[i].inode; j++ {
					// Two tables (a thread's own) may hold
					// the socket under one number.
					if len(fds) == 0 || fds[len(fds)-1] != h.hits[j].fd {
						fds = append(fds, h.hits[j].fd)
					}
				}
				ow := h.owner
				ow.Cmdline = slices.Clone(h.owner.Cmdline)
				ow.FDs = fds
				r.Owners[h.hits[i].inode] = append(r.Owners[h.hits[i].inode], ow)
				i = j
			}
		}
	}
	for _, owners := range r.Owners {
		slices.SortFunc(owners, func(a, b snapshot.Owner) int {
			return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime))
		})
	}
	slices.SortFunc(r.Unreadable, func(a, b Unreadable) int { return cmp.Compare(a.PID, b.PID) })
	r.Gaps = gaps(r, details, truncated)
	return r
}

// gaps turns what the scan missed into snapshot gaps.
func gaps(r *Result, details []error, truncated int) []snapshot.Gap {
	var out []snapshot.Gap
	count := map[string][]Unreadable{}
	for _, u := range r.Unreadable {
		count[u.Reason] = append(count[u.Reason], u)
	}
	if us := count[ReasonPermission]; len(us) > 0 {
		procs, uids := processList(us), uidList(us)
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "permission",
			Detail: fmt.Sprintf("could not read the descriptor tables of %s (%s): sockets of %s have unknown or partial owners", procs, uids, uids),
			Count:  len(us),
			Args:   map[string]string{"count": strconv.Itoa(len(us)), "processes": procs, "uids": uids},
		})
	}
	if us := count[ReasonError]; len(us) > 0 {
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "read-error",
			Args:   map[string]string{"processes": strconv.Itoa(len(us)), "pid": strconv.Itoa(us[0].PID), "error": fmt.Sprint(us[0].Err)},
			Detail: fmt.Sprintf("reading the descriptor tables of %d processes failed, first: pid %d: %v", len(us), us[0].PID, us[0].Err),
			Count:  len(us),
		})
	}
	if us := count[ReasonVanished]; len(us) > 0 {
		out = append(out, snapshot.Gap{
			Area:   "processes",
			Reason: "vanished",
			Args:   map[string]string{"processes": strconv.Itoa(len(us))},
			Detail: fmt.Sprintf("%d processes exited before their descriptor tables could be read", len(us)),
			Count:  len(us),
		})
	}
	if r.Vanished > 0 {
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "vanished",
			Args:   map[string]string{"processes": strconv.Itoa(r.Vanished)},
			Detail: fmt.Sprintf("%d processes held a listed socket but exited or were replaced during the scan; they are not named", r.Vanished),
			Count:  r.Vanished,
		})
	}
	if r.Changed > 0 {
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "changed",
			Args:   map[string]string{"holdings": strconv.Itoa(r.Changed)},
			Detail: fmt.Sprintf("%d holdings of a listed socket were closed or replaced during the scan; they are not named", r.Changed),
			Count:  r.Changed,
		})
	}
	if len(details) > 0 {
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "details",
			Args:   map[string]string{"details": strconv.Itoa(len(details)), "first": details[0].Error()},
			Detail: fmt.Sprintf("%d owner details (command line, executable, user) could not be read, first: %v", len(details), details[0]),
			Count:  len(details),
		})
	}
	if truncated > 0 {
		out = append(out, snapshot.Gap{
			Area:   "owners",
			Reason: "truncated",
			Args:   map[string]string{"files": strconv.Itoa(truncated), "limit": strconv.Itoa(maxFile)},
			Detail: fmt.Sprintf("%d command lines or status files were longer than %d bytes and were cut", truncated, maxFile),
			Count:  truncated,
		})
	}
	return out
}

// maxNamed is how many unreadable processes a gap names.
const maxNamed = 5

// processList names the first processes of us, e.g. "pid 1 process_api,
// pid 812 sshd and 3 more".
func processList(us []Unreadable) string {
	parts := make([]string, 0, min(len(us), maxNamed))
	for _, u := range us[:min(len(us), maxNamed)] {
		p := "pid " + strconv.Itoa(u.PID)
		if u.Name != "" {
			p += " " + u.Name
		}
		parts = append(parts, p)
	}
	list := strings.Join(parts, ", ")
	if len(us) > maxNamed {
		list += fmt.Sprintf(" and %d more", len(us)-maxNamed)
	}
	return list
}

// uidList names the distinct uids of us, e.g. "uids 0, 101".
func uidList(us []Unreadable) string {
	var uids []uint32
	unknown := false
	for _, u := range us {
		if u.UID == nil {
			unknown = true
			continue
		}
		uids = append(uids, *u.UID)
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	parts := make([]string, 0, len(uids)+1)
	for _, u := range uids {
		parts = append(parts, strconv.FormatUint(uint64(u), 10))
	}
	if unknown {
		parts = append(parts, "unknown")
	}
	if len(parts) == 1 {
		return "uid " + parts[0]
	}
	return "uids " + strings.Join(parts, ", ")
}

// userName returns the cached name of uid; a failed lookup other than an
// unknown user is appended to errs once per uid.
func (s *Scanner) userName(uid uint32, errs *[]error) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.users[uid]; ok {
		return e.name
	}
	lookup := s.LookupUser
	if lookup == nil {
		lookup = lookupUser
	}
	name, err := lookup(uid)
	if err != nil {
		name = ""
		if errors.As(err, new(user.UnknownUserIdError)) {
			err = nil
		} else {
			err = fmt.Errorf("look up uid %d: %w", uid, err)
			*errs = append(*errs, err)
		}
	}
	if s.users == nil {
		s.users = make(map[uint32]userEntry)
	}
	s.users[uid] = userEntry{name: name, err: err}
	return name
}

// lookupUser names uid with os/user.
func lookupUser(uid uint32) (string, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// procRoot returns ProcRoot or its default.
func (s *Scanner) procRoot() string {
	if s.ProcRoot == "" {
		return "/proc"
	}
	return s.ProcRoot
}
