package linux

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/bpfowners"
	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/kernfile"
)

// ownerFinder is the owner mapping one snapshot uses.
type ownerFinder struct {
	method snapshot.OwnerMethod
	scan   func(wanted map[uint64]struct{}) (*fdscan.Result, error)
	// used, when set, is the method the last scan used, which auto
	// changes when it asks the iterator to complete a /proc scan.
	used *snapshot.OwnerMethod
}

// methodUsed is the snapshot.OwnerMethod of the scans made.
func (f ownerFinder) methodUsed() snapshot.OwnerMethod {
	if f.used != nil && *f.used != "" {
		return *f.used
	}
	return f.method
}

// ebpfMinFiles is the number of open files on the host (the first field
// of /proc/sys/fs/file-nr) from which auto prefers the eBPF iterator. The
// iterator costs a fixed load (its cached load plan, verification, the
// maps) whatever the host holds, about as much as the /proc scan of 1,000
// to 2,000 open files; past that it is the faster one, and its lead grows
// with every file. bench/RESULTS.md has the measurements.
const ebpfMinFiles = 1500

// openFilesFor returns the number of open files on the host when choice is
// auto or ebpf and procfs is the kernel's (/proc: a test's fake tree is
// not): auto chooses the method by it, and the iterator the program to
// load (bpfowners.Prepare); 0 otherwise. Snapshot reads it once and gives
// it to prefetchEBPF and ownerFinder.
func (c *Collector) openFilesFor(choice source.OwnerChoice) int {
	if (choice != source.OwnersAuto && choice != "" && choice != source.OwnersEBPF) || c.proc != "/proc" {
		return 0
	}
	return openFiles(c.in.Proc)
}

// ownerFinder picks the owner mapping for choice. Auto uses the eBPF
// iterator where it is the faster one (openFiles, from openFilesFor, at
// least ebpfMinFiles) and can see what the /proc scan would: procfs at
// /proc. Otherwise auto scans /proc, and asks the iterator only when
// /proc refused some descriptor tables (see completeWithEBPF).
func (c *Collector) ownerFinder(choice source.OwnerChoice, openFiles int, users *UserCache) (ownerFinder, error) {
	scanner := &fdscan.Scanner{ProcRoot: c.proc, LookupUser: users.LookupUser}
	used := new(snapshot.OwnerMethod)
	blind := blindSpots{path: blindSpotsFile, bootID: filepath.Join(c.proc, "sys/kernel/random/boot_id")}
	ebpfScan := func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
		res, err := bpfowners.ScanWith(wanted, scanner)
		if err != nil {
			return nil, fmt.Errorf("find socket owners with eBPF: %w", err)
		}
		markUnreported(res)
		return res, nil
	}
	procScan := func(complete bool) func(map[uint64]struct{}) (*fdscan.Result, error) {
		return func(wanted map[uint64]struct{}) (*fdscan.Result, error) {
			res, err := scanner.Scan(wanted)
			if err != nil {
				return nil, fmt.Errorf("scan /proc for socket owners: %w", err)
			}
			if complete {
				res = completeWithEBPF(res, wanted, scanner, blind, used, openFiles)
			}
			return res, nil
		}
	}
	switch choice {
	case source.OwnersProc:
		return ownerFinder{method: MethodProc, scan: procScan(false)}, nil
	case source.OwnersEBPF:
		if err := bpfowners.Prepare(openFiles); err != nil {
			return ownerFinder{}, fmt.Errorf("--owners ebpf: %w", err)
		}
		return ownerFinder{method: MethodEBPF, scan: ebpfScan}, nil
	case source.OwnersAuto, "":
		if c.proc != "/proc" {
			return ownerFinder{method: MethodProc, scan: procScan(false)}, nil
		}
		if openFiles >= ebpfMinFiles && bpfowners.Prepare(openFiles) == nil {
			return ownerFinder{method: MethodEBPF, scan: ebpfScan}, nil
		}
		return ownerFinder{method: MethodProc, scan: procScan(true), used: used}, nil
	}
	return ownerFinder{}, fmt.Errorf("unknown owner mapping %q", choice)
}

// prefetchEBPF starts loading the eBPF iterator on another goroutine when
// ownerFinder will choose it for choice, so that the load (mostly the
// kernel's verification of the program) runs beside the socket dump
// instead of after it. bpfowners loads once per process: the scan waits
// for this load instead of starting another, and a failed load is the
// same answer ownerFinder gets. openFiles is openFilesFor's.
func (c *Collector) prefetchEBPF(choice source.OwnerChoice, openFiles int) {
	if c.proc != "/proc" {
		return
	}
	switch choice {
	case source.OwnersEBPF:
	case source.OwnersAuto, "":
		if openFiles < ebpfMinFiles {
			return
		}
	default:
		return
	}
	go func() { _ = bpfowners.Prepare(openFiles) }()
	// The load is the longest wait of the run: let it start now. The
	// goroutines this one starts next would each push it back in the
	// run queue, behind them.
	runtime.Gosched()
}

// completeWithEBPF returns res, or, when /proc refused some descriptor
// tables and the iterator can load, the iterator's scan, which reads those
// tables in the kernel and sets *used. What the
// iterator does not report either stays unknown, and is remembered in
// blind so that the next run of this boot does not load it again for
// nothing. A failed iterator scan leaves the /proc view, with its gaps.
// openFiles chooses the program (bpfowners.Prepare).
func completeWithEBPF(res *fdscan.Result, wanted map[uint64]struct{}, scanner *fdscan.Scanner, blind blindSpots, used *snapshot.OwnerMethod, openFiles int) *fdscan.Result {
	refused := hiddenProcesses(res)
	if len(refused) == 0 {
		return res
	}
	if blind.covers(refused) {
		markUnreported(res)
		return res
	}
	if bpfowners.Prepare(openFiles) != nil {
		return res
	}
	full, err := bpfowners.ScanWith(wanted, scanner)
	if err != nil {
		return res
	}
	*used = MethodProcEBPF
	blind.remember(hiddenProcesses(full))
	markUnreported(full)
	return full
}

// process is a (PID, start time) identity.
type process struct {
	pid   int
	start uint64
}

// hiddenProcesses lists the processes still present whose tables res could
// not read.
func hiddenProcesses(res *fdscan.Result) []process {
	var ps []process
	for _, u := range res.Unreadable {
		if u.Hidden() {
			ps = append(ps, process{u.PID, u.StartTime})
		}
	}
	return ps
}

// blindSpotsFile remembers, for the current boot, the processes whose
// descriptor tables neither /proc nor the eBPF iterator could read (on a
// sandbox, PID 1), so that auto does not load the iterator on every run
// only to learn that again. /run is cleared at boot; the boot id in the
// file guards against a /run that is not.
const blindSpotsFile = "/run/openports/owners-blind"

// blindSpots reads and writes blindSpotsFile. Only root uses it, and only
// a file that root owns and no one else may write is believed: a forged
// entry would only make auto skip the iterator, leaving the sockets
// unknown (never wrongly complete), but it is still not taken from anyone.
type blindSpots struct {
	path   string
	bootID string // path of the boot id
}

// covers reports whether every process of ps is known to be unreadable to
// both methods in this boot.
func (b blindSpots) covers(ps []process) bool {
	if os.Geteuid() != 0 {
		return false
	}
	known, ok := b.read()
	if !ok {
		return false
	}
	for _, p := range ps {
		if p.start == 0 || !slices.Contains(known, p) {
			return false
		}
	}
	return true
}

// read returns the processes in the file when it is root's, not writable
// by others, and of this boot.
func (b blindSpots) read() ([]process, bool) {
	fd, err := unix.Open(b.path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	f := os.NewFile(uintptr(fd), b.path)
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Uid != 0 || st.Mode&0o022 != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, false
	}
	boot, err := kernfile.Read(b.bootID)
	if err != nil {
		return nil, false
	}
	sc := bufio.NewScanner(f)
	if !sc.Scan() || sc.Text() != string(bytes.TrimSpace(boot)) {
		return nil, false
	}
	var ps []process
	for sc.Scan() {
		pid, start, ok := strings.Cut(sc.Text(), " ")
		p, err1 := strconv.Atoi(pid)
		s, err2 := strconv.ParseUint(start, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, false
		}
		ps = append(ps, process{p, s})
	}
	return ps, sc.Err() == nil
}

// remember writes ps (nothing when empty or not root). Failing to write
// only costs the next run the iterator's load.
func (b blindSpots) remember(ps []process) {
	if len(ps) == 0 || os.Geteuid() != 0 {
		return
	}
	boot, err := kernfile.Read(b.bootID)
	if err != nil {
		return
	}
	var buf bytes.Buffer
	buf.Write(bytes.TrimSpace(boot))
	buf.WriteByte('\n')
	for _, p := range ps {
		if p.start != 0 {
			fmt.Fprintf(&buf, "%d %d\n", p.pid, p.start)
		}
	}
	if err := os.Mkdir(filepath.Dir(b.path), 0o700); err != nil && !os.IsExist(err) {
		return
	}
	_ = outfile.Write(b.path, 0o600, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// openFiles returns the number of open files on the host, the first field
// of sys/fs/file-nr, or 0 when it cannot be read: auto then keeps to the
// /proc scan, which sees everything the iterator would.
func openFiles(proc ProcReader) int {
	b, err := proc.ReadFile("sys/fs/file-nr")
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

// markUnreported says in res's permission gap that the processes it names
// are not reported by the eBPF iterator either: what is left unreadable
// after the iterator ran is what it did not see.
func markUnreported(res *fdscan.Result) {
	for i := range res.Gaps {
		g := &res.Gaps[i]
		if g.Area != "owners" || g.Reason != "permission" {
			continue
		}
		g.Detail += "; the eBPF iterator does not report them either"
		if g.Args == nil {
			g.Args = map[string]string{}
		}
		g.Args["ebpf"] = "unreported"
	}
}
