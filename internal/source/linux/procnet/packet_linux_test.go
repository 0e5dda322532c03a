//go:build linux

package procnet

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/sockdiag/nstest"
)

// TestPacketLive parses the /proc/net/packet of a fresh namespace holding
// a SOCK_RAW packet socket of ETH_P_ALL and a SOCK_DGRAM one of ETH_P_IP
// bound to lo: every column ParsePacket keeps is as the sockets were made.
func TestPacketLive(t *testing.T) {
	if _, ok := nstest.Enter(t); !ok {
		return
	}
	open := func(typ int, proto uint16, ifindex int) uint64 {
		t.Helper()
		fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, int(htons(proto)))
		if err != nil {
			t.Skipf("AF_PACKET socket: %v", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if ifindex != 0 {
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex}); err != nil {
				t.Fatalf("bind to ifindex %d: %v", ifindex, err)
			}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	all := open(unix.SOCK_RAW, unix.ETH_P_ALL, 0)
	ip := open(unix.SOCK_DGRAM, unix.ETH_P_IP, 1) // lo
	f, err := os.Open("/proc/thread-self/net/packet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ParsePacket(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]Packet{
		all: {Type: unix.SOCK_RAW, Protocol: unix.ETH_P_ALL, Inode: all},
		ip:  {Type: unix.SOCK_DGRAM, Protocol: unix.ETH_P_IP, IfIndex: 1, Inode: ip},
	}
	if len(rows) != len(want) {
		t.Fatalf("parsed %+v, want %+v", rows, want)
	}
	for _, r := range rows {
		w := want[r.Inode]
		w.UID = r.UID // as the namespace maps it
		if r != w || r.UID != uint32(os.Geteuid()) && r.UID != 0 {
			t.Errorf("row %+v, want %+v", r, w)
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
