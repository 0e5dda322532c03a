package analysis

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// synthetic returns a snapshot of n listening sockets spread over n/4
// processes, half v4 and half v6, a tenth on loopback.
func synthetic(n int) *snapshot.Snapshot {
	s := &snapshot.Snapshot{Schema: 1, BindV6Only: snapshot.Bool(false)}
	for i := 0; i < n; i++ {
		addr := netip.IPv4Unspecified()
		switch {
		case i%10 == 0:
			addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		case i%2 == 1:
			addr = netip.IPv6Unspecified()
		}
		pid := 1000 + i/4
		s.Sockets = append(s.Sockets, snapshot.Socket{
			Proto: snapshot.TCP, Local: netip.AddrPortFrom(addr, uint16(1024+i/2)), State: snapshot.Listen,
			Inode: uint64(10000 + i), UID: snapshot.Uint32(0), V6Only: snapshot.Bool(true), OwnerState: snapshot.OwnersComplete,
			Owners: []snapshot.Owner{{PID: pid, StartTime: uint64(pid), Name: "srv", User: "root", FDs: []int{3 + i%4}}},
		})
	}
	return s
}

func BenchmarkBuild(b *testing.B) {
	// A real snapshot: interfaces and a ruleset, so every row is probed.
	real, err := snapshot.ReadFile("testdata/bench-small.snapshot.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("bench-small", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Build(real, Options{})
		}
	})
	for _, n := range []int{100, 10000} {
		s := synthetic(n)
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Build(s, Options{})
			}
		})
	}
}
