package bpfwatch

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// programs are the functions of bpf/watch.bpf.c, each a BTF raw
// tracepoint (tp_btf).
var programs = []string{"sys_enter", "sys_exit", "set_state"}

// syscallABI is what the programs need to know of the architecture: the
// numbers of bind(2) and listen(2), and the offset of the first syscall
// argument in struct pt_regs.
type syscallABI struct {
	bind, listen int64
	arg0Off      uint32
}

// abis holds the architectures whose syscall ABI the loader knows
// (arch/x86/entry/syscalls/syscall_64.tbl and pt_regs.di; the generic
// table of arm64 and riscv64 with regs[0] first).
var abis = map[string]syscallABI{
	"amd64":   {bind: 49, listen: 50, arg0Off: 14 * 8},
	"arm64":   {bind: 200, listen: 201, arg0Off: 0},
	"riscv64": {bind: 200, listen: 201, arg0Off: 10 * 8}, // a0 is regs[10]
}

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("bpfwatch: tracer closed")

// Tracer is the loaded and attached programs with their ring buffer. Read
// is for one goroutine; Close may be called from another to end a Read.
type Tracer struct {
	coll   *ebpf.Collection
	links  []link.Link
	rd     *ringbuf.Reader
	lost   *ebpf.Variable
	record ringbuf.Record
}

// Open loads the programs, attaches them and opens the ring buffer. It
// fails with a wrapped error naming what is missing (BTF, privilege,
// fentry support) when the kernel or the privileges do not allow it.
func Open() (*Tracer, error) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("load watch eBPF programs: the kernel has no BTF: %w", err)
	}
	// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. Raising it
	// here, rather than importing cilium/ebpf/rlimit, spares every run of
	// every command that package's start-up probe (~0.4 ms). Raising it
	// fails without CAP_SYS_RESOURCE (a container) even for root; later
	// kernels charge the memory cgroup and do not need it, so that
	// failure is reported only if the load then fails.
	memlockErr := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		return nil, fmt.Errorf("load watch eBPF programs: parse object: %w", err)
	}
	abi, ok := abis[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("load watch eBPF programs: syscall numbers of %s are not known", runtime.GOARCH)
	}
	for name, v := range map[string]any{"nr_bind": abi.bind, "nr_listen": abi.listen, "arg0_off": abi.arg0Off} {
		vs, ok := spec.Variables[name]
		if !ok {
			return nil, fmt.Errorf("load watch eBPF programs: object has no constant %s", name)
		}
		if err := vs.Set(v); err != nil {
			return nil, fmt.Errorf("load watch eBPF programs: set %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		if memlockErr != nil {
			return nil, fmt.Errorf("load watch eBPF programs (RLIMIT_MEMLOCK could not be raised: %v): %w", memlockErr, err)
		}
		return nil, fmt.Errorf("load watch eBPF programs: %w", err)
	}
	t := &Tracer{coll: coll, lost: coll.Variables["lost"]}
	for _, name := range programs {
		prog := coll.Programs[name]
		if prog == nil {
			t.Close()
			return nil, fmt.Errorf("load watch eBPF programs: object has no program %s", name)
		}
		l, err := link.AttachTracing(link.TracingOptions{Program: prog, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("attach watch eBPF program %s (%s): %w", name, spec.Programs[name].SectionName, err)
		}
		t.links = append(t.links, l)
	}
	rd, err := ringbuf.NewReader(coll.Maps["events"])
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("open watch ring buffer: %w", err)
	}
	t.rd = rd
	return t, nil
}

// Read waits for the next event. It returns ErrClosed once Close was
// called, and an error wrapping the decoder's for a malformed event.
func (t *Tracer) Read() (Event, error) {
	if err := t.rd.ReadInto(&t.record); err != nil {
		if errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return Event{}, ErrClosed
		}
		return Event{}, fmt.Errorf("read watch ring buffer: %w", err)
	}
	e, err := ParseEvent(t.record.RawSample, objectOrder)
	if err != nil {
		return Event{}, fmt.Errorf("read watch ring buffer: %w", err)
	}
	return e, nil
}

// Pending reports whether the ring buffer holds records not read yet. It
// makes no system call (it compares the ring's positions), so that a
// reader may check it before every other event it handles.
func (t *Tracer) Pending() bool { return t.rd.AvailableBytes() > 0 }

// ReadAvailable passes every record the ring buffer holds now to fn,
// without waiting for more, and returns how many it passed. A record the
// decoder refuses is skipped and its error returned, joined, after the
// others are read. It must not run at the same time as Read.
func (t *Tracer) ReadAvailable(fn func(Event)) (int, error) {
	t.rd.SetDeadline(time.Unix(1, 0)) // in the past: do not wait
	defer t.rd.SetDeadline(time.Time{})
	var errs []error
	n := 0
	for range 1 << 20 {
		err := t.rd.ReadInto(&t.record)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return n, ErrClosed
		}
		if err != nil {
			return n, fmt.Errorf("read watch ring buffer: %w", err)
		}
		e, err := ParseEvent(t.record.RawSample, objectOrder)
		if err != nil {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("read watch ring buffer: %w", err))
			}
			continue
		}
		n++
		fn(e)
	}
	return n, errors.Join(errs...)
}

// SetDeadline makes a waiting Read return os.ErrDeadlineExceeded (wrapped)
// at t; the zero time waits for ever.
func (t *Tracer) SetDeadline(d time.Time) { t.rd.SetDeadline(d) }

// Lost returns how many events the kernel dropped because the ring buffer
// was full.
func (t *Tracer) Lost() (uint64, error) {
	var n uint64
	if t.lost == nil {
		return 0, errors.New("bpfwatch: object has no variable lost")
	}
	if err := t.lost.Get(&n); err != nil {
		return 0, fmt.Errorf("read lost event count: %w", err)
	}
	return n, nil
}

// Close detaches the programs and frees them; a waiting Read returns
// ErrClosed.
func (t *Tracer) Close() error {
	var errs []error
	if t.rd != nil {
		errs = append(errs, t.rd.Close())
	}
	for _, l := range t.links {
		errs = append(errs, l.Close())
	}
	t.links = nil
	if t.coll != nil {
		t.coll.Close()
		t.coll = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close watch eBPF programs: %w", err)
	}
	return nil
}
