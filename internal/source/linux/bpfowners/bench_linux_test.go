package bpfowners

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/openports/openports/internal/source/linux/fdscan"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// listeningInodes returns what the collector asks owners for: the inodes of
// the listening and unconnected TCP/UDP sockets of this network namespace.
func listeningInodes(b *testing.B) map[uint64]struct{} {
	b.Helper()
	c, err := sockdiag.Open(-1)
	if err != nil {
		b.Skipf("sock_diag: %v", err)
	}
	defer c.Close()
	res, err := c.Dump(sockdiag.Query{})
	if err != nil {
		b.Fatalf("sock_diag dump: %v", err)
	}
	set := make(map[uint64]struct{}, len(res.Sockets))
	for _, s := range res.Sockets {
		if s.Inode != 0 {
			set[s.Inode] = struct{}{}
		}
	}
	return set
}

// hostDescriptors counts the open descriptors of the host and the processes
// holding them: what both ways of scanning pay for.
func hostDescriptors(b *testing.B) (fds, procs int) {
	b.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if d, err := os.ReadDir("/proc/" + e.Name() + "/fd"); err == nil && len(d) > 0 {
			fds += len(d)
			procs++
		}
	}
	return fds, procs
}

// BenchmarkScan compares the two ways of finding the owners of this
// namespace's listening sockets on the live host: the eBPF iterator
// (ebpf) and the /proc walk (proc), both with owner details and
// verification. Run it as root; inside a bench scenario for big hosts:
//
//	go test -c -o /tmp/bpfowners.test ./internal/source/linux/bpfowners
//	go run ./bench/scenario -conns 50000 -- /tmp/bpfowners.test -test.run '^$' -test.bench Scan -test.benchmem
func BenchmarkScan(b *testing.B) {
	requireBPF(b)
	wanted := listeningInodes(b)
	fds, procs := hostDescriptors(b)
	b.Logf("%d wanted sockets; the host holds %d descriptors in %d processes", len(wanted), fds, procs)
	b.Run("ebpf", func(b *testing.B) {
		for b.Loop() {
			if _, err := Scan(wanted, "/proc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proc", func(b *testing.B) {
		s := &fdscan.Scanner{}
		for b.Loop() {
			if _, err := s.Scan(wanted); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoad measures what Available costs the first time in a process,
// which a one-shot run of openports pays once: the load plan (from the
// cache, keyed by the kernel's build ID; or derived from the embedded
// object and the whole kernel BTF), making the maps, loading the program's
// BTF, verification, loading and attaching.
func BenchmarkLoad(b *testing.B) {
	requireBPF(b)
	for _, bc := range []struct {
		name  string
		cache string
	}{
		{"cached", filepath.Join(b.TempDir(), "task_file.plan")},
		{"derived", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			defer func(saved string) { relocCacheFile = saved }(relocCacheFile)
			relocCacheFile = bc.cache
			for b.Loop() {
				it, err := loadIter(0)
				if err != nil {
					b.Fatal(err)
				}
				if err := it.close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWalk measures one read of the loaded iterator with the wanted
// filter set to this namespace's listening sockets: the kernel's walk of
// every descriptor table and the decoding of its records, without the
// /proc cross-check. Run it inside a bench scenario, as BenchmarkScan.
func BenchmarkWalk(b *testing.B) {
	requireBPF(b)
	wanted := listeningInodes(b)
	it, err := load(0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := it.read(wanted, newGrouper(wanted)); err != nil {
			b.Fatal(err)
		}
	}
}
