package bpfowners

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/fdscan"
)

// samplePlan is a load plan in the shape derivePlan makes: a 64-bit load
// of map 1's value at offset 8, a load of map 0's descriptor, exit.
var samplePlan = loadPlan{
	program:  "task_fds",
	attachID: 64261,
	maps: []mapPlan{
		{name: ".bss", typ: ebpf.Array, keySize: 4, valueSize: 28, maxEntries: 1},
		{name: wantedMap, typ: ebpf.Hash, keySize: 8, valueSize: 1, maxEntries: 4096, flags: 1},
	},
	filterMap: 0, filterOffset: 24, license: "Dual BSD/GPL",
	code: sampleCode(),
}

func sampleCode() []byte {
	insns := asm.Instructions{
		asm.LoadMapValue(asm.R1, 1, 8),
		asm.LoadMapPtr(asm.R2, 0),
		asm.Return(),
	}
	var b bytes.Buffer
	if err := insns.Marshal(&b, objectOrder); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var sampleKey = relocKey{kernel: "build-id 4a5a9b0affb66c437abcd455d2738af879985fa9", btfSize: 5516713, objectID: strings.Repeat("e4", 32)}

// TestParseRelocCache reads back what formatRelocCache writes, and refuses
// every file that is stale, for another program, damaged or cut short.
func TestParseRelocCache(t *testing.T) {
	good := formatRelocCache(sampleKey, samplePlan)
	p, err := parseRelocCache([]byte(good), sampleKey)
	if err != nil {
		t.Fatalf("parse own output: %v\n%s", err, good)
	}
	if !reflect.DeepEqual(p, samplePlan) {
		t.Fatalf("read back %+v, want %+v", p, samplePlan)
	}
	otherKernel := sampleKey
	otherKernel.kernel = "build-id 00"
	crcKernel := sampleKey
	crcKernel.kernel = "btf-crc32c 4d1b317f"
	resized := sampleKey
	resized.btfSize++
	otherObject := sampleKey
	otherObject.objectID = strings.Repeat("00", 32)
	// resum replaces old by new in good and writes the checksum the
	// result would have, so that what is refused is the content.
	resum := func(old, new string) string {
		body, _, _ := strings.Cut(strings.Replace(good, old, new, 1), "sum ")
		sum := sha256.Sum256([]byte(body))
		return body + "sum " + hex.EncodeToString(sum[:]) + "\n"
	}
	code := hex.EncodeToString(samplePlan.code)
	tests := []struct {
		name string
		file string
		key  relocKey
	}{
		{"another kernel build", good, otherKernel},
		{"a kernel without build ID", good, crcKernel},
		{"BTF of another size", good, resized},
		{"another program", good, otherObject},
		{"empty", "", sampleKey},
		{"cut short", good[:len(good)-4], sampleKey},
		{"no checksum", strings.Split(good, "sum ")[0], sampleKey},
		{"a byte changed", strings.Replace(good, "attach 64261", "attach 64262", 1), sampleKey},
		{"more after the checksum", good + "map x 1 4 4 1 0\n", sampleKey},
		{"other format version", resum(relocCacheHeader, "openports task_file relocations 1"), sampleKey},
		{"attach ID 0", resum("attach 64261", "attach 0"), sampleKey},
		{"unknown program", resum("program task_fds", "program task_vma"), sampleKey},
		{"no program line", resum("program task_fds\n", ""), sampleKey},
		{"attach ID not a number", resum("attach 64261", "attach x"), sampleKey},
		{"map line short", resum("map wanted 1 8 1 4096 1", "map wanted 1 8 1 4096"), sampleKey},
		{"map size not a number", resum("map wanted 1 8 1 4096 1", "map wanted 1 8 1 -1 1"), sampleKey},
		{"no wanted map", resum("map wanted ", "map unwanted "), sampleKey},
		{"filter outside its map", resum("filter 0 24", "filter 0 25"), sampleKey},
		{"filter in no map", resum("filter 0 24", "filter 2 0"), sampleKey},
		{"code not hex", resum("code "+code, "code "+code[:len(code)-1]+"x"), sampleKey},
		{"code not whole instructions", resum("code "+code, "code "+code[:len(code)-2]), sampleKey},
		{"code refers to a map not in the plan", resum("code "+code, "code "+strings.Replace(code, "18210000"+"01000000", "18210000"+"07000000", 1)), sampleKey},
		{"code ends inside a 64-bit load", resum("code "+code, "code "+code[:16]), sampleKey},
		{"no code", resum("code "+code, "code "), sampleKey},
		{"binary garbage", "\x00\xff\x13\n", sampleKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file == good && tt.key == sampleKey {
				t.Fatal("the case changes nothing")
			}
			if p, err := parseRelocCache([]byte(tt.file), tt.key); err == nil {
				t.Errorf("accepted, read %+v", p)
			} else {
				t.Log(err)
			}
		})
	}
}

// TestPatchMapLoads checks that a load plan's map loads get the maps'
// descriptors and keep their value offsets, and nothing else changes.
func TestPatchMapLoads(t *testing.T) {
	code, err := samplePlan.patchMapLoads([]int{11, 12})
	if err != nil {
		t.Fatal(err)
	}
	want := asm.Instructions{asm.LoadMapValue(asm.R1, 12, 8), asm.LoadMapPtr(asm.R2, 11), asm.Return()}
	var b bytes.Buffer
	if err := want.Marshal(&b, objectOrder); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(code, b.Bytes()) {
		t.Errorf("patched code\n%x\nwant\n%x", code, b.Bytes())
	}
	if bytes.Equal(code, samplePlan.code) {
		t.Error("the plan's own code changed")
	}
}

// TestGNUBuildID reads the build ID from a real kernel's notes
// (testdata/kernel-notes: /sys/kernel/notes of the development machine's
// kernel, see testdata/MANIFEST.md), and finds none where there is none.
func TestGNUBuildID(t *testing.T) {
	notes, err := os.ReadFile("testdata/kernel-notes")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(gnuBuildID(notes, binary.LittleEndian)), "4a5a9b0affb66c437abcd455d2738af879985fa9"; got != want {
		t.Errorf("build ID %s, want %s", got, want)
	}
	// Without the first note (the build ID), and cut inside a note.
	first := 12 + 4 + 20
	for name, b := range map[string][]byte{"other notes only": notes[first:], "cut short": notes[:first-1], "empty": nil} {
		if id := gnuBuildID(b, binary.LittleEndian); id != nil {
			t.Errorf("%s: build ID %x", name, id)
		}
	}
	// The running kernel's: a build ID if it has the note.
	if live, err := os.ReadFile(kernelNotes); err == nil && gnuBuildID(live, objectOrder) != nil {
		key, err := kernelRelocKey(kernelBTF, kernelNotes)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key.kernel, "build-id ") {
			t.Errorf("key %+v does not name the build ID", key)
		}
	}
	// A kernel without notes: the key is the BTF's checksum.
	if _, err := os.Stat(kernelBTF); err == nil {
		key, err := kernelRelocKey(kernelBTF, filepath.Join(t.TempDir(), "none"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key.kernel, "btf-crc32c ") || key.btfSize == 0 {
			t.Errorf("key without notes %+v, want the BTF's checksum and size", key)
		}
	}
}

// TestApplyRelocations refuses relocations that do not fit the program's
// instructions.
func TestApplyRelocations(t *testing.T) {
	spec := taskFileSpec(t)
	idx, _ := relocatable(spec.Instructions)
	if len(idx) == 0 {
		t.Fatal("the task_file program has no CO-RE relocations")
	}
	fits := relocations{attachID: 1}
	for _, i := range idx {
		ins := spec.Instructions[i]
		fits.insns = append(fits.insns, relocatedIns{index: i, opCode: ins.OpCode, dst: ins.Dst, src: ins.Src, offset: ins.Offset + 8, constant: ins.Constant})
	}
	calls := kfuncCalls(spec.Instructions)
	if len(calls) == 0 {
		t.Fatalf("%s calls no kernel function", programs[0].name)
	}
	for _, i := range calls {
		ins := spec.Instructions[i]
		fits.kfuncs = append(fits.kfuncs, relocatedIns{index: i, opCode: ins.OpCode, dst: ins.Dst, src: ins.Src, constant: 4242})
	}
	insns := append(spec.Instructions[:0:0], spec.Instructions...)
	if err := fits.apply(insns); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got, want := insns[idx[0]].Offset, spec.Instructions[idx[0]].Offset+8; got != want {
		t.Errorf("instruction %d offset %d after apply, want %d", idx[0], got, want)
	}
	if got := insns[calls[0]].Constant; got != 4242 {
		t.Errorf("kernel function call %d: BTF ID %d after apply, want 4242", calls[0], got)
	}
	short := fits
	short.insns = fits.insns[1:]
	moved := relocations{attachID: 1, insns: append([]relocatedIns(nil), fits.insns...), kfuncs: fits.kfuncs}
	moved.insns[0].index++
	noCall := fits
	noCall.kfuncs = fits.kfuncs[1:]
	movedCall := relocations{attachID: 1, insns: fits.insns, kfuncs: append([]relocatedIns(nil), fits.kfuncs...)}
	movedCall.kfuncs[0].index++
	for name, r := range map[string]relocations{"one missing": short, "at another instruction": moved, "a kernel function call missing": noCall, "a kernel function call at another instruction": movedCall} {
		if err := r.apply(append(spec.Instructions[:0:0], spec.Instructions...)); err == nil {
			t.Errorf("%s: applied", name)
		}
	}
}

// TestRelocCacheFallback loads the iterator with the cache empty, stale,
// damaged, untrustworthy or wrong for this kernel, and checks that each
// time it falls back to the full derivation, loads a program that finds
// this process's socket, and leaves a cache the next load uses.
func TestRelocCacheFallback(t *testing.T) {
	requireBPF(t)
	fd, ino := openSocket(t, unix.AF_INET, unix.SOCK_DGRAM)
	key, err := kernelRelocKey(kernelBTF, kernelNotes)
	if err != nil {
		t.Fatal(err)
	}
	good, err := derivePlan(programs[0])
	if err != nil {
		t.Fatal(err)
	}
	stale := key
	stale.kernel += "0"
	wrongAttach := good
	wrongAttach.attachID = 1 // a type, not bpf_iter_task_file
	// The first relocated instruction reads the context: out of its
	// bounds, the verifier refuses it.
	r, err := deriveRelocations(taskFileSpec(t).Instructions, programs[0].attach)
	if err != nil {
		t.Fatal(err)
	}
	wrongOffset := good
	wrongOffset.code = slices.Clone(good.code)
	objectOrder.PutUint16(wrongOffset.code[r.insns[0].index*asm.InstructionSize+2:], 4096)

	// The kernel refuses both outright.
	for name, p := range map[string]loadPlan{"attach target": wrongAttach, "field offset": wrongOffset} {
		it, err := p.load()
		if err == nil {
			it.close()
			t.Fatalf("wrong %s: the kernel loaded the program", name)
		}
		t.Logf("wrong %s: %v", name, err)
	}

	dir := t.TempDir()
	tests := []struct {
		name  string
		write func(path string)
	}{
		{"no cache", func(string) {}},
		{"stale: another kernel", func(p string) { writeFile(t, p, formatRelocCache(stale, good), 0o600) }},
		{"corrupt", func(p string) { writeFile(t, p, relocCacheHeader+"\nobject", 0o600) }},
		{"right key, attach target refused by the kernel", func(p string) { writeFile(t, p, formatRelocCache(key, wrongAttach), 0o600) }},
		{"right key, field offsets refused by the verifier", func(p string) { writeFile(t, p, formatRelocCache(key, wrongOffset), 0o600) }},
		{"writable by others", func(p string) { writeFile(t, p, formatRelocCache(key, good), 0o666) }},
		{"symbolic link", func(p string) {
			target := p + ".target"
			writeFile(t, target, formatRelocCache(key, good), 0o600)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(dir, strings.Repeat("x", i+1), "task_file.plan")
			path := planPath(base, key.objectID)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			tt.write(path)
			defer func(saved string) { relocCacheFile = saved }(relocCacheFile)
			relocCacheFile = base
			for round, wantCached := range []bool{false, true} {
				it, err := loadIter(0)
				if err != nil {
					t.Fatalf("load %d: %v", round, err)
				}
				if it.relocCached != wantCached {
					t.Errorf("load %d: load plan from the cache: %v, want %v", round, it.relocCached, wantCached)
				}
				wanted := map[uint64]struct{}{ino: {}}
				g := newGrouper(wanted)
				err = it.read(wanted, g)
				if cerr := it.close(); cerr != nil {
					t.Error(cerr)
				}
				if err != nil {
					t.Fatalf("load %d: read: %v", round, err)
				}
				var socks []fdscan.SocketFD
				for k, s := range g.held {
					if k.tgid == uint32(os.Getpid()) {
						socks = append(socks, s...)
					}
				}
				if g.sockets != 1 || len(socks) != 1 || socks[0].Inode != ino || socks[0].FD != fd {
					t.Errorf("load %d: %d socket records, this process's %+v; want its socket %d on fd %d", round, g.sockets, socks, ino, fd)
				}
				if round == 0 {
					if p, ok := readRelocCache(path, key); !ok || !reflect.DeepEqual(p, good) {
						t.Errorf("cache after the fall-back: ok %v, %+v; want %+v", ok, p, good)
					}
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// taskFileSpec is the embedded iterator program's spec.
func taskFileSpec(t *testing.T) *ebpf.ProgramSpec {
	t.Helper()
	coll, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		t.Fatal(err)
	}
	spec := coll.Programs[programs[0].name]
	if spec == nil {
		t.Fatalf("embedded object lacks program %s", programs[0].name)
	}
	return spec
}

// TestProgLoadAttrLayout checks progLoadAttr against union bpf_attr's
// BPF_PROG_LOAD layout in linux/bpf.h, on every architecture.
func TestProgLoadAttrLayout(t *testing.T) {
	var a progLoadAttr
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"insns", unsafe.Offsetof(a.insns), 8},
		{"log_buf", unsafe.Offsetof(a.logBuf), 32},
		{"prog_name", unsafe.Offsetof(a.progName), 48},
		{"expected_attach_type", unsafe.Offsetof(a.expectedAttachType), 68},
		{"func_info", unsafe.Offsetof(a.funcInfo), 80},
		{"line_info", unsafe.Offsetof(a.lineInfo), 96},
		{"attach_btf_id", unsafe.Offsetof(a.attachBTFID), 108},
		{"attach_btf_obj_fd", unsafe.Offsetof(a.attachBTFObjFd), 112},
		{"size", unsafe.Sizeof(a), 120},
	} {
		if f.got != f.want {
			t.Errorf("%s at %d, want %d", f.name, f.got, f.want)
		}
	}
}

// TestPlanPath: each object has a cache file of its own, so that two
// versions of openports do not overwrite each other's plan at every run.
func TestPlanPath(t *testing.T) {
	tests := []struct{ cache, object, want string }{
		{"/var/cache/openports/task_file.plan", strings.Repeat("e4", 32), "/var/cache/openports/task_file-e4e4e4e4e4e4e4e4.plan"},
		{"/var/cache/openports/task_file.plan", strings.Repeat("00", 32), "/var/cache/openports/task_file-0000000000000000.plan"},
		{"", strings.Repeat("e4", 32), ""},
	}
	for _, tt := range tests {
		if got := planPath(tt.cache, tt.object); got != tt.want {
			t.Errorf("planPath(%q, %q) = %q, want %q", tt.cache, tt.object, got, tt.want)
		}
	}
}

// TestWriteRelocCache: the plan is written whole as a root-only regular
// file that reads back, over an older plan or a link planted at its name
// (replaced, its target untouched), leaving no temporary file.
func TestWriteRelocCache(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the load plan cache is root's alone: writeRelocCache does nothing for others")
	}
	dir := filepath.Join(t.TempDir(), "cache")
	path := planPath(filepath.Join(dir, "task_file.plan"), sampleKey.objectID)
	target := filepath.Join(t.TempDir(), "target")
	writeFile(t, target, "precious\n", 0o600)
	for _, before := range []string{"none", "old plan", "link"} {
		switch before {
		case "old plan":
			writeFile(t, path, "openports task_file load plan 1\n", 0o600)
		case "link":
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}
		writeRelocCache(path, sampleKey, samplePlan)
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatalf("%s: %v", before, err)
		}
		if !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: cache file mode %v, want a regular file 0600", before, st.Mode())
		}
		if p, ok := readRelocCache(path, sampleKey); !ok || !reflect.DeepEqual(p, samplePlan) {
			t.Errorf("%s: read back ok %v, %+v", before, ok, p)
		}
		if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 {
			t.Errorf("%s: cache directory holds %v (%v), want the plan alone", before, ents, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}
