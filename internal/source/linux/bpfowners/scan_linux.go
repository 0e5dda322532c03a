package bpfowners

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/kernfile"
)

// program is an iterator program of bpf/task_file.bpf.c and the kernel
// function whose BTF ID it is loaded against.
type program struct{ name, attach string }

// programs are tried in this order: task_fds_cast and task_fds walk the
// descriptor tables themselves (bpf_loop: Linux 5.17), the first loading
// the files' fields through bpf_rdonly_cast pointers (6.2); task_file,
// for older kernels (5.8), has the kernel visit every file.
var programs = []program{{"task_fds_cast", "bpf_iter_task"}, {"task_fds", "bpf_iter_task"}, {"task_file", "bpf_iter_task_file"}}

// fewFiles is the number of open files on the host below which task_file
// is tried first: the kernel verifies it in a fraction of the time it
// takes for task_fds_cast, more than its slower walk costs on so few
// files, sockets or not (bench/RESULTS.md).
const fewFiles = 4000

// programsFor is the order in which programs are tried on a host with
// openFiles open files (0: not known).
func programsFor(openFiles int) []program {
	if openFiles <= 0 || openFiles >= fewFiles {
		return programs
	}
	i := slices.IndexFunc(programs, func(p program) bool { return p.name == "task_file" })
	return append([]program{programs[i]}, slices.Delete(slices.Clone(programs), i, i+1)...)
}

// kernelBTF is where the kernel exposes its BTF, which the iterator's
// attach point and CO-RE relocations need.
const kernelBTF = "/sys/kernel/btf/vmlinux"

// atClkTck is AT_CLKTCK, the auxiliary vector entry holding USER_HZ
// (linux/auxvec.h).
const atClkTck = 17

// initPIDNS is the inode of the initial PID namespace (PROC_PID_INIT_INO).
const initPIDNS = 0xEFFFFFFC

// Capabilities (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// Names in bpf/task_file.bpf.c.
const (
	wantedMap = "wanted" // hash map of the wanted inodes
	filterVar = "filter" // 1: report only inodes in wantedMap
)

// loaded is the iterator, loaded and attached once per process and kept
// for its life: watch mode scans again without loading again. The kernel
// releases it when the process exits.
var loaded struct {
	once sync.Once
	it   *iterator
	hz   uint64
	err  error
}

// iterator is the loaded program with its maps. mu serialises scans: they
// share the wanted map, and the program's record of the process it is in.
type iterator struct {
	mu sync.Mutex
	// maps, prog and link are the descriptors of the objects loaded (see
	// bpfsys_linux.go); -1 when not made.
	maps []int
	prog int
	link int
	// wanted is the map of wanted inodes; globals the map of the
	// program's global variables (.bss, globalsSize bytes), where the
	// variable filter is at filterOffset.
	wanted       int
	globals      int
	globalsSize  int
	filterOffset uint32
	// relocCached tells whether the program was loaded from the cached
	// load plan (see loadPlanned).
	relocCached bool
	// program is the name of the program loaded.
	program string
	// inMap mirrors the keys of the wanted map.
	inMap map[uint64]struct{}
	// capacity is max_entries of the wanted map: a larger wanted set
	// turns the kernel-side filter off (every socket is reported, Go
	// filters). Tests lower it to exercise that path.
	capacity int
}

// Available returns nil when Scan can run: Linux with BTF, the initial PID
// namespace, CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), and a kernel that
// loads and attaches the task_file iterator. Otherwise its error says what
// is missing. The first call loads the program; later calls return the same
// answer at once.
func Available() error {
	_, err := load(0)
	return err
}

// Prepare is Available on a host with openFiles open files (the first
// field of /proc/sys/fs/file-nr): when it makes the first load, it tries
// first the program quickest to load and run for that many files.
func Prepare(openFiles int) error {
	_, err := load(openFiles)
	return err
}

// load loads and attaches the iterator once, for a host with openFiles
// open files (0: not known).
func load(openFiles int) (*iterator, error) {
	loaded.once.Do(func() {
		loaded.hz = userHZ()
		loaded.it, loaded.err = loadIter(openFiles)
	})
	return loaded.it, loaded.err
}

// loadIter checks the preconditions, then loads and attaches the program.
func loadIter(openFiles int) (*iterator, error) {
	if _, err := os.Stat(kernelBTF); err != nil {
		return nil, fmt.Errorf("eBPF owner mapping needs kernel BTF: %w", err)
	}
	if err := checkPIDNS("/proc"); err != nil {
		return nil, err
	}
	if err := checkCaps(); err != nil {
		return nil, err
	}
	// The program reads descriptor arrays as 64-bit pointers.
	if strconv.IntSize != 64 {
		return nil, fmt.Errorf("eBPF owner mapping needs a 64-bit kernel and openports (this one is %d-bit)", strconv.IntSize)
	}
	// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. Raising it
	// here, rather than importing cilium/ebpf/rlimit, spares every run the
	// start-up probe of that package (~0.4 ms), on the /proc path too.
	// Raising it fails without CAP_SYS_RESOURCE (a container) even for
	// root; later kernels charge the memory cgroup and do not need it, so
	// that failure is reported only if the load then fails.
	memlockErr := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})
	order := programsFor(openFiles)
	cacheFile := relocCacheFile
	if order[0] != programs[0] {
		// A plan of its own: the other order's file keeps its plan.
		cacheFile = taggedPath(cacheFile, order[0].name)
	}
	it, err := loadPlanned(cacheFile, order)
	if err != nil {
		if memlockErr != nil {
			return nil, fmt.Errorf("load eBPF task_file iterator (RLIMIT_MEMLOCK could not be raised: %v): %w", memlockErr, err)
		}
		return nil, fmt.Errorf("load eBPF task_file iterator: %w", err)
	}
	return it, nil
}

// loadPlanned loads the iterator from the load plan cached in cacheFile
// for this kernel and object (relocCached is then true), or, when there is
// none or the kernel refuses it, from a plan derived from the embedded
// object and the whole kernel BTF for the first program of order the kernel
// takes, which is then cached.
func loadPlanned(cacheFile string, order []program) (*iterator, error) {
	key, keyErr := kernelRelocKey(kernelBTF, kernelNotes)
	if keyErr == nil {
		cacheFile = planPath(cacheFile, key.objectID)
		if p, ok := readRelocCache(cacheFile, key); ok {
			if it, err := p.load(); err == nil {
				it.relocCached = true
				return it, nil
			}
		}
	}
	var errs []error
	for _, prog := range order {
		it, p, err := deriveAndLoad(prog)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", prog.name, err))
			continue
		}
		if keyErr == nil {
			writeRelocCache(cacheFile, key, p)
		}
		return it, nil
	}
	return nil, errors.Join(errs...)
}

// deriveAndLoad derives the load plan of prog and loads it.
func deriveAndLoad(prog program) (*iterator, loadPlan, error) {
	p, err := derivePlan(prog)
	if err != nil {
		return nil, loadPlan{}, err
	}
	it, err := p.load()
	if err != nil {
		return nil, loadPlan{}, err
	}
	return it, p, nil
}

// close releases the link, program and maps (the package keeps its
// iterator for the life of the process; benchmarks load many).
func (it *iterator) close() error {
	var lerr error
	if it.link >= 0 {
		lerr = unix.Close(it.link)
	}
	if it.prog >= 0 {
		unix.Close(it.prog)
	}
	for _, m := range it.maps {
		unix.Close(m)
	}
	it.link, it.prog, it.maps = -1, -1, nil
	if lerr != nil {
		return fmt.Errorf("close eBPF iterator link: %w", lerr)
	}
	return nil
}

// setFilter sets the program's variable filter. It writes the whole map
// of globals: the others (the process the program was in) only matter
// within one read of the iterator, and zero is their value before the
// first.
func (it *iterator) setFilter(on bool) error {
	v := make([]byte, it.globalsSize)
	if on {
		objectOrder.PutUint32(v[it.filterOffset:], 1)
	}
	var zero uint32
	return updateElem(it.globals, unsafe.Pointer(&zero), unsafe.Pointer(&v[0]))
}

// setWanted brings the wanted map in step with wanted, changing only the
// keys that differ from the last scan, and sets the filter; a set larger
// than the map turns the filter off instead.
func (it *iterator) setWanted(wanted map[uint64]struct{}) error {
	if len(wanted) > it.capacity {
		if err := it.setFilter(false); err != nil {
			return fmt.Errorf("turn the wanted filter off: %w", err)
		}
		return nil
	}
	for ino := range it.inMap {
		if _, ok := wanted[ino]; ok {
			continue
		}
		if err := deleteElem(it.wanted, unsafe.Pointer(&ino)); err != nil {
			return fmt.Errorf("delete inode %d from the wanted map: %w", ino, err)
		}
		delete(it.inMap, ino)
	}
	var add []uint64
	for ino := range wanted {
		if _, ok := it.inMap[ino]; !ok {
			add = append(add, ino)
		}
	}
	if err := it.addWanted(add); err != nil {
		return err
	}
	if err := it.setFilter(true); err != nil {
		return fmt.Errorf("turn the wanted filter on: %w", err)
	}
	return nil
}

// addWanted adds inodes to the wanted map: in one batch update (a system
// call each would cost more than the walk of a small host), or one at a
// time on a kernel without batch operations on hash maps (before 5.6).
func (it *iterator) addWanted(inodes []uint64) error {
	if len(inodes) == 0 {
		return nil
	}
	values := make([]uint8, len(inodes))
	for i := range values {
		values[i] = 1
	}
	n, err := updateBatch(it.wanted, inodes, values)
	if err == nil && n == len(inodes) {
		for _, ino := range inodes {
			it.inMap[ino] = struct{}{}
		}
		return nil
	}
	if err != nil && !errors.Is(err, errNoBatch) {
		return fmt.Errorf("add %d inodes to the wanted map: %w", len(inodes), err)
	}
	one := uint8(1)
	for _, ino := range inodes {
		if err := updateElem(it.wanted, unsafe.Pointer(&ino), unsafe.Pointer(&one)); err != nil {
			return fmt.Errorf("add inode %d to the wanted map: %w", ino, err)
		}
		it.inMap[ino] = struct{}{}
	}
	return nil
}

// read runs the iterator once with the kernel filter set to wanted and
// hands every record to g.
func (it *iterator) read(wanted map[uint64]struct{}, g *grouper) error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if err := it.setWanted(wanted); err != nil {
		return err
	}
	fd, err := openIter(it.link)
	if err != nil {
		return fmt.Errorf("open eBPF task_file iterator: %w", err)
	}
	err = ReadRecords(againReader{iterReader(fd)}, objectOrder, make([]byte, readBufSize), g.add)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = fmt.Errorf("close eBPF task_file iterator: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("eBPF task_file iterator: %w", err)
	}
	return nil
}

// checkPIDNS refuses a PID namespace other than the initial one: the
// iterator reports PIDs as the initial namespace numbers them.
func checkPIDNS(procRoot string) error {
	path := filepath.Join(procRoot, "self/ns/pid")
	l, err := os.Readlink(path)
	if err != nil {
		return fmt.Errorf("eBPF owner mapping: identify PID namespace: %w", err)
	}
	if want := "pid:[" + strconv.FormatUint(initPIDNS, 10) + "]"; l != want {
		return fmt.Errorf("eBPF owner mapping: running in PID namespace %s, not the initial one: the iterator's PIDs would not match /proc", l)
	}
	return nil
}

// checkCaps requires CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, in the
// effective set: what loading a tracing program takes.
func checkCaps() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("eBPF owner mapping: read capabilities: %w", err)
	}
	eff := uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	has := func(c uint) bool { return eff&(1<<c) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	return fmt.Errorf("eBPF owner mapping needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN: %w", unix.EPERM)
}

// userHZ is USER_HZ, the unit of /proc/PID/stat times, from the auxiliary
// vector's AT_CLKTCK; defaultHZ when that cannot be read.
func userHZ() uint64 {
	auxv, err := unix.Auxv()
	if err != nil {
		return defaultHZ
	}
	for _, kv := range auxv {
		if kv[0] == atClkTck && kv[1] > 0 {
			return uint64(kv[1])
		}
	}
	return defaultHZ
}

// boottimeOffset is the boot-time offset of this process's time namespace
// in nanoseconds, which the kernel adds to start times in /proc/PID/stat.
// Kernels without time namespaces have no timens_offsets: no offset.
func boottimeOffset(procRoot string) (int64, error) {
	path := filepath.Join(procRoot, "self/timens_offsets")
	b, err := kernfile.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	off, err := parseBoottimeOffset(b)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return off, nil
}

// checkProcRoot requires procRoot to be a procfs of this process's (the
// initial) PID namespace: its "self" must name this process.
func checkProcRoot(procRoot string) error {
	path := filepath.Join(procRoot, "self")
	l, err := os.Readlink(path)
	if err != nil {
		return fmt.Errorf("eBPF owner mapping: %s is no procfs of this PID namespace: %w", procRoot, err)
	}
	if l != strconv.Itoa(os.Getpid()) {
		return fmt.Errorf("eBPF owner mapping: %s/self is %q, not this process (%d): another PID namespace's procfs", procRoot, l, os.Getpid())
	}
	return nil
}

// readBufSize is the buffer of one iterator read: 204 records. The kernel
// returns from a read once it has this much (at most its seq_file buffer,
// 8 pages), so that records reach the grouper, and holders their
// verification, while the walk goes on, rather than in two or three
// batches.
const readBufSize = 8 << 10

// maxAgain bounds the retries of a read the kernel answers with EAGAIN
// (it does when a million objects in a row wrote nothing).
const maxAgain = 1 << 16

// againReader retries reads that fail with EAGAIN.
type againReader struct{ r io.Reader }

func (a againReader) Read(p []byte) (int, error) {
	for range maxAgain {
		n, err := a.r.Read(p)
		if n == 0 && errors.Is(err, unix.EAGAIN) {
			continue
		}
		return n, err
	}
	return 0, fmt.Errorf("%d reads in a row answered EAGAIN: %w", maxAgain, unix.EAGAIN)
}

// Scan runs the iterator once and returns the verified holders of the
// sockets whose inodes are in wanted, as fdscan.Scanner.Scan does, reading
// owner details for holders only from procRoot ("/proc" when empty), which
// must be the procfs of the initial PID namespace. It fails when Available
// does, when procRoot is unusable, or when the iterator cannot be read; a
// holder that exited or changed during the scan is counted in the Result,
// as by the /proc scan.
//
// Processes the iterator did not report are scanned through /proc (see
// fdscan.Scanner.VerifyAndScanUnseen).
func Scan(wanted map[uint64]struct{}, procRoot string) (*fdscan.Result, error) {
	return ScanWith(wanted, &fdscan.Scanner{ProcRoot: procRoot})
}

// ScanWith is Scan with the /proc reads done by scanner: its ProcRoot and
// LookupUser (a caller that scans again and again keeps one scanner, and
// with it one cache of user names).
func ScanWith(wanted map[uint64]struct{}, scanner *fdscan.Scanner) (*fdscan.Result, error) {
	it, err := load(0)
	if err != nil {
		return nil, err
	}
	procRoot := scanner.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	if err := checkProcRoot(procRoot); err != nil {
		return nil, err
	}
	offset, err := boottimeOffset(procRoot)
	if err != nil {
		return nil, fmt.Errorf("eBPF owner mapping: %w", err)
	}

	// The holders are verified as the iterator reports them (a
	// process's records are complete when the next one's begin), beside
	// its walk; the listing of /proc waits for the walk's end (Finish).
	verifier, err := scanner.StartVerify()
	if err != nil {
		return nil, fmt.Errorf("verify eBPF owners: %w", err)
	}
	hz := loaded.hz
	toTicks := func(ns uint64) uint64 { return ticks(ns, offset, hz) }
	g := newGrouper(wanted)
	g.stream(toTicks, verifier.Add)
	if err := it.read(wanted, g); err != nil {
		verifier.Stop()
		return nil, err
	}

	// The iterator reports only processes it could look into that had
	// open files: every other process of /proc (kernel threads, a
	// process the kernel keeps from it, one started since) is read
	// through /proc, as the /proc scan would, so that an unreadable
	// process makes the sockets of its uid unknown on both paths.
	res, err := verifier.Finish(g.holdings(toTicks), g.redo(), g.seen(), wanted)
	if err != nil {
		return nil, fmt.Errorf("verify eBPF owners: %w", err)
	}
	byNS := g.netNS()
	for ns, pids := range res.NetNS {
		byNS[ns] = append(byNS[ns], pids...)
		slices.Sort(byNS[ns])
	}
	res.NetNS = byNS
	return res, nil
}
