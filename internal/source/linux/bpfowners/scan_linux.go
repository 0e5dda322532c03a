package bpfowners

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/fdscan"
)

// Method is the snapshot.Snapshot.OwnerMethod of owners found by Scan.
const Method = "ebpf-task-file"

// programName is the iterator function in bpf/task_file.bpf.c.
const programName = "task_file"

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

// loaded is the iterator, loaded and attached once per process and kept
// for its life: watch mode scans again without loading again. The kernel
// releases both when the process exits.
var loaded struct {
	once sync.Once
	prog *ebpf.Program
	iter *link.Iter
	hz   uint64
	err  error
}

// Available returns nil when Scan can run: Linux with BTF, the initial PID
// namespace, CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), and a kernel that
// loads and attaches the task_file iterator. Otherwise its error says what
// is missing. The first call loads the program; later calls return the same
// answer at once.
func Available() error {
	_, err := load()
	return err
}

// load loads and attaches the iterator once.
func load() (*link.Iter, error) {
	loaded.once.Do(func() {
		loaded.hz = userHZ()
		loaded.prog, loaded.iter, loaded.err = loadIter()
	})
	return loaded.iter, loaded.err
}

// loadIter checks the preconditions, then loads and attaches the program.
func loadIter() (*ebpf.Program, *link.Iter, error) {
	if _, err := os.Stat(kernelBTF); err != nil {
		return nil, nil, fmt.Errorf("eBPF owner mapping needs kernel BTF: %w", err)
	}
	if err := checkPIDNS("/proc"); err != nil {
		return nil, nil, err
	}
	if err := checkCaps(); err != nil {
		return nil, nil, err
	}
	// A no-op on kernels that account BPF memory to the cgroup (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, nil, fmt.Errorf("raise RLIMIT_MEMLOCK for eBPF: %w", err)
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		return nil, nil, fmt.Errorf("parse embedded eBPF object: %w", err)
	}
	ps, ok := spec.Programs[programName]
	if !ok {
		return nil, nil, fmt.Errorf("parse embedded eBPF object: no program %q", programName)
	}
	prog, err := ebpf.NewProgram(ps)
	if err != nil {
		return nil, nil, fmt.Errorf("load eBPF task_file iterator: %w", err)
	}
	it, err := link.AttachIter(link.IterOptions{Program: prog})
	if err != nil {
		prog.Close()
		return nil, nil, fmt.Errorf("attach eBPF task_file iterator: %w", err)
	}
	return prog, it, nil
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
	b, err := os.ReadFile(path)
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

// readBufSize is the buffer of one iterator read: 2,048 records. The
// kernel fills at most its seq_file buffer (8 pages) per read anyway.
const readBufSize = 64 << 10

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
func Scan(wanted map[uint64]struct{}, procRoot string) (*fdscan.Result, error) {
	it, err := load()
	if err != nil {
		return nil, err
	}
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

	rc, err := it.Open()
	if err != nil {
		return nil, fmt.Errorf("open eBPF task_file iterator: %w", err)
	}
	g := newGrouper(wanted)
	err = ReadRecords(againReader{rc}, objectOrder, make([]byte, readBufSize), g.add)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close eBPF task_file iterator: %w", cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("eBPF task_file iterator: %w", err)
	}

	hz := loaded.hz
	holdings := g.holdings(func(ns uint64) uint64 { return ticks(ns, offset, hz) })
	res, err := (&fdscan.Scanner{ProcRoot: procRoot}).Verify(holdings)
	if err != nil {
		return nil, fmt.Errorf("verify eBPF owners: %w", err)
	}
	res.Processes = len(g.procs)
	res.NetNS = g.netNS()
	return res, nil
}
