package fdscan

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// VerifyAndScanUnseen checks holdings found by another mechanism against
// ProcRoot and returns them as Scan would have: for each holding, each
// descriptor must still point at its socket (read again through
// /proc/PID/fd), the owner's details are then read as Scan reads them, and
// the process under PID must have the given start time. A process that
// exited or whose PID was reused counts as Vanished, a descriptor that
// moved as Changed, a process that cannot be read is Unreadable. Where
// /proc refuses (EACCES) to read a descriptor again, the holding is kept
// as the kernel showed it, its identity still checked. It also scans as
// Scan does every process listed in ProcRoot that is not in seen: the mechanism
// that found the holdings saw only the processes in seen, and what it did
// not see (a process it may not look into, a kernel thread, a process that
// started after it) must be read through /proc before any socket can be
// said to be held by no process. Result.Processes counts the processes
// listed.
func (s *Scanner) VerifyAndScanUnseen(holdings []Holding, seen map[int]struct{}, wanted map[uint64]struct{}) (*Result, error) {
	v, err := s.StartVerify()
	if err != nil {
		return nil, err
	}
	return v.Finish(holdings, nil, seen, wanted)
}

// Verifier verifies holdings while the mechanism that finds them is still
// running (Add), then finishes as VerifyAndScanUnseen (Finish). Only the
// listing of ProcRoot has to wait for that mechanism to end: a process it
// did not see, forked from a holder that then exited, must be in the
// listing. The holdings themselves can be checked at any time, and are
// checked by one goroutine beside the mechanism's work; those still queued
// when it ends are shared among more (Finish).
type Verifier struct {
	s      *Scanner
	procFD int
	queue  chan Holding
	// verifiers counts the goroutines that take holdings from queue: one
	// while the mechanism runs, more once it has ended (Finish).
	verifiers sync.WaitGroup
	// early are the results of the holdings given to Add, by PID.
	mu     sync.Mutex
	early  map[int][]*workerOut
	closed bool
}

// verifyQueue is how many holdings Add queues before it waits for the
// verifying goroutine.
const verifyQueue = 256

// StartVerify opens ProcRoot and starts the goroutine that verifies the
// holdings given to Add. Finish or Stop must follow.
func (s *Scanner) StartVerify() (*Verifier, error) {
	root := s.procRoot()
	procFD, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	v := &Verifier{
		s:      s,
		procFD: procFD,
		queue:  make(chan Holding, verifyQueue),
		early:  make(map[int][]*workerOut),
	}
	v.verifiers.Go(v.run)
	return v, nil
}

// run verifies each queued holding into a result of its own, so that
// Finish can drop it.
func (v *Verifier) run() {
	var w *worker
	for h := range v.queue {
		if w == nil {
			// Made at the first holding: a scan that verifies
			// none (Scan) does not pay for it. No getdents64
			// buffer: the descriptors are known.
			w = v.s.newWorker(v.procFD, nil, []byte{})
		}
		w.out = workerOut{}
		w.verifyHolding(h)
		out := w.out
		v.mu.Lock()
		v.early[h.PID] = append(v.early[h.PID], &out)
		v.mu.Unlock()
	}
}

// Add queues a holding for verification. The caller gives each holding
// once, complete; one that proves incomplete later is given again to
// Finish, with its PID in redo.
func (v *Verifier) Add(h Holding) {
	v.queue <- h
}

// closeQueue ends Add; the verifiers stop once the queue is empty.
func (v *Verifier) closeQueue() {
	if !v.closed {
		v.closed = true
		close(v.queue)
	}
}

// drain waits for the holdings queued.
func (v *Verifier) drain() {
	v.closeQueue()
	v.verifiers.Wait()
}

// Stop waits for the holdings queued and closes ProcRoot, dropping their
// results: for a caller that will not call Finish (its mechanism failed).
// Finish calls it.
func (v *Verifier) Stop() {
	v.drain()
	if v.procFD >= 0 {
		unix.Close(v.procFD)
		v.procFD = -1
	}
}

// Finish waits for the holdings given to Add, drops the results of those
// whose PID is in redo, and then verifies holdings and scans the unseen
// processes as VerifyAndScanUnseen does, listing ProcRoot now. The result
// merges both.
func (v *Verifier) Finish(holdings []Holding, redo, seen map[int]struct{}, wanted map[uint64]struct{}) (*Result, error) {
	defer v.Stop()
	// The mechanism has ended: the holdings still queued are shared with
	// the other workers, while this goroutine lists ProcRoot.
	v.closeQueue()
	if pending := len(v.queue); pending > 1 {
		for range min(workerCount(v.s.Workers), pending) - 1 {
			v.verifiers.Go(v.run)
		}
	}
	dents := make([]byte, direntBuf)
	pids, err := appendPIDs(nil, v.procFD, dents)
	v.drain()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", v.s.procRoot(), err)
	}
	return v.s.verifyAndScanUnseen(v.procFD, pids, dents, holdings, seen, wanted, func(outs []*workerOut) []*workerOut {
		for pid, early := range v.early {
			if _, ok := redo[pid]; !ok {
				outs = append(outs, early...)
			}
		}
		return outs
	})
}

// verifyAndScanUnseen is VerifyAndScanUnseen on the open ProcRoot procFD,
// whose processes are pids (listed into dents, which a worker reuses);
// more adds the results of earlier verifications to the workers' before
// they are merged.
func (s *Scanner) verifyAndScanUnseen(procFD int, pids []int, dents []byte, holdings []Holding, seen map[int]struct{}, wanted map[uint64]struct{}, more func([]*workerOut) []*workerOut) (*Result, error) {
	type job struct {
		holding *Holding
		pid     int
	}
	jobs := make([]job, 0, len(holdings))
	for i := range holdings {
		jobs = append(jobs, job{holding: &holdings[i]})
	}
	for _, pid := range pids {
		if _, ok := seen[pid]; !ok {
			jobs = append(jobs, job{pid: pid})
		}
	}
	// Each worker takes one job at a time: in chunks, a few processes
	// with huge tables left the other workers idle at the end, and a host
	// of fewer processes than a chunk was read by one worker alone. The
	// first worker reuses the getdents64 buffer of the /proc listing.
	outs := inWorkers(s.Workers, 1, jobs, func(i int) *worker {
		if i == 0 {
			return s.newWorker(procFD, wanted, dents)
		}
		return s.newWorker(procFD, wanted, nil)
	}, func(w *worker, j job) {
		if j.holding != nil {
			w.verifyHolding(*j.holding)
		} else {
			w.process(j.pid)
		}
	})
	if more != nil {
		outs = more(outs)
	}
	return s.merge(outs, len(pids)), nil
}

// verifyHolding checks and describes one holding found elsewhere.
func (w *worker) verifyHolding(h Holding) {
	if len(h.Sockets) == 0 {
		return
	}
	pid := h.PID
	w.pidName = append(strconv.AppendInt(w.pidName[:0], int64(pid), 10), 0)
	dirFD, err := openat(w.procFD, w.pidName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		if vanished(err) {
			w.out.vanished++
		} else {
			w.unreadable(pid, -1, fmt.Errorf("open %d: %w", pid, err))
		}
		return
	}
	defer unix.Close(dirFD)

	// Every table is opened through dirFD, so all reads are of one
	// process; verify compares its start time with h's last.
	fdFD, err := w.openFDs(pid, dirFD)
	switch {
	case err != nil && vanished(err):
		w.out.vanished++
		return
	case err != nil && classify(err) == ReasonPermission:
		fdFD = refusedTable // the kernel's view stands (see verify)
	case err != nil:
		w.unreadable(pid, dirFD, fmt.Errorf("open %d/fd: %w", pid, err))
		return
	}
	w.kernelSeen = true
	defer func() { w.kernelSeen = false }()
	w.tables = append(w.tables[:0], fdFD)
	w.tableTIDs = append(w.tableTIDs[:0], pid)
	defer w.closeTables()

	w.hits = w.hits[:0]
	for _, s := range h.Sockets {
		table, err := w.threadTable(pid, dirFD, s.TID)
		if err != nil {
			w.unreadable(pid, dirFD, err)
			return
		}
		w.hits = append(w.hits, hit{inode: s.Inode, fd: s.FD, table: table})
	}
	slices.SortFunc(w.hits, compareHits)
	w.hits = slices.Compact(w.hits)
	if hk := w.s.hooks.afterFDs; hk != nil {
		hk(pid)
	}
	w.verify(pid, dirFD, h.StartTime, true)
}

// threadTable returns the index in w.tables of the descriptor table of
// thread tid of pid, opening /proc/PID/task/TID/fd the first time. A thread
// that exited gets a closed table (-1), on which the second read of its
// descriptors fails and they count as changed.
func (w *worker) threadTable(pid, dirFD, tid int) (int, error) {
	if tid == 0 {
		tid = pid
	}
	if i := slices.Index(w.tableTIDs, tid); i >= 0 {
		return i, nil
	}
	name := []byte("task/" + strconv.Itoa(tid) + "/fd\x00")
	fd, err := openat(dirFD, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	switch {
	case err != nil && vanished(err):
		fd = -1
	case err != nil && classify(err) == ReasonPermission:
		fd = refusedTable
	case err != nil:
		return 0, fmt.Errorf("open %d/task/%d/fd: %w", pid, tid, err)
	}
	w.tables = append(w.tables, fd)
	w.tableTIDs = append(w.tableTIDs, tid)
	return len(w.tables) - 1, nil
}
