package bpfowners

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
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

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/source/linux/kernfile"
)

// The iterator program needs two things from the kernel's BTF: the offsets
// of the fields it reads (its CO-RE relocations) and the BTF ID of its
// attach target, bpf_iter_task_file. cilium/ebpf's loader derives both by
// decoding the whole kernel BTF (about 5 MB) on every load, even when given
// KernelTypes, because it looks the attach target up in the full kernel
// spec. This file derives them once per kernel build and program, together
// with everything else a load takes from the embedded ELF object (the maps'
// shapes, the variable "filter", the license and the relocated, encoded
// instructions): a load plan, kept in a root-only cache file. A load from
// the plan reads neither the kernel's BTF nor the ELF object: it makes the
// two maps (cilium/ebpf) and loads the program (one BPF_PROG_LOAD, made
// here: cilium/ebpf loads programs only from a ProgramSpec, which it would
// relocate against the whole kernel BTF again).

// relocCacheFile is where the load plan is kept, keyed by the kernel's
// build ID and the program's checksum, under a name that also carries the
// start of that checksum (planPath); "" turns the cache off (tests point
// it elsewhere). Its name is not the one of the earlier format
// (task_file.reloc), and differs between objects, so that two versions of
// openports run side by side do not undo each other's cache.
var relocCacheFile = "/var/cache/openports/task_file.plan"

// planPath is the cache file of the object whose SHA-256 is objectID:
// cacheFile with the first 16 hex digits of it before its extension.
func planPath(cacheFile, objectID string) string {
	return taggedPath(cacheFile, objectID[:min(16, len(objectID))])
}

// taggedPath is path with "-" and tag before its extension; "" stays ""
// (no cache).
func taggedPath(path, tag string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + tag + ext
}

// relocCacheHeader starts every cache file: format and version.
const relocCacheHeader = "openports task_file load plan 2"

// kernelNotes holds the kernel image's ELF notes, among them its GNU build
// ID.
const kernelNotes = "/sys/kernel/notes"

// relocations is what a load derives from the kernel BTF: the attach
// target's BTF ID and every relocated instruction as CO-RE made it.
type relocations struct {
	attachID uint32
	insns    []relocatedIns
	// kfuncs are the program's calls of kernel functions (kfuncCalls),
	// each with the function's BTF ID in the kernel's BTF.
	kfuncs []relocatedIns
}

// relocatedIns is one instruction after its CO-RE fixup.
type relocatedIns struct {
	index    int // in the program's instructions
	opCode   asm.OpCode
	dst, src asm.Register
	offset   int16
	constant int64
}

// loadPlan is all a load of the iterator needs, derived from the embedded
// object and the kernel BTF.
type loadPlan struct {
	// program is the name of the program (one of programs).
	program  string
	attachID uint32
	// maps are made in this order; a map load in code carries the index
	// of its map here in place of the descriptor (see planMapIndex).
	maps []mapPlan
	// filterMap, filterOffset: where the variable "filter" lives (a
	// global of the program, in its .bss map).
	filterMap    int
	filterOffset uint32
	license      string
	// code is the program, relocated and encoded in the object's byte
	// order.
	code []byte
	// btf is the program's own BTF, encoded for the kernel, and funcInfo
	// its bpf_func_info records (8 bytes each): the kernel requires them
	// of a program with more than one function (walk_word, the bpf_loop
	// callback).
	btf      []byte
	funcInfo []byte
}

// mapPlan is the shape of one map of the program.
type mapPlan struct {
	name       string
	typ        ebpf.MapType
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	flags      uint32
}

// relocKey names what a load plan was derived from: the kernel (its build
// ID, and the size of its BTF) and the program (the embedded object's
// SHA-256).
//
// Why the build ID is enough: the kernel's BTF (/sys/kernel/btf/vmlinux)
// is the .BTF section of the vmlinux image, generated from that image's
// own debug information and linked into it, and the GNU build ID is the
// linker's hash over the linked image. The same build ID therefore means
// the same BTF: the same type IDs and the same field offsets, which are
// all the plan takes from it. Modules' BTF plays no part (the program
// reads only vmlinux types). A kernel built without a build ID has no
// note: the key is then the BTF's CRC-32C, as read in full (kernelBTFSum).
type relocKey struct {
	// kernel is "build-id HEX" or, without a build ID, "btf-crc32c HEX".
	kernel   string
	btfSize  int64
	objectID string
}

// kernelRelocKey names the running kernel and the embedded object. It
// reads the kernel's build ID from notes (a few hundred bytes), and
// checksums the whole BTF at btfPath only when there is none.
func kernelRelocKey(btfPath, notes string) (relocKey, error) {
	fi, err := os.Stat(btfPath)
	if err != nil {
		return relocKey{}, err
	}
	sum := sha256.Sum256(object)
	key := relocKey{btfSize: fi.Size(), objectID: hex.EncodeToString(sum[:])}
	if b, err := kernfile.Read(notes); err == nil {
		if id := gnuBuildID(b, objectOrder); id != nil {
			key.kernel = "build-id " + hex.EncodeToString(id)
			return key, nil
		}
	}
	size, crc, err := kernelBTFSum(btfPath)
	if err != nil {
		return relocKey{}, err
	}
	key.btfSize, key.kernel = size, fmt.Sprintf("btf-crc32c %08x", crc)
	return key, nil
}

// gnuBuildID returns the descriptor of the NT_GNU_BUILD_ID note ("GNU",
// type 3) in notes, a sequence of ELF notes in byte order order, or nil.
func gnuBuildID(notes []byte, order binary.ByteOrder) []byte {
	const ntGNUBuildID = 3
	align := func(n uint32) int { return int((uint64(n) + 3) &^ 3) }
	for len(notes) >= 12 {
		nameSize, descSize, typ := order.Uint32(notes[0:4]), order.Uint32(notes[4:8]), order.Uint32(notes[8:12])
		rest := notes[12:]
		if align(nameSize) > len(rest) || align(descSize) > len(rest)-align(nameSize) {
			return nil
		}
		name, desc := rest[:nameSize], rest[align(nameSize):align(nameSize)+int(descSize)]
		if typ == ntGNUBuildID && string(name) == "GNU\x00" && len(desc) > 0 {
			return desc
		}
		notes = rest[align(nameSize)+align(descSize):]
	}
	return nil
}

// kernelBTFSum reads the kernel's BTF in full and returns its size and
// CRC-32C. The BTF is mapped where the kernel allows it (6.16 on): sysfs
// reads it out one page per read(2).
func kernelBTFSum(btfPath string) (int64, uint32, error) {
	f, err := os.Open(btfPath)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	if m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE); err == nil {
		crc := crc32.Checksum(m, table)
		unix.Munmap(m)
		return fi.Size(), crc, nil
	}
	h := crc32.New(table)
	n, err := io.CopyBuffer(h, f, make([]byte, 64<<10))
	if err != nil {
		return 0, 0, fmt.Errorf("checksum %s: %w", btfPath, err)
	}
	return n, h.Sum32(), nil
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

// sameIndices requires the derived instructions to be at exactly the
// program's instructions idx of that kind.
func sameIndices(kind string, idx []int, derived []relocatedIns) error {
	if len(idx) != len(derived) {
		return fmt.Errorf("program has %d %ss, the derived set %d", len(idx), kind, len(derived))
	}
	for k, ri := range derived {
		if ri.index != idx[k] {
			return fmt.Errorf("%s %d is at instruction %d, the derived one at %d", kind, k, idx[k], ri.index)
		}
	}
	return nil
}

// kernelFuncID is the BTF ID of the kernel function name in kernel.
func kernelFuncID(kernel *btf.Spec, name string) (btf.TypeID, error) {
	var fn *btf.Func
	if err := kernel.TypeByName(name, &fn); err != nil {
		return 0, fmt.Errorf("find %s in kernel BTF: %w", name, err)
	}
	id, err := kernel.TypeID(fn)
	if err != nil {
		return 0, fmt.Errorf("BTF ID of %s: %w", name, err)
	}
	return id, nil
}

// kfuncCalls returns the indices of the instructions that call kernel
// functions (bpf_rdonly_cast).
func kfuncCalls(insns asm.Instructions) []int {
	var idx []int
	for i := range insns {
		if insns[i].IsKfuncCall() {
			idx = append(idx, i)
		}
	}
	return idx
}

// deriveRelocations resolves the program's relocations and attach target
// against the whole kernel BTF: the slow path.
func deriveRelocations(insns asm.Instructions, attachTarget string) (relocations, error) {
	kernel, err := btf.LoadKernelSpec()
	if err != nil {
		return relocations{}, fmt.Errorf("parse kernel BTF: %w", err)
	}
	id, err := kernelFuncID(kernel, attachTarget)
	if err != nil {
		return relocations{}, fmt.Errorf("attach target: %w", err)
	}
	r := relocations{attachID: uint32(id)}
	for _, i := range kfuncCalls(insns) {
		kid, err := kernelFuncID(kernel, insns[i].Reference())
		if err != nil {
			return relocations{}, fmt.Errorf("kernel function: %w", err)
		}
		ins := insns[i]
		// The ID in vmlinux's BTF (offset 0: no module's BTF).
		r.kfuncs = append(r.kfuncs, relocatedIns{index: i, opCode: ins.OpCode, dst: ins.Dst, src: ins.Src, constant: int64(kid)})
	}
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
	if err := sameIndices("kernel function call", kfuncCalls(insns), r.kfuncs); err != nil {
		return err
	}
	for _, ri := range r.kfuncs {
		ins := &insns[ri.index]
		ins.Offset, ins.Constant = 0, ri.constant
	}
	idx, _ := relocatable(insns)
	if err := sameIndices("relocation", idx, r.insns); err != nil {
		return err
	}
	for _, ri := range r.insns {
		ins := &insns[ri.index]
		if ins.OpCode.IsDWordLoad() != ri.opCode.IsDWordLoad() {
			return fmt.Errorf("relocated instruction %d would change size", ri.index)
		}
		ins.OpCode, ins.Dst, ins.Src, ins.Offset, ins.Constant = ri.opCode, ri.dst, ri.src, ri.offset, ri.constant
	}
	return nil
}

// derivePlan makes the load plan from the embedded object and the whole
// kernel BTF: the slow path.
func derivePlan(prog program) (loadPlan, error) {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		return loadPlan{}, fmt.Errorf("parse embedded eBPF object: %w", err)
	}
	progSpec := spec.Programs[prog.name]
	if progSpec == nil {
		return loadPlan{}, fmt.Errorf("embedded eBPF object lacks program %q", prog.name)
	}
	r, err := deriveRelocations(progSpec.Instructions, prog.attach)
	if err != nil {
		return loadPlan{}, err
	}
	insns := slices.Clone(progSpec.Instructions)
	if err := r.apply(insns); err != nil {
		return loadPlan{}, err
	}
	p := loadPlan{program: prog.name, attachID: r.attachID, license: progSpec.License}
	// The maps the program refers to: the object's other programs may
	// have maps of their own.
	used := map[string]bool{}
	for i := range insns {
		if insns[i].IsLoadFromMap() {
			used[insns[i].Reference()] = true
		}
	}
	index := map[string]int{}
	for _, name := range slices.Sorted(maps.Keys(spec.Maps)) {
		if !used[name] {
			continue
		}
		ms := spec.Maps[name]
		// The plan makes maps empty (zeroed): the object's must be.
		for _, kv := range ms.Contents {
			if v, ok := kv.Value.([]byte); !ok || slices.ContainsFunc(v, func(b byte) bool { return b != 0 }) {
				return loadPlan{}, fmt.Errorf("map %s of the embedded object has initial contents", name)
			}
		}
		if ms.InnerMap != nil || ms.Pinning != ebpf.PinNone {
			return loadPlan{}, fmt.Errorf("map %s of the embedded object is a map of maps or pinned", name)
		}
		index[name] = len(p.maps)
		p.maps = append(p.maps, mapPlan{name: name, typ: ms.Type, keySize: ms.KeySize, valueSize: ms.ValueSize, maxEntries: ms.MaxEntries, flags: ms.Flags})
	}
	v := spec.Variables[filterVar]
	if v == nil || v.Size() != 4 {
		return loadPlan{}, fmt.Errorf("embedded eBPF object lacks the 4-byte variable %q", filterVar)
	}
	fm, ok := index[v.SectionName]
	if !ok {
		return loadPlan{}, fmt.Errorf("variable %q is in section %s, which is no map", filterVar, v.SectionName)
	}
	p.filterMap, p.filterOffset = fm, v.Offset
	for i := range insns {
		ins := &insns[i]
		if !ins.IsLoadFromMap() {
			continue
		}
		m, ok := index[ins.Reference()]
		if !ok {
			return loadPlan{}, fmt.Errorf("instruction %d refers to map %q, not in the object", i, ins.Reference())
		}
		// The map's index in place of its descriptor (the low 32 bits);
		// a direct value load keeps its offset (the high 32 bits).
		ins.Constant = int64(uint64(ins.Constant)&^0xffffffff | uint64(m))
	}
	var code bytes.Buffer
	if err := insns.Marshal(&code, objectOrder); err != nil {
		return loadPlan{}, fmt.Errorf("encode the program: %w", err)
	}
	p.code = code.Bytes()
	var b btf.Builder
	if p.funcInfo, _, err = btf.MarshalExtInfos(insns, &b); err != nil {
		return loadPlan{}, fmt.Errorf("encode the program's function information: %w", err)
	}
	if p.btf, err = b.Marshal(nil, btf.KernelMarshalOptions()); err != nil {
		return loadPlan{}, fmt.Errorf("encode the program's BTF: %w", err)
	}
	if err := p.check(); err != nil {
		return loadPlan{}, fmt.Errorf("derived load plan: %w", err)
	}
	return p, nil
}

// check refuses a plan that load could not use as it is.
func (p loadPlan) check() error {
	if !slices.ContainsFunc(programs, func(prog program) bool { return prog.name == p.program }) {
		return fmt.Errorf("unknown program %q", p.program)
	}
	if p.attachID == 0 {
		return errors.New("no attach target")
	}
	if len(p.code) == 0 || len(p.code)%asm.InstructionSize != 0 || len(p.code) > maxPlanCode {
		return fmt.Errorf("code of %d bytes", len(p.code))
	}
	if p.filterMap >= len(p.maps) || uint64(p.filterOffset)+4 > uint64(p.maps[p.filterMap].valueSize) {
		return fmt.Errorf("variable %s at map %d offset %d is outside its map", filterVar, p.filterMap, p.filterOffset)
	}
	if len(p.funcInfo)%funcInfoSize != 0 || (len(p.funcInfo) > 0) != (len(p.btf) > 0) {
		return fmt.Errorf("function information of %d bytes with BTF of %d", len(p.funcInfo), len(p.btf))
	}
	if !slices.ContainsFunc(p.maps, func(m mapPlan) bool { return m.name == wantedMap }) {
		return fmt.Errorf("no map %s", wantedMap)
	}
	_, err := p.patchMapLoads(make([]int, len(p.maps)))
	return err
}

// funcInfoSize is the size of struct bpf_func_info (linux/bpf.h).
const funcInfoSize = 8

// maxPlanCode bounds the program's size in a plan (and so a cache file).
const maxPlanCode = 1 << 15

// patchMapLoads returns a copy of p.code with each map load's map index
// replaced by that map's descriptor, fds[index].
func (p loadPlan) patchMapLoads(fds []int) ([]byte, error) {
	const (
		ldImm64        = 0x18 // BPF_LD | BPF_IMM | BPF_DW: two slots
		pseudoMapFD    = 1
		pseudoMapValue = 2
	)
	code := slices.Clone(p.code)
	for k := 0; k < len(code); k += asm.InstructionSize {
		ins := code[k : k+asm.InstructionSize]
		if ins[0] != ldImm64 {
			continue
		}
		if k+2*asm.InstructionSize > len(code) {
			return nil, fmt.Errorf("instruction %d: a 64-bit load at the end of the code", k/asm.InstructionSize)
		}
		src := ins[1] >> 4
		if objectOrder == binary.BigEndian {
			src = ins[1] & 0xf
		}
		if src == pseudoMapFD || src == pseudoMapValue {
			m := objectOrder.Uint32(ins[4:8])
			if int(m) >= len(fds) {
				return nil, fmt.Errorf("instruction %d refers to map %d of %d", k/asm.InstructionSize, m, len(fds))
			}
			objectOrder.PutUint32(ins[4:8], uint32(fds[m]))
		}
		k += asm.InstructionSize
	}
	return code, nil
}

// readRelocCache returns the load plan in path when the file is this
// (root) user's, writable by no one else, well formed, and derived for
// key; ok is false otherwise, and the caller derives the plan afresh.
func readRelocCache(path string, key relocKey) (p loadPlan, ok bool) {
	if path == "" || os.Geteuid() != 0 {
		return loadPlan{}, false
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return loadPlan{}, false
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Uid != 0 || st.Mode&0o022 != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > 1<<17 {
		return loadPlan{}, false
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return loadPlan{}, false
	}
	p, err = parseRelocCache(b, key)
	return p, err == nil
}

// parseRelocCache decodes a cache file written by formatRelocCache for key:
// its header lines must be key's, its checksum line the SHA-256 of all
// lines before it.
func parseRelocCache(b []byte, key relocKey) (loadPlan, error) {
	body, sumLine, ok := bytes.Cut(b, []byte("\nsum "))
	if !ok {
		return loadPlan{}, errors.New("no checksum line")
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	if string(sumLine) != hex.EncodeToString(sum[:])+"\n" {
		return loadPlan{}, errors.New("checksum does not match")
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	head := strings.Split(formatRelocHeader(key), "\n")
	if len(lines) < len(head)+4 {
		return loadPlan{}, fmt.Errorf("%d lines", len(lines))
	}
	for i, want := range head[:len(head)-1] {
		if lines[i] != want {
			return loadPlan{}, fmt.Errorf("line %d is %q, want %q", i+1, lines[i], want)
		}
	}
	lines = lines[len(head)-1:]
	var p loadPlan
	var err error
	field := func(prefix string) string {
		if err == nil && len(lines) == 0 {
			err = fmt.Errorf("no %s line", prefix)
		}
		if err != nil {
			return ""
		}
		v, ok := strings.CutPrefix(lines[0], prefix+" ")
		if !ok {
			err = fmt.Errorf("line %q, want %s", lines[0], prefix)
			return ""
		}
		lines = lines[1:]
		return v
	}
	p.program = field("program")
	attach := field("attach")
	p.license = field("license")
	if err != nil {
		return loadPlan{}, err
	}
	n, perr := strconv.ParseUint(attach, 10, 32)
	if perr != nil {
		return loadPlan{}, fmt.Errorf("bad attach ID %q", attach)
	}
	p.attachID = uint32(n)
	for len(lines) > 0 && strings.HasPrefix(lines[0], "map ") {
		m, err := parseMapPlan(lines[0])
		if err != nil {
			return loadPlan{}, err
		}
		p.maps = append(p.maps, m)
		lines = lines[1:]
	}
	if len(lines) != 4 {
		return loadPlan{}, fmt.Errorf("%d lines after the maps, want filter, code, btf and funcinfo", len(lines))
	}
	filter := strings.Fields(field("filter"))
	code := field("code")
	progBTF := field("btf")
	funcInfo := field("funcinfo")
	if err != nil {
		return loadPlan{}, err
	}
	if p.btf, err = hex.DecodeString(progBTF); err != nil {
		return loadPlan{}, fmt.Errorf("btf: %w", err)
	}
	if p.funcInfo, err = hex.DecodeString(funcInfo); err != nil {
		return loadPlan{}, fmt.Errorf("funcinfo: %w", err)
	}
	if len(p.btf) == 0 {
		p.btf, p.funcInfo = nil, nil
	}
	if len(filter) != 2 {
		return loadPlan{}, fmt.Errorf("bad filter line %q", filter)
	}
	fm, err1 := strconv.ParseUint(filter[0], 10, 16)
	fo, err2 := strconv.ParseUint(filter[1], 10, 32)
	if err1 != nil || err2 != nil {
		return loadPlan{}, fmt.Errorf("bad filter line %q", filter)
	}
	p.filterMap, p.filterOffset = int(fm), uint32(fo)
	if p.code, err = hex.DecodeString(code); err != nil {
		return loadPlan{}, fmt.Errorf("code: %w", err)
	}
	if err := p.check(); err != nil {
		return loadPlan{}, err
	}
	return p, nil
}

// parseMapPlan decodes "map NAME TYPE KEYSIZE VALUESIZE MAXENTRIES FLAGS".
func parseMapPlan(line string) (mapPlan, error) {
	f := strings.Fields(line)
	if len(f) != 7 || f[0] != "map" {
		return mapPlan{}, fmt.Errorf("bad map line %q", line)
	}
	var v [5]uint32
	for i := range v {
		n, err := strconv.ParseUint(f[i+2], 10, 32)
		if err != nil {
			return mapPlan{}, fmt.Errorf("bad map line %q", line)
		}
		v[i] = uint32(n)
	}
	return mapPlan{name: f[1], typ: ebpf.MapType(v[0]), keySize: v[1], valueSize: v[2], maxEntries: v[3], flags: v[4]}, nil
}

// formatRelocHeader is the first lines of a cache file for key.
func formatRelocHeader(key relocKey) string {
	return fmt.Sprintf("%s\nobject %s\nkernel %s\nbtf %d\n", relocCacheHeader, key.objectID, key.kernel, key.btfSize)
}

// formatRelocCache encodes p, derived for key.
func formatRelocCache(key relocKey, p loadPlan) string {
	var b strings.Builder
	b.WriteString(formatRelocHeader(key))
	fmt.Fprintf(&b, "program %s\nattach %d\nlicense %s\n", p.program, p.attachID, p.license)
	for _, m := range p.maps {
		fmt.Fprintf(&b, "map %s %d %d %d %d %d\n", m.name, uint32(m.typ), m.keySize, m.valueSize, m.maxEntries, m.flags)
	}
	fmt.Fprintf(&b, "filter %d %d\ncode %s\n", p.filterMap, p.filterOffset, hex.EncodeToString(p.code))
	fmt.Fprintf(&b, "btf %s\nfuncinfo %s\n", hex.EncodeToString(p.btf), hex.EncodeToString(p.funcInfo))
	sum := sha256.Sum256([]byte(b.String()))
	fmt.Fprintf(&b, "sum %s\n", hex.EncodeToString(sum[:]))
	return b.String()
}

// writeRelocCache keeps p for the next run, in a root-only directory,
// through outfile (a temporary file, synced, renamed over path; a link at
// path is replaced, not followed). Failing only costs the next run the
// full derivation.
func writeRelocCache(path string, key relocKey, p loadPlan) {
	if path == "" || os.Geteuid() != 0 {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	_ = outfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, formatRelocCache(key, p))
		return err
	})
}

// progLoadAttr is union bpf_attr for BPF_PROG_LOAD (linux/bpf.h) up to
// attach_btf_obj_fd; the kernel takes a shorter attr than its own as
// zero-extended.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              unsafe.Pointer
	license            unsafe.Pointer
	logLevel           uint32
	logSize            uint32
	logBuf             unsafe.Pointer
	kernVersion        uint32
	progFlags          uint32
	progName           [unix.BPF_OBJ_NAME_LEN]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFd          uint32
	funcInfoRecSize    uint32
	funcInfo           unsafe.Pointer
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           unsafe.Pointer
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachBTFObjFd     uint32
	coreReloCnt        uint32
}

// load makes p's maps, loads its program and attaches the iterator.
func (p loadPlan) load() (*iterator, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	it := &iterator{inMap: map[uint64]struct{}{}, filterOffset: p.filterOffset, program: p.program, prog: -1, link: -1, wanted: -1, globals: -1}
	fds := make([]int, len(p.maps))
	for i, m := range p.maps {
		fd, err := createMap(m)
		if err != nil {
			it.close()
			return nil, fmt.Errorf("make map %s: %w", m.name, err)
		}
		it.maps = append(it.maps, fd)
		fds[i] = fd
		if m.name == wantedMap {
			it.wanted, it.capacity = fd, int(m.maxEntries)
		}
		if i == p.filterMap {
			it.globals, it.globalsSize = fd, int(m.valueSize)
		}
	}
	if it.wanted < 0 || it.globals < 0 {
		it.close()
		return nil, fmt.Errorf("load plan of %s: no map %s or no globals", p.program, wantedMap)
	}
	code, err := p.patchMapLoads(fds)
	if err != nil {
		it.close()
		return nil, err
	}
	license := append([]byte(p.license), 0)
	attr := progLoadAttr{
		progType:           unix.BPF_PROG_TYPE_TRACING,
		insnCnt:            uint32(len(code) / asm.InstructionSize),
		insns:              unsafe.Pointer(&code[0]),
		license:            unsafe.Pointer(&license[0]),
		expectedAttachType: unix.BPF_TRACE_ITER,
		attachBTFID:        p.attachID,
	}
	copy(attr.progName[:unix.BPF_OBJ_NAME_LEN-1], p.program)
	if len(p.btf) > 0 {
		h, err := loadBTF(p.btf)
		if err != nil {
			it.close()
			return nil, fmt.Errorf("load the program's BTF: %w", err)
		}
		// The program holds its own reference to the BTF.
		defer unix.Close(h)
		attr.progBTFFd = uint32(h)
		attr.funcInfoRecSize = funcInfoSize
		attr.funcInfo = unsafe.Pointer(&p.funcInfo[0])
		attr.funcInfoCnt = uint32(len(p.funcInfo) / funcInfoSize)
	}
	fd, err := progLoad(&attr)
	if err != nil {
		// Again with the verifier's log, for an error that says why.
		log := make([]byte, 64<<10)
		attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), unsafe.Pointer(&log[0])
		if fd2, err2 := progLoad(&attr); err2 == nil {
			fd, err = fd2, nil
		} else {
			err = fmt.Errorf("%w: %s", err, lastLogLine(log))
		}
		runtime.KeepAlive(log)
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	runtime.KeepAlive(p.funcInfo)
	if err != nil {
		it.close()
		return nil, fmt.Errorf("BPF_PROG_LOAD %s: %w", p.program, err)
	}
	it.prog = fd
	it.link, err = attachIter(fd)
	if err != nil {
		it.close()
		return nil, fmt.Errorf("attach eBPF task_file iterator: %w", err)
	}
	return it, nil
}

// progLoad makes the bpf(BPF_PROG_LOAD) call, retried a few times on
// EAGAIN (a signal during verification), and returns the program's fd.
func progLoad(attr *progLoadAttr) (int, error) {
	for range 5 {
		fd, err := bpfCall(unix.BPF_PROG_LOAD, attr)
		if err != unix.EAGAIN {
			return fd, err
		}
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
