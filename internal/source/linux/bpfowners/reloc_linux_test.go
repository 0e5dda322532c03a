package bpfowners

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/fdscan"
)

// sampleRelocs is a relocation set in the shape deriveRelocations makes.
var sampleRelocs = relocations{attachID: 64261, insns: []relocatedIns{
	{index: 1, opCode: 121, dst: 2, src: 7},
	{index: 14, opCode: 97, dst: 6, src: 1, offset: 1268},
	{index: 68, opCode: 105, dst: 2, src: 1, constant: -3},
}}

var sampleKey = relocKey{btfSize: 5516713, btfCRC: 0x4d1b317f, objectID: strings.Repeat("e4", 32)}

// TestParseRelocCache reads back what formatRelocCache writes, and refuses
// every file that is stale, for another program, damaged or cut short.
func TestParseRelocCache(t *testing.T) {
	good := formatRelocCache(sampleKey, sampleRelocs)
	r, err := parseRelocCache([]byte(good), sampleKey)
	if err != nil {
		t.Fatalf("parse own output: %v\n%s", err, good)
	}
	if !reflect.DeepEqual(r, sampleRelocs) {
		t.Fatalf("read back %+v, want %+v", r, sampleRelocs)
	}
	otherKernel := sampleKey
	otherKernel.btfCRC ^= 1
	resized := sampleKey
	resized.btfSize++
	otherObject := sampleKey
	otherObject.objectID = strings.Repeat("00", 32)
	tests := []struct {
		name string
		file string
		key  relocKey
	}{
		{"another kernel's BTF", good, otherKernel},
		{"BTF of another size", good, resized},
		{"another program", good, otherObject},
		{"empty", "", sampleKey},
		{"cut short", good[:len(good)-4], sampleKey},
		{"no end", strings.TrimSuffix(good, "end\n"), sampleKey},
		{"more after the end", good + "ins 90 121 1 1 0 0\n", sampleKey},
		{"other format version", strings.Replace(good, relocCacheHeader, "openports task_file relocations 2", 1), sampleKey},
		{"attach ID 0", strings.Replace(good, "attach 64261", "attach 0", 1), sampleKey},
		{"attach ID not a number", strings.Replace(good, "attach 64261", "attach x", 1), sampleKey},
		{"register out of range", strings.Replace(good, "ins 1 121 2 7", "ins 1 121 2 11", 1), sampleKey},
		{"opcode out of range", strings.Replace(good, "ins 1 121", "ins 1 256", 1), sampleKey},
		{"offset out of range", strings.Replace(good, "1268", "40000", 1), sampleKey},
		{"missing field", strings.Replace(good, "ins 1 121 2 7 0 0", "ins 1 121 2 7 0", 1), sampleKey},
		{"instructions out of order", strings.Replace(good, "ins 68 ", "ins 2 ", 1), sampleKey},
		{"binary garbage", "\x00\xff\x13\n", sampleKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := parseRelocCache([]byte(tt.file), tt.key); err == nil {
				t.Errorf("accepted, read %+v", r)
			}
		})
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
	insns := append(spec.Instructions[:0:0], spec.Instructions...)
	if err := fits.apply(insns); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got, want := insns[idx[0]].Offset, spec.Instructions[idx[0]].Offset+8; got != want {
		t.Errorf("instruction %d offset %d after apply, want %d", idx[0], got, want)
	}
	short := fits
	short.insns = fits.insns[1:]
	moved := relocations{attachID: 1, insns: append([]relocatedIns(nil), fits.insns...)}
	moved.insns[0].index++
	for name, r := range map[string]relocations{"one missing": short, "at another instruction": moved} {
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
	key, err := kernelRelocKey(kernelBTF)
	if err != nil {
		t.Fatal(err)
	}
	spec := taskFileSpec(t)
	good, err := deriveRelocations(spec.Instructions)
	if err != nil {
		t.Fatal(err)
	}
	stale := key
	stale.btfCRC ^= 1
	wrongAttach := good
	wrongAttach.attachID = 1 // a type, not bpf_iter_task_file
	// The first relocated load reads the context: out of its bounds,
	// the verifier refuses it.
	wrongOffset := relocations{attachID: good.attachID, insns: append([]relocatedIns(nil), good.insns...)}
	wrongOffset.insns[0].offset = 4096

	// The kernel refuses both outright.
	for name, r := range map[string]relocations{"attach target": wrongAttach, "field offset": wrongOffset} {
		coll := taskFileMaps(t)
		prog, err := loadTaskFile(spec, coll, r)
		if err == nil {
			prog.Close()
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
		{"corrupt", func(p string) { writeFile(t, p, "openports task_file relocations 1\nobject", 0o600) }},
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
			path := filepath.Join(dir, strings.Repeat("x", i+1), "task_file.reloc")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			tt.write(path)
			defer func(saved string) { relocCacheFile = saved }(relocCacheFile)
			relocCacheFile = path
			for round, wantCached := range []bool{false, true} {
				it, err := loadIter()
				if err != nil {
					t.Fatalf("load %d: %v", round, err)
				}
				if it.relocCached != wantCached {
					t.Errorf("load %d: relocations from the cache: %v, want %v", round, it.relocCached, wantCached)
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
					if r, ok := readRelocCache(path, key); !ok || !reflect.DeepEqual(r, good) {
						t.Errorf("cache after the fall-back: ok %v, %+v; want %+v", ok, r, good)
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
	spec := coll.Programs[programName]
	if spec == nil {
		t.Fatalf("embedded object lacks program %s", programName)
	}
	return spec
}

// taskFileMaps makes the embedded object's maps, closed at the end of t.
func taskFileMaps(t *testing.T) *ebpf.Collection {
	t.Helper()
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		t.Fatal(err)
	}
	delete(spec.Programs, programName)
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(coll.Close)
	return coll
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
