package fdscan

import (
	"fmt"
	"testing"
)

// BenchmarkScanFakeTree scans a fake /proc of 2,000 processes with 50
// descriptors each (100,000 links, a tenth of them sockets) for 100 wanted
// sockets, each held by two processes.
func BenchmarkScanFakeTree(b *testing.B) {
	const procs, fds, sockets = 2000, 50, 100
	root := b.TempDir()
	var list []fakeProc
	want := make(map[uint64]struct{}, sockets)
	for i := range procs {
		p := fakeProc{
			pid: 1000 + i, comm: "proc", ppid: 1, start: uint64(10 + i),
			cmdline: "proc\x00--flag\x00", exe: "/usr/bin/proc", fds: make(map[int]string, fds),
		}
		for fd := range fds {
			switch {
			case fd%10 == 3:
				// Unwanted sockets, unique per process.
				p.fds[fd] = fmt.Sprintf("socket:[%d]", 1_000_000+i*fds+fd)
			case fd%3 == 0:
				p.fds[fd] = fmt.Sprintf("pipe:[%d]", 500_000+i*fds+fd)
			default:
				p.fds[fd] = "/dev/null"
			}
		}
		if i%(procs/sockets/2) == 0 {
			ino := uint64(10_000 + i/(procs/sockets))
			p.fds[fds] = fmt.Sprintf("socket:[%d]", ino)
			want[ino] = struct{}{}
		}
		list = append(list, p)
	}
	writeTree(b, root, list)
	if len(want) != sockets {
		b.Fatalf("%d wanted sockets, want %d", len(want), sockets)
	}
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := &Scanner{ProcRoot: root, Workers: workers, LookupUser: fakeLookup}
			for b.Loop() {
				res, err := s.Scan(want)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Owners) != sockets {
					b.Fatalf("found owners of %d sockets, want %d", len(res.Owners), sockets)
				}
			}
		})
	}
}

// BenchmarkScanProc scans the real /proc for every socket the benchmark
// process itself holds (none besides the runtime's), so it measures the
// full pass over every process's descriptor table.
func BenchmarkScanProc(b *testing.B) {
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := &Scanner{Workers: workers}
			want := map[uint64]struct{}{1: {}}
			var procs int
			for b.Loop() {
				res, err := s.Scan(want)
				if err != nil {
					b.Fatal(err)
				}
				procs = res.Processes
			}
			b.ReportMetric(float64(procs), "procs")
		})
	}
}
