package bpfwatch

import (
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/bpfobjects"
)

// TestObjectsUpToDate rebuilds the objects with bpf/generate.sh and
// requires the committed ones to be the same bytes.
func TestObjectsUpToDate(t *testing.T) {
	bpfobjects.CheckUpToDate(t, "watch", "bpf/watch.bpf.c", "watch_bpfel.o", "watch_bpfeb.o")
}

// TestTracerSeesBindAndClose binds and closes a UDP and a TCP socket on
// loopback and expects the bind, listen and close events of this process,
// with the socket's inode (the cookie is matched after SO_COOKIE made it).
func TestTracerSeesBindAndClose(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading eBPF tracing programs needs root (CAP_BPF and CAP_PERFMON)")
	}
	tr, err := Open()
	if err != nil {
		t.Skipf("eBPF tracing not available here: %v", err)
	}
	defer tr.Close()

	type want struct {
		proto  uint16
		cookie uint64
		inode  uint64
		port   uint16
		kinds  []Kind
	}
	var wants []*want
	for _, typ := range []int{unix.SOCK_DGRAM, unix.SOCK_STREAM} {
		fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		w := &want{proto: ProtoUDP, kinds: []Kind{Bind}}
		if typ == unix.SOCK_STREAM {
			if err := unix.Listen(fd, 1); err != nil {
				t.Fatal(err)
			}
			w = &want{proto: ProtoTCP, kinds: []Kind{Bind, Listen, Close}}
		}
		if w.cookie, err = unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_COOKIE); err != nil {
			t.Fatal(err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			t.Fatal(err)
		}
		w.port = uint16(sa.(*unix.SockaddrInet4).Port)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		w.inode = st.Ino
		unix.Close(fd)
		wants = append(wants, w)
	}
	pid := os.Getpid()
	tr.SetDeadline(time.Now().Add(5 * time.Second))
	for range 10000 {
		done := true
		for _, w := range wants {
			done = done && len(w.kinds) == 0
		}
		if done {
			break
		}
		e, err := tr.Read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			mine := e.Inode == w.inode || (e.Kind == Close && e.Cookie == w.cookie)
			if !mine || len(w.kinds) == 0 {
				continue
			}
			if e.Kind != w.kinds[0] {
				t.Errorf("proto %d: event %s, want %s", w.proto, e.Kind, w.kinds[0])
			}
			w.kinds = w.kinds[1:]
			// A closing listener has already given its port back.
			wantLocal := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), w.port)
			if e.Kind == Close {
				wantLocal = netip.AddrPortFrom(wantLocal.Addr(), 0)
			}
			if e.Protocol != w.proto || e.Local != wantLocal {
				t.Errorf("event %+v: want proto %d, 127.0.0.1:%d", e, w.proto, w.port)
			}
			if e.Kind != Close && (e.PID != pid || e.Inode != w.inode || e.Comm == "") {
				t.Errorf("event %+v: want pid %d, inode %d and a comm", e, pid, w.inode)
			}
		}
	}
	for _, w := range wants {
		if len(w.kinds) > 0 {
			t.Errorf("proto %d: events %v not seen", w.proto, w.kinds)
		}
	}
	if n, err := tr.Lost(); err != nil || n != 0 {
		t.Errorf("Lost() = %d, %v", n, err)
	}
}
