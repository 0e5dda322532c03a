package bpfowners

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// The iterator program needs two things from the kernel's BTF: the offsets
// of the fields it reads (its CO-RE relocations) and the BTF ID of its
// attach target, bpf_iter_task_file. cilium/ebpf's loader derives both by
// decoding the whole kernel BTF (about 5 MB) on every load, even when given
// KernelTypes, because it looks the attach target up in the full kernel
// spec. This file derives them once per kernel build and program, keeps
// them in a root-only cache file, and loads the program itself (one
// BPF_PROG_LOAD) from what the cache holds; the maps are still made by
// cilium/ebpf.

// relocCacheFile is where the derived relocations are kept, keyed by the
// kernel BTF's checksum and the program's; "" turns the cache off (tests
// point it elsewhere).
var relocCacheFile = "/var/cache/openports/task_file.reloc"

// attachTarget is the kernel function whose BTF ID an iter/task_file
// program is loaded against.
const attachTarget = "bpf_iter_task_file"

// relocCacheHeader starts every cache file: format and version.
const relocCacheHeader = "openports task_file relocations 1"

// relocations is what a load derives from the kernel BTF: the attach
// target's BTF ID and every relocated instruction as CO-RE made it.
type relocations struct {
	attachID uint32
	insns    []relocatedIns
}

// relocatedIns is one instruction after its CO-RE fixup.
type relocatedIns struct {
	index    int // in the program's instructions
	opCode   asm.OpCode
	dst, src asm.Register
	offset   int16
	constant int64
}

// relocKey names the kernel BTF and the program a cache entry was derived
// from: the BTF's size and CRC-32C, the object's SHA-256.
type relocKey struct {
	btfSize  int64
	btfCRC   uint32
	objectID string
}

// kernelRelocKey checksums the kernel's BTF and the embedded object. The
// BTF is mapped where the kernel allows it (6.16 on): sysfs reads it out
// one page per read(2).
func kernelRelocKey(btfPath string) (relocKey, error) {
	f, err := os.Open(btfPath)
	if err != nil {
		return relocKey{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return relocKey{}, err
	}
	sum := sha256.Sum256(object)
	key := relocKey{btfSize: fi.Size(), objectID: hex.EncodeToString(sum[:])}
	table := crc32.MakeTable(crc32.Castagnoli)
	if m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE); err == nil {
		key.btfCRC = crc32.Checksum(m, table)
		unix.Munmap(m)
		return key, nil
	}
	h := crc32.New(table)
	n, err := io.CopyBuffer(h, f, make([]byte, 64<<10))
	if err != nil {
		return relocKey{}, fmt.Errorf("checksum %s: %w", btfPath, err)
	}
	key.btfSize, key.btfCRC = n, h.Sum32()
	return key, nil
}

// relocatable returns the indexes of the instructions with a CO-RE
// relocation, and the relocations.
func relocatable(insns asm.Instructions) ([]int, []*btf.CORERelocation) {
	var idx []int
	var relos []*btf.CORERelocation
	for i := range insns {
		if r := btf.CORERelocationMetadata(&insns[i]); r != nil {
			idx = append(idx, i)
			relos = append(relos, r)
		}
	}
	return idx, relos
}

// deriveRelocations resolves the program's relocations and attach target
// against the whole kernel BTF: the slow path.
func deriveRelocations(insns asm.Instructions) (relocations, error) {
	kernel, err := btf.LoadKernelSpec()
	if err != nil {
		return relocations{}, fmt.Errorf("parse kernel BTF: %w", err)
	}
	var fn *btf.Func
	if err := kernel.TypeByName(attachTarget, &fn); err != nil {
		return relocations{}, fmt.Errorf("find attach target %s in kernel BTF: %w", attachTarget, err)
	}
	id, err := kernel.TypeID(fn)
	if err != nil {
		return relocations{}, fmt.Errorf("BTF ID of %s: %w", attachTarget, err)
	}
	r := relocations{attachID: uint32(id)}
	idx, relos := relocatable(insns)
	if len(relos) == 0 {
		return r, nil
	}
	var local btf.Builder
	fixups, err := btf.CORERelocate(relos, []*btf.Spec{kernel}, objectOrder, local.Add)
	if err != nil {
		return relocations{}, fmt.Errorf("CO-RE relocations against kernel BTF: %w", err)
	}
	for k, fixup := range fixups {
		ins := insns[idx[k]]
		if err := fixup.Apply(&ins); err != nil {
			return relocations{}, fmt.Errorf("CO-RE fixup of instruction %d: %w", idx[k], err)
		}
		r.insns = append(r.insns, relocatedIns{index: idx[k], opCode: ins.OpCode, dst: ins.Dst, src: ins.Src, offset: ins.Offset, constant: ins.Constant})
	}
	return r, nil
}

// apply writes r's instructions into insns, which must have a relocation at
// exactly the instructions r names.
func (r relocations) apply(insns asm.Instructions) error {
	idx, _ := relocatable(insns)
	if len(idx) != len(r.insns) {
		return fmt.Errorf("program has %d relocations, the derived set %d", len(idx), len(r.insns))
	}
	for k, ri := range r.insns {
		if ri.index != idx[k] {
			return fmt.Errorf("relocation %d is at instruction %d, the derived one at %d", k, idx[k], ri.index)
		}
		ins := &insns[ri.index]
		if ins.OpCode.IsDWordLoad() != ri.opCode.IsDWordLoad() {
			return fmt.Errorf("relocated instruction %d would change size", ri.index)
		}
		ins.OpCode, ins.Dst, ins.Src, ins.Offset, ins.Constant = ri.opCode, ri.dst, ri.src, ri.offset, ri.constant
	}
	return nil
}

// readRelocCache returns the relocations in path when the file is this
// (root) user's, writable by no one else, well formed, and derived from
// key; ok is false otherwise, and the caller derives them afresh.
func readRelocCache(path string, key relocKey) (r relocations, ok bool) {
	if path == "" || os.Geteuid() != 0 {
		return relocations{}, false
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return relocations{}, false
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Uid != 0 || st.Mode&0o022 != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > 1<<16 {
		return relocations{}, false
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return relocations{}, false
	}
	r, err = parseRelocCache(b, key)
	return r, err == nil
}

// parseRelocCache decodes a cache file written by formatRelocCache for key.
func parseRelocCache(b []byte, key relocKey) (relocations, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	want := strings.Split(formatRelocCache(key, relocations{}), "\n")[:3]
	for _, w := range want {
		if !sc.Scan() || sc.Text() != w {
			return relocations{}, fmt.Errorf("header %q, want %q", sc.Text(), w)
		}
	}
	var r relocations
	if !sc.Scan() {
		return relocations{}, errors.New("no attach line")
	}
	id, ok := strings.CutPrefix(sc.Text(), "attach ")
	n, err := strconv.ParseUint(id, 10, 32)
	if !ok || err != nil || n == 0 {
		return relocations{}, fmt.Errorf("bad attach line %q", sc.Text())
	}
	r.attachID = uint32(n)
	ended := false
	for !ended && sc.Scan() {
		if sc.Text() == "end" {
			ended = true
			continue
		}
		ri, err := parseRelocatedIns(sc.Text())
		if err != nil {
			return relocations{}, err
		}
		if len(r.insns) > 0 && ri.index <= r.insns[len(r.insns)-1].index {
			return relocations{}, fmt.Errorf("instruction %d out of order", ri.index)
		}
		r.insns = append(r.insns, ri)
	}
	if !ended || sc.Scan() || sc.Err() != nil {
		return relocations{}, errors.New("truncated, or more after its end")
	}
	return r, nil
}

// parseRelocatedIns decodes "ins INDEX OPCODE DST SRC OFFSET CONSTANT".
func parseRelocatedIns(line string) (relocatedIns, error) {
	f := strings.Fields(line)
	if len(f) != 7 || f[0] != "ins" {
		return relocatedIns{}, fmt.Errorf("bad instruction line %q", line)
	}
	var v [6]int64
	bits := [6]int{32, 16, 8, 8, 16, 64}
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, bits[i])
		if err != nil || (i < 4 && n < 0) {
			return relocatedIns{}, fmt.Errorf("bad instruction line %q", line)
		}
		v[i] = n
	}
	if v[1] > 0xff || v[2] > 10 || v[3] > 10 {
		return relocatedIns{}, fmt.Errorf("bad instruction line %q", line)
	}
	return relocatedIns{index: int(v[0]), opCode: asm.OpCode(v[1]), dst: asm.Register(v[2]), src: asm.Register(v[3]), offset: int16(v[4]), constant: v[5]}, nil
}

// formatRelocCache encodes r, derived for key.
func formatRelocCache(key relocKey, r relocations) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nobject %s\nbtf %d %08x\nattach %d\n", relocCacheHeader, key.objectID, key.btfSize, key.btfCRC, r.attachID)
	for _, ri := range r.insns {
		fmt.Fprintf(&b, "ins %d %d %d %d %d %d\n", ri.index, ri.opCode, ri.dst, ri.src, ri.offset, ri.constant)
	}
	b.WriteString("end\n")
	return b.String()
}

// writeRelocCache keeps r for the next run: written to a temporary file in
// a root-only directory, then renamed. Failing only costs the next run the
// full derivation.
func writeRelocCache(path string, key relocKey, r relocations) {
	if path == "" || os.Geteuid() != 0 {
		return
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".task_file-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(formatRelocCache(key, r))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// progLoadAttr is union bpf_attr for BPF_PROG_LOAD (linux/bpf.h) up to
// attach_btf_obj_fd; the kernel takes a shorter attr than its own as
// zero-extended.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [unix.BPF_OBJ_NAME_LEN]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFd          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachBTFObjFd     uint32
	coreReloCnt        uint32
}

// loadTaskFile loads the iterator program from spec with its map
// references pointing at coll's maps and r's relocations applied.
func loadTaskFile(spec *ebpf.ProgramSpec, coll *ebpf.Collection, r relocations) (*ebpf.Program, error) {
	insns := slices.Clone(spec.Instructions)
	if err := r.apply(insns); err != nil {
		return nil, err
	}
	for i := range insns {
		ins := &insns[i]
		if !ins.IsLoadFromMap() || ins.Reference() == "" {
			continue
		}
		m := coll.Maps[ins.Reference()]
		if m == nil {
			return nil, fmt.Errorf("instruction %d refers to map %q, not in the object", i, ins.Reference())
		}
		if err := ins.AssociateMap(m); err != nil {
			return nil, fmt.Errorf("instruction %d: map %s: %w", i, ins.Reference(), err)
		}
	}
	var code bytes.Buffer
	if err := insns.Marshal(&code, objectOrder); err != nil {
		return nil, fmt.Errorf("encode the program: %w", err)
	}
	license := append([]byte(spec.License), 0)
	attr := progLoadAttr{
		progType:           unix.BPF_PROG_TYPE_TRACING,
		insnCnt:            uint32(code.Len() / asm.InstructionSize),
		insns:              uint64(uintptr(unsafe.Pointer(&code.Bytes()[0]))),
		license:            uint64(uintptr(unsafe.Pointer(&license[0]))),
		expectedAttachType: unix.BPF_TRACE_ITER,
		attachBTFID:        r.attachID,
	}
	copy(attr.progName[:unix.BPF_OBJ_NAME_LEN-1], programName)
	fd, err := progLoad(&attr)
	if err != nil {
		// Again with the verifier's log, for an error that says why.
		log := make([]byte, 64<<10)
		attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), uint64(uintptr(unsafe.Pointer(&log[0])))
		if fd2, err2 := progLoad(&attr); err2 == nil {
			fd, err = fd2, nil
		} else {
			err = fmt.Errorf("%w: %s", err, lastLogLine(log))
		}
		runtime.KeepAlive(log)
	}
	runtime.KeepAlive(code.Bytes())
	runtime.KeepAlive(license)
	if err != nil {
		return nil, fmt.Errorf("BPF_PROG_LOAD %s: %w", programName, err)
	}
	prog, err := ebpf.NewProgramFromFD(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("use loaded program %s: %w", programName, err)
	}
	return prog, nil
}

// progLoad makes the bpf(BPF_PROG_LOAD) call, retried a few times on
// EAGAIN (a signal during verification), and returns the program's fd.
func progLoad(attr *progLoadAttr) (int, error) {
	for range 5 {
		fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
		if errno == unix.EAGAIN {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil // bpf(2) descriptors are close-on-exec
	}
	return -1, unix.EAGAIN
}

// lastLogLine is the verifier log's last line that says what went wrong
// (the statistics lines after it do not).
func lastLogLine(log []byte) string {
	if i := bytes.IndexByte(log, 0); i >= 0 {
		log = log[:i]
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "processed ") && !strings.HasPrefix(l, "verification time ") && !strings.HasPrefix(l, "stack depth ") {
			return l
		}
	}
	return "no verifier log"
}
