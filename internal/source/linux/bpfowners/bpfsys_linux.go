package bpfowners

import (
	"errors"
	"fmt"
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The cached load (loadPlan.load) and every scan talk to the kernel through
// the bpf(2) commands below rather than through cilium/ebpf's Map, Program
// and link types: those probe kernel features (object names, BPF tokens
// through /proc/self/mountinfo) and read back every object's info on first
// use, which one run of openports pays for on its critical path and in
// memory. cilium/ebpf still reads the ELF object and the kernel BTF when a
// plan is derived.

// bpf(2) commands (linux/bpf.h).
const (
	bpfMapUpdateElem  = 2
	bpfMapDeleteElem  = 3
	bpfBTFLoad        = 18
	bpfMapUpdateBatch = 26
	bpfLinkCreate     = 28
	bpfIterCreate     = 33
)

// enotsupp is the kernel's ENOTSUPP (not ENOTSUP/EOPNOTSUPP): a map type
// without batch operations.
const enotsupp = unix.Errno(524)

// bpfCall runs one bpf(2) command on attr, which must be a pointer to the
// command's attribute struct. The structs hold the addresses they pass as
// unsafe.Pointer, not as integers, so that the garbage collector keeps
// what they point to alive and a stack that moves takes them along; the
// package runs only on 64-bit hosts (loadIter), where the kernel's __u64
// fields are the size of a pointer.
func bpfCall[T any](cmd int, attr *T) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil // bpf(2) descriptors are close-on-exec
}

// mapCreateAttr is union bpf_attr for BPF_MAP_CREATE up to map_name.
type mapCreateAttr struct {
	mapType    uint32
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	mapFlags   uint32
	innerMapFD uint32
	numaNode   uint32
	mapName    [unix.BPF_OBJ_NAME_LEN]byte
}

// createMap makes the map m.
func createMap(m mapPlan) (int, error) {
	attr := mapCreateAttr{mapType: uint32(m.typ), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.flags}
	copy(attr.mapName[:unix.BPF_OBJ_NAME_LEN-1], m.name)
	return bpfCall(unix.BPF_MAP_CREATE, &attr)
}

// btfLoadAttr is union bpf_attr for BPF_BTF_LOAD.
type btfLoadAttr struct {
	btf         unsafe.Pointer
	btfLogBuf   unsafe.Pointer
	btfSize     uint32
	btfLogSize  uint32
	btfLogLevel uint32
	_           uint32
}

// loadBTF loads raw BTF into the kernel.
func loadBTF(raw []byte) (int, error) {
	attr := btfLoadAttr{btf: unsafe.Pointer(&raw[0]), btfSize: uint32(len(raw))}
	return bpfCall(bpfBTFLoad, &attr)
}

// linkCreateAttr is union bpf_attr for BPF_LINK_CREATE of an iterator
// without parameters.
type linkCreateAttr struct {
	progFD      uint32
	targetFD    uint32
	attachType  uint32
	flags       uint32
	iterInfo    uint64
	iterInfoLen uint32
	_           uint32
}

// attachIter makes the link of the iterator program prog.
func attachIter(prog int) (int, error) {
	attr := linkCreateAttr{progFD: uint32(prog), attachType: unix.BPF_TRACE_ITER}
	return bpfCall(bpfLinkCreate, &attr)
}

// iterCreateAttr is union bpf_attr for BPF_ITER_CREATE.
type iterCreateAttr struct {
	linkFD uint32
	flags  uint32
}

// openIter starts one run of the iterator of link: reading the descriptor
// returned runs the program.
func openIter(link int) (int, error) {
	attr := iterCreateAttr{linkFD: uint32(link)}
	return bpfCall(bpfIterCreate, &attr)
}

// mapElemAttr is union bpf_attr for BPF_MAP_UPDATE_ELEM and
// BPF_MAP_DELETE_ELEM.
type mapElemAttr struct {
	mapFD uint32
	_     uint32
	key   unsafe.Pointer
	value unsafe.Pointer
	flags uint64
}

// updateElem sets key to value in map fd (BPF_ANY).
func updateElem(fd int, key, value unsafe.Pointer) error {
	attr := mapElemAttr{mapFD: uint32(fd), key: key, value: value}
	_, err := bpfCall(bpfMapUpdateElem, &attr)
	return err
}

// deleteElem removes key from map fd; a key not there is no error.
func deleteElem(fd int, key unsafe.Pointer) error {
	attr := mapElemAttr{mapFD: uint32(fd), key: key}
	_, err := bpfCall(bpfMapDeleteElem, &attr)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// mapBatchAttr is union bpf_attr for the batch map commands.
type mapBatchAttr struct {
	inBatch   unsafe.Pointer
	outBatch  unsafe.Pointer
	keys      unsafe.Pointer
	values    unsafe.Pointer
	count     uint32
	mapFD     uint32
	elemFlags uint64
	flags     uint64
}

// errNoBatch: the kernel has no batch operations for the map.
var errNoBatch = errors.New("no batch map operations")

// updateBatch sets keys[i] to values[i] in map fd in one call; it returns
// how many were set, and errNoBatch on a kernel without batch operations
// for the map's type.
func updateBatch(fd int, keys []uint64, values []uint8) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	attr := mapBatchAttr{
		keys:   unsafe.Pointer(&keys[0]),
		values: unsafe.Pointer(&values[0]),
		count:  uint32(len(keys)),
		mapFD:  uint32(fd),
	}
	_, err := bpfCall(bpfMapUpdateBatch, &attr)
	if errors.Is(err, enotsupp) || errors.Is(err, unix.EINVAL) {
		return int(attr.count), fmt.Errorf("%w: %w", errNoBatch, err)
	}
	return int(attr.count), err
}

// iterReader reads a run of the iterator from its descriptor.
type iterReader int

func (r iterReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}
