package fdscan

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// Scan reads the descriptor table of every process under ProcRoot once and
// returns the verified holders of the sockets whose inodes are in wanted.
// It fails only when ProcRoot itself cannot be listed; whatever else goes
// wrong is reported in the Result (Unreadable, Vanished, Changed, Gaps).
func (s *Scanner) Scan(wanted map[uint64]struct{}) (*Result, error) {
	// Nothing seen elsewhere: every process is scanned.
	return s.VerifyAndScanUnseen(nil, nil, wanted)
}

// inWorkers runs do on every item, on up to workers goroutines (0:
// GOMAXPROCS), each with its own worker from newWorker(i) taking chunks of
// chunk items at a time, and returns the workers' outputs.
func inWorkers[T any](workers, chunk int, items []T, newWorker func(i int) *worker, do func(*worker, T)) []*workerOut {
	n := workerCount(workers)
	n = max(1, min(n, (len(items)+chunk-1)/chunk))
	outs := make([]*workerOut, n)
	var next atomic.Int64
	run := func(i int) {
		w := newWorker(i)
		for {
			end := int(next.Add(int64(chunk)))
			start := end - chunk
			if start >= len(items) {
				break
			}
			for _, item := range items[start:min(end, len(items))] {
				do(w, item)
			}
		}
		outs[i] = &w.out
	}
	if n == 1 {
		run(0)
		return outs
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { run(i) })
	}
	wg.Wait()
	return outs
}

// workerCount is how many goroutines Workers asks for (0: GOMAXPROCS).
func workerCount(workers int) int {
	if workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return workers
}

// effectiveUID is the effective uid of the process whose /proc/PID is
// dirFD. On procfs that directory is owned by it even when the process is
// not dumpable (the kernel makes its other files root's, not the
// directory): one fstat, where status is the costliest file of /proc/PID
// to generate. Anywhere else (a fake tree in tests) it is read from
// status. A process gone by the fstat gives root's uid, not an error, where
// status failed: verify reads the identity last, which then fails and
// drops the holding, as before.
func (w *worker) effectiveUID(dirFD int) (uint32, error) {
	if w.procfs {
		var st unix.Stat_t
		if err := unix.Fstat(dirFD, &st); err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		return st.Uid, nil
	}
	b, _, err := w.readFile(dirFD, nameStatus)
	if err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	uid, err := parseStatusEUID(b)
	if err != nil {
		return 0, fmt.Errorf("parse status: %w", err)
	}
	return uid, nil
}

// isProcfs tells whether fd is a directory of a procfs mount.
func isProcfs(fd int) bool {
	var st unix.Statfs_t
	return unix.Fstatfs(fd, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}

// direntBuf is the size of a getdents64 buffer: about 1,300 descriptor
// entries per system call.
const direntBuf = 32 << 10

// appendPIDs appends to pids the numeric entries of the directory dirFD:
// the thread-group leaders of /proc (threads are not listed there), or the
// threads of /proc/PID/task.
func appendPIDs(pids []int, dirFD int, buf []byte) ([]int, error) {
	if _, err := unix.Seek(dirFD, 0, 0); err != nil {
		return nil, fmt.Errorf("rewind: %w", err)
	}
	for range maxDirentCalls {
		n, err := getdents(dirFD, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return pids, nil
		}
		b := buf[:n]
		for len(b) > 0 {
			name, _, rest, err := nextDirent(b)
			if err != nil {
				return nil, err
			}
			b = rest
			if pid, ok := parsePID(name); ok {
				pids = append(pids, pid)
			}
		}
	}
	return nil, fmt.Errorf("more than %d getdents64 calls", maxDirentCalls)
}

// maxDirentCalls bounds the reading of one directory (4M processes or
// descriptors at the least).
const maxDirentCalls = 1 << 17

// worker scans processes with its own buffers.
type worker struct {
	s       *Scanner
	procFD  int
	wanted  map[uint64]struct{}
	dents   []byte // getdents64 buffer
	link    []byte // readlink buffer; socket links are short
	file    []byte // stat, status, cmdline
	pidName []byte // "PID\x00" of the current process
	fdPath  []byte // "PID/fd\x00"
	hits    []hit  // matches of the current process
	kept    []hit  // those that survived the second read
	// tables are the open descriptor directories of the current process:
	// [0] its own /proc/PID/fd, then /proc/PID/task/TID/fd of each thread
	// with a table of its own (tableTIDs[i]; tableTIDs[0] is the PID).
	tables    []int
	tableTIDs []int
	tids      []int // thread ids of the current process
	// kernelSeen: the hits come from a mechanism that read the tables in
	// the kernel (VerifyAndScanUnseen). Where /proc refuses the second
	// read, they are kept as seen (the process's identity is still
	// checked).
	kernelSeen bool
	// procfs: procFD is a real procfs (effectiveUID).
	procfs bool
	out    workerOut
}

func (s *Scanner) newWorker(procFD int, wanted map[uint64]struct{}, dents []byte) *worker {
	if dents == nil {
		dents = make([]byte, direntBuf)
	}
	return &worker{
		s:      s,
		procFD: procFD,
		procfs: isProcfs(procFD),
		wanted: wanted,
		dents:  dents,
		// "socket:[" + 20 digits + "]" is 29 bytes; a link that fills
		// the buffer was cut and is no socket.
		link:    make([]byte, 64),
		file:    make([]byte, 4096),
		pidName: make([]byte, 0, 16),
	}
}

// classify maps an error of a read under /proc/PID to an Unreadable reason.
func classify(err error) string {
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return ReasonPermission
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		return ReasonVanished
	default:
		return ReasonError
	}
}

// vanished reports whether err means the process is gone.
func vanished(err error) bool { return classify(err) == ReasonVanished }

// unreadable records pid as unreadable. dirFD is its /proc/PID directory,
// or -1 when that could not be opened.
func (w *worker) unreadable(pid, dirFD int, err error) {
	u := Unreadable{PID: pid, Reason: classify(err), Err: err}
	var st unix.Stat_t
	var serr error
	if dirFD >= 0 {
		serr = unix.Fstat(dirFD, &st)
	} else {
		name := bytes.TrimSuffix(w.pidName, []byte{0})
		serr = unix.Fstatat(w.procFD, string(name), &st, unix.AT_SYMLINK_NOFOLLOW)
	}
	if serr == nil {
		u.UID = &st.Uid
	}
	if u.Reason != ReasonVanished {
		u.Name, u.StartTime = w.identity(dirFD)
	}
	w.out.unreadable = append(w.out.unreadable, u)
}

// identity returns the command name and start time of the current
// process from its stat, through dirFD or, when that is -1, by name under
// /proc; zero values when it cannot be read.
func (w *worker) identity(dirFD int) (string, uint64) {
	if dirFD < 0 {
		fd, err := w.openDir()
		if err != nil {
			return "", 0
		}
		defer unix.Close(fd)
		dirFD = fd
	}
	st, err := w.readStat(dirFD)
	if err != nil {
		return "", 0
	}
	return string(st.Comm), st.StartTime
}

// process scans one process and records what it holds.
//
// Most processes hold no wanted socket, so their scan is as short as it can
// be: open /proc/PID/fd, read it, readlink each descriptor, stat
// /proc/PID/task (for threads with a table of their own), close. Only a
// process seen holding a wanted socket has its directory /proc/PID opened
// and its details read (see verify).
func (w *worker) process(pid int) {
	w.pidName = append(strconv.AppendInt(w.pidName[:0], int64(pid), 10), 0)
	if h := w.s.hooks.beforeFDs; h != nil {
		h(pid)
	}
	fdFD, err := w.openFDs(pid, -1)
	if err != nil {
		w.unreadable(pid, -1, fmt.Errorf("open %d/fd: %w", pid, err))
		return
	}
	w.tables = append(w.tables[:0], fdFD)
	w.tableTIDs = append(w.tableTIDs[:0], pid)
	defer w.closeTables()

	w.hits = w.hits[:0]
	if err := w.readFDs(fdFD, 0); err != nil {
		w.unreadable(pid, -1, fmt.Errorf("read %d/fd: %w", pid, err))
		return
	}
	if err := w.readThreadTables(pid); err != nil {
		w.unreadable(pid, -1, err)
		return
	}
	if len(w.hits) == 0 {
		return
	}
	if h := w.s.hooks.afterFDs; h != nil {
		h(pid)
	}
	dirFD, err := w.openDir()
	if err != nil {
		if vanished(err) {
			w.out.vanished++ // it held a wanted socket, and exited
		} else {
			w.unreadable(pid, -1, fmt.Errorf("open %d: %w", pid, err))
		}
		return
	}
	defer unix.Close(dirFD)
	w.verify(pid, dirFD, 0, false)
}

// closeTables closes the descriptor directories of the current process.
func (w *worker) closeTables() {
	for _, fd := range w.tables {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	w.tables = w.tables[:0]
	w.tableTIDs = w.tableTIDs[:0]
}

// maxTableCompares bounds the kcmp calls that tell whether a thread shares
// the table of a thread already read; past it the thread's table is read
// anyway (the hits are the same, read twice).
const maxTableCompares = 16

// readThreadTables reads the descriptor tables of pid's threads that do
// not share the leader's (a thread that called unshare(CLONE_FILES)): their
// sockets are in no /proc/PID/fd. A single-threaded process costs one
// fstatat: procfs gives the task directory 2 + (number of threads) links.
// Threads are compared with kcmp(KCMP_FILES), and only those with a table
// of their own are read, through /proc/PID/task/TID/fd. A thread that exits
// meanwhile is skipped (its table went with it, or is the leader's).
func (w *worker) readThreadTables(pid int) error {
	taskPath := string(w.pidName[:len(w.pidName)-1]) + "/task"
	var st unix.Stat_t
	if err := unix.Fstatat(w.procFD, taskPath, &st, 0); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil // the process exited (or a test's tree has no task directory)
		}
		return fmt.Errorf("stat %s: %w", taskPath, err)
	}
	if st.Nlink <= 3 {
		return nil
	}
	taskFD, err := unix.Openat(w.procFD, taskPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if vanished(err) {
			return nil
		}
		return fmt.Errorf("open %s: %w", taskPath, err)
	}
	defer unix.Close(taskFD)
	w.tids, err = appendPIDs(w.tids[:0], taskFD, w.dents)
	if err != nil {
		if vanished(err) {
			return nil
		}
		return fmt.Errorf("list %s: %w", taskPath, err)
	}
	var name []byte
	for _, tid := range w.tids {
		if tid == pid || w.sharesReadTable(tid) {
			continue
		}
		name = append(strconv.AppendInt(name[:0], int64(tid), 10), "/fd\x00"...)
		fd, err := openat(taskFD, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			if vanished(err) {
				continue
			}
			return fmt.Errorf("open %s/%d/fd: %w", taskPath, tid, err)
		}
		w.tables = append(w.tables, fd)
		w.tableTIDs = append(w.tableTIDs, tid)
		if err := w.readFDs(fd, len(w.tables)-1); err != nil {
			if vanished(err) {
				continue
			}
			return fmt.Errorf("read %s/%d/fd: %w", taskPath, tid, err)
		}
	}
	return nil
}

// sharesReadTable reports whether thread tid shares a descriptor table
// already read for the current process. A thread that exited shares
// nothing left to read; when kcmp cannot tell (not built in, refused), the
// table is read.
func (w *worker) sharesReadTable(tid int) bool {
	for i, other := range w.tableTIDs {
		if i > maxTableCompares {
			return false
		}
		same, err := sameFileTable(other, tid)
		switch {
		case errors.Is(err, unix.ESRCH):
			if i == 0 {
				// The leader exited (a zombie leader has no
				// table): compare with the others, or read.
				continue
			}
			return true
		case err != nil:
			return false
		case same:
			return true
		}
	}
	return false
}

// openDir opens the directory /proc/PID of the current process (w.pidName).
func (w *worker) openDir() (int, error) {
	return openat(w.procFD, w.pidName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

// openFDs opens /proc/PID/fd, through dirFD when it is open (>= 0), or
// returns the error a test injects.
func (w *worker) openFDs(pid, dirFD int) (int, error) {
	if h := w.s.hooks.openFDs; h != nil {
		if err := h(pid); err != nil {
			return -1, err
		}
	}
	if dirFD >= 0 {
		return openat(dirFD, nameFD, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	}
	// "PID/fd" relative to /proc, NUL-terminated.
	w.fdPath = append(append(w.fdPath[:0], w.pidName[:len(w.pidName)-1]...), "/fd\x00"...)
	return openat(w.procFD, w.fdPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

// readFDs reads the descriptor directory fdFD, which is w.tables[table],
// and appends every descriptor that points at a wanted socket to w.hits.
// This is the hot loop: it allocates nothing per descriptor.
func (w *worker) readFDs(fdFD, table int) error {
	for range maxDirentCalls {
		n, err := getdents(fdFD, w.dents)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		b := w.dents[:n]
		for len(b) > 0 {
			name, typ, rest, err := nextDirent(b)
			if err != nil {
				return err
			}
			b = rest
			if typ != unix.DT_LNK && typ != unix.DT_UNKNOWN {
				continue
			}
			fd, ok := parsePID(name)
			if !ok {
				continue
			}
			zname, ok := cstring(name)
			if !ok {
				return fmt.Errorf("%w: name %q not terminated in place", errDirent, name)
			}
			m, err := readlinkat(fdFD, zname, w.link)
			if err != nil {
				// A descriptor closed since the directory was
				// read: not a holding.
				if errors.Is(err, unix.ENOENT) {
					continue
				}
				return fmt.Errorf("readlink %d: %w", fd, err)
			}
			if m >= len(w.link) {
				continue
			}
			ino, ok := parseSocketInode(w.link[:m])
			if !ok {
				continue
			}
			if _, ok := w.wanted[ino]; ok {
				w.hits = append(w.hits, hit{inode: ino, fd: fd, table: table})
			}
		}
	}
	return fmt.Errorf("more than %d getdents64 calls", maxDirentCalls)
}

// verify re-reads the matched descriptors through the tables they were
// read from, reads the owner's details through dirFD, its /proc/PID
// directory, and records the holding if it still stands.
//
// The process's identity (PID, start time) is read once, last. That is
// enough because procfs binds an open descriptor of /proc/PID, or of
// /proc/PID/fd, to the process it was opened on: once that process has
// exited, reads through it fail (ENOENT or ESRCH) even when a new process
// has the PID (TestProcDirPinsProcess shows it on the running kernel). The
// tables may have been opened before dirFD (process opens /proc/PID only
// for holders); a descriptor that reads the same again through its table
// after dirFD was opened shows that the process the table was read from
// was still alive then, so dirFD is that process too. When no descriptor
// reads the same again, nothing is recorded: the process exited (vanished)
// or closed its sockets (changed). want, when check is set, is the start
// time another mechanism saw the process with (VerifyAndScanUnseen); another start
// time is another process under the PID.
func (w *worker) verify(pid, dirFD int, want uint64, check bool) {
	// Second read of every matched descriptor, in (inode, fd) order.
	slices.SortFunc(w.hits, compareHits)
	kept := w.kept[:0]
	defer func() { w.kept = kept[:0] }()
	var name []byte
	for _, h := range w.hits {
		name = append(strconv.AppendInt(name[:0], int64(h.fd), 10), 0)
		var m int
		var err error = unix.EACCES
		if fd := w.tables[h.table]; fd != refusedTable {
			m, err = readlinkat(fd, name, w.link)
		}
		if err != nil && w.kernelSeen && classify(err) == ReasonPermission {
			// /proc refuses to confirm what the kernel showed.
			kept = append(kept[:0], w.hits...)
			break
		}
		if err == nil && m < len(w.link) {
			if ino, ok := parseSocketInode(w.link[:m]); ok && ino == h.inode {
				kept = append(kept, h)
				continue
			}
		}
		if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EBADF) {
			if vanished(err) {
				w.out.vanished++
				return
			}
			w.unreadable(pid, dirFD, fmt.Errorf("readlink %d/fd/%d: %w", pid, h.fd, err))
			return
		}
	}
	if len(kept) == 0 {
		// Tell an exited process from closed sockets before counting.
		if w.gone(dirFD) {
			w.out.vanished++
		} else {
			w.countChanged(kept)
		}
		return
	}

	var o holding
	o.owner.PID = pid
	var details []error
	if b, cut, err := w.readFile(dirFD, nameCmdline); err != nil {
		details = append(details, fmt.Errorf("read %d/cmdline: %w", pid, err))
	} else {
		o.owner.Cmdline = splitCmdline(b)
		if cut {
			w.out.truncated++
		}
	}
	if m, err := w.readlinkGrow(dirFD, nameExe); err != nil {
		details = append(details, fmt.Errorf("readlink %d/exe: %w", pid, err))
	} else {
		o.owner.Exe = string(w.file[:m])
	}
	if uid, err := w.effectiveUID(dirFD); err != nil {
		details = append(details, fmt.Errorf("%d: %w", pid, err))
	} else {
		o.uid = &uid
	}
	// A kernel without cgroups has no cgroup file: no detail is missing.
	if b, _, err := w.readFile(dirFD, nameCgroup); err == nil {
		o.owner.Cgroup = snapshot.CgroupPath(b)
	} else if !errors.Is(err, unix.ENOENT) {
		details = append(details, fmt.Errorf("read %d/cgroup: %w", pid, err))
	}

	// The identity, read last through dirFD: a process that exited
	// meanwhile fails here, and a failed detail above is then no gap.
	st, err := w.readStat(dirFD)
	if err != nil {
		if vanished(err) {
			w.out.vanished++
		} else {
			w.unreadable(pid, dirFD, fmt.Errorf("read %d/stat: %w", pid, err))
		}
		return
	}
	if check && st.StartTime != want {
		w.out.vanished++ // another process under the same PID
		return
	}
	w.countChanged(kept)
	o.owner.StartTime = st.StartTime
	o.owner.PPID = st.PPID
	o.owner.Name = string(st.Comm)
	w.out.details = append(w.out.details, details...)

	o.hits = slices.Clone(kept)
	w.out.holdings = append(w.out.holdings, o)
}

// countChanged counts the (process, socket) holdings of w.hits of which no
// descriptor is in kept: closed or replaced since the first read.
func (w *worker) countChanged(kept []hit) {
	for i, h := range w.hits {
		if (i == 0 || w.hits[i-1].inode != h.inode) && !slices.ContainsFunc(kept, func(k hit) bool { return k.inode == h.inode }) {
			w.out.changed++
		}
	}
}

// gone reports whether the process whose descriptors matched has exited:
// its descriptor directory (w.tables[0]) can no longer be listed. procfs
// refuses to list the descriptors of a process that is gone, as any
// filesystem refuses to list a removed directory. Without that directory
// (refused to this run), the process's stat is read through dirFD.
func (w *worker) gone(dirFD int) bool {
	fd := w.tables[0]
	if fd < 0 {
		_, err := w.readStat(dirFD)
		return err != nil && vanished(err)
	}
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return vanished(err)
	}
	_, err := getdents(fd, w.link) // room for "." and ".." alone
	return err != nil && vanished(err)
}

// refusedTable stands in w.tables for a descriptor table /proc refused to
// open, when the hits come from the kernel (worker.kernelSeen).
const refusedTable = -2

// compareHits orders hits by inode, then descriptor, then table.
func compareHits(a, b hit) int {
	return cmp.Or(cmp.Compare(a.inode, b.inode), cmp.Compare(a.fd, b.fd), cmp.Compare(a.table, b.table))
}

// readStat reads and parses stat in the directory dirFD. The result's Comm
// aliases w.file.
func (w *worker) readStat(dirFD int) (procStat, error) {
	b, _, err := w.readFile(dirFD, nameStat)
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// readFile reads the file name in dirFD into w.file, growing it up to
// maxFile; cut reports that the file was longer.
func (w *worker) readFile(dirFD int, name []byte) (b []byte, cut bool, err error) {
	fd, err := openat(dirFD, name, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, false, err
	}
	defer unix.Close(fd)
	n := 0
	for range maxFile {
		if n == len(w.file) {
			if len(w.file) >= maxFile {
				return w.file[:n], true, nil
			}
			w.file = append(w.file, make([]byte, len(w.file))...)
		}
		m, err := unix.Read(fd, w.file[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if m == 0 {
			return w.file[:n], false, nil
		}
		n += m
	}
	return w.file[:n], true, nil
}

// readlinkGrow reads the link name in dirFD into w.file, growing it until
// the whole target fits (up to maxFile); it returns the target's length.
func (w *worker) readlinkGrow(dirFD int, name []byte) (int, error) {
	for {
		m, err := readlinkat(dirFD, name, w.file)
		if err != nil {
			return 0, err
		}
		if m < len(w.file) || len(w.file) >= maxFile {
			return m, nil
		}
		w.file = append(w.file, make([]byte, len(w.file))...)
	}
}
