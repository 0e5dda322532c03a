//go:build linux

package sockdiag

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag/nstest"
)

var capture = flag.Bool("capture", false, "record the raw replies of a live dump in a test namespace to testdata/dump/*.bin")

// TestLiveNamespace binds known sockets in a fresh namespace and asserts
// the exact set sock_diag lists, with and without the state filter.
func TestLiveNamespace(t *testing.T) {
	ns, ok := nstest.Enter(t)
	if !ok {
		return
	}
	fx := nstest.Bind(t)

	for _, tt := range []struct {
		name string
		fd   int
	}{{"calling thread's namespace", -1}, {"namespace fd", int(ns.Fd())}} {
		c, err := Open(tt.fd)
		if err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		res, err := c.Dump(Query{})
		if err != nil {
			t.Fatalf("%s: Dump: %v", tt.name, err)
		}
		assertSet(t, tt.name+", default states", res.Sockets, fx.Unconnected)
		if len(res.Unavailable) != 0 {
			t.Errorf("%s: unavailable %v", tt.name, res.Unavailable)
		}

		rec := map[Request][]byte{}
		if *capture {
			c.record = func(r Request, m netlink.Message) {
				b, err := m.MarshalBinary()
				if err != nil {
					t.Fatalf("marshal reply: %v", err)
				}
				rec[r] = append(rec[r], b...)
			}
		}
		res, err = c.Dump(Query{AllStates: true})
		if err != nil {
			t.Fatalf("%s: Dump all states: %v", tt.name, err)
		}
		c.record = nil
		all := slices.Concat(fx.Unconnected, fx.Connected)
		// Connected IPv6 sockets would carry no v6only flag: the kernel
		// sends INET_DIAG_SKV6ONLY for LISTEN and CLOSE states only. The
		// fixture's connected sockets are IPv4, whose flag is never set.
		assertSet(t, tt.name+", all states", res.Sockets, all)
		if *capture && tt.fd < 0 {
			writeCapture(t, rec)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	// Optional protocols: absent handlers are data, not errors.
	c, err := Open(int(ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Dump(Query{Protos: []snapshot.Proto{snapshot.SCTP, snapshot.Raw}})
	if err != nil {
		t.Fatalf("Dump sctp, raw: %v", err)
	}
	for _, u := range res.Unavailable {
		t.Logf("unavailable: %v (%s)", u.Request, u.Gap().Detail)
		if g := u.Gap(); g.Area != "sockets" || g.Reason != ReasonUnavailable {
			t.Errorf("gap %+v", g)
		}
	}
	var raw []snapshot.Socket
	for _, s := range res.Sockets {
		switch s.Proto {
		case snapshot.Raw:
			s.V6Only = nil // the fixture does not set it on raw sockets
			raw = append(raw, s)
		default:
			t.Errorf("unexpected %s socket %v", s.Proto, s.Local)
		}
	}
	rawAvailable := !slices.ContainsFunc(res.Unavailable, func(u Unavailable) bool { return u.Request.Proto == snapshot.Raw })
	if rawAvailable {
		assertSet(t, "raw", raw, fx.Raw)
	} else if len(raw) != 0 {
		t.Errorf("raw reported unavailable, yet %d raw sockets listed", len(raw))
	}
}

// assertSet compares two socket sets in order. A wanted socket with
// Cookie 0 (the MPTCP listener) matches any cookie.
func assertSet(t *testing.T, what string, got, want []snapshot.Socket) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, snapshot.CompareSockets)
	slices.SortFunc(want, snapshot.CompareSockets)
	for i := range min(len(got), len(want)) {
		if want[i].Cookie == 0 && got[i].Inode == want[i].Inode {
			got[i].Cookie = 0
		}
	}
	if js(t, got) != js(t, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, js(t, got), js(t, want))
	}
}

// writeCapture stores one file per request; the golden test decodes them.
func writeCapture(t *testing.T, rec map[Request][]byte) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Fatal("-capture: fixtures are little-endian; capture on a little-endian host")
	}
	dir := filepath.Join("testdata", "dump")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for r, b := range rec {
		p := filepath.Join(dir, r.fileName())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", p, len(b))
	}
}

// TestOpenErrors checks the arguments Open refuses.
func TestOpenErrors(t *testing.T) {
	if _, err := Open(0); err == nil {
		t.Error("Open(0): no error")
	}
	if _, err := Open(1 << 20); err == nil { // not an open file
		t.Error("Open(bad fd): no error")
	} else if IsRefused(err) {
		t.Errorf("Open(bad fd) = %v, which is not a refusal", err)
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err     error
		refused bool
	}{
		{&netlink.OpError{Op: "receive", Err: unix.EPERM}, true},
		{os.NewSyscallError("socket", unix.EACCES), true},
		{os.NewSyscallError("socket", unix.EPROTONOSUPPORT), true},
		{&netlink.OpError{Op: "receive", Err: unix.EINVAL}, false},
		{unix.ENOENT, false},
	} {
		err := classify("dump tcp/ipv4", tt.err)
		if IsRefused(err) != tt.refused || !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), "dump tcp/ipv4: ") {
			t.Errorf("classify(%v) = %v, refused %v; want refused %v, wrapping it", tt.err, err, IsRefused(err), tt.refused)
		}
	}
}

// TestTransparentInKernel: a listener with IP_TRANSPARENT (which a TPROXY
// rule can hand other machines' connections, whatever its address) is
// dumped with Transparent set, from INET_DIAG_SOCKOPT; one without is not.
// Before, the flag was not read: a transparent listener on 127.0.0.1
// looked loopback-only.
func TestTransparentInKernel(t *testing.T) {
	if _, ok := nstest.Enter(t); !ok {
		return
	}
	listen := func(port int, transparent bool) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if transparent {
			if err := unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_TRANSPARENT, 1); err != nil {
				t.Skipf("IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW: %v", err)
			}
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 1); err != nil {
			t.Fatal(err)
		}
	}
	listen(7401, true)
	listen(7402, false)
	c, err := Open(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Dump(Query{Protos: []snapshot.Proto{snapshot.TCP}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint16]bool{}
	for _, s := range res.Sockets {
		got[s.Local.Port()] = s.Transparent
	}
	if want := map[uint16]bool{7401: true, 7402: false}; !maps.Equal(got, want) {
		t.Errorf("transparent by port %v, want %v", got, want)
	}
	// INET_DIAG_SOCKOPT came with Linux 5.10: without it IP_TRANSPARENT is
	// unread, and Result says so (the collector then looks for TPROXY).
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &major, &minor)
	if want := major > 5 || major == 5 && minor >= 10; res.Sockopt != want {
		t.Errorf("Result.Sockopt %v on Linux %d.%d, want %v", res.Sockopt, major, minor, want)
	}
}
