//go:build linux

package nstest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// Fixture is the set of known sockets Bind creates in a test namespace,
// described as a source should list them.
type Fixture struct {
	// Unconnected are the listening TCP and unconnected UDP and UDP-Lite
	// sockets: what the default state filter must list.
	Unconnected []snapshot.Socket
	// Connected are the connected sockets (an established TCP pair and a
	// connected UDP socket): listed only when all states are asked for.
	Connected []snapshot.Socket
	// Raw are raw sockets (ICMP over IPv4 and IPv6).
	Raw []snapshot.Socket
	// MPTCPInode is the inode of the MPTCP listener on 0.0.0.0:8085 (0 if
	// the kernel has no MPTCP). Its Cookie is 0 in Unconnected: the kernel
	// lists the subflow listener, whose cookie is not the socket's.
	MPTCPInode uint64
}

// Bind creates the fixture sockets in the calling goroutine's namespace
// (see Enter), on fixed ports: the namespace is the test's own. They are
// closed when the test ends.
//
//	tcp  0.0.0.0:8080      LISTEN
//	tcp  127.0.0.1:8081    LISTEN  loopback only
//	tcp  [::]:8082         LISTEN  v6only
//	tcp  [::]:8083         LISTEN  dual-stack
//	tcp  [::1]:8084        LISTEN  v6only
//	tcp  [2001:db8::1]:8086 LISTEN v6only
//	tcp  0.0.0.0:8085      LISTEN  MPTCP (when the kernel has it)
//	udp  0.0.0.0:5353      UNCONN
//	udp  [::]:5354         UNCONN  v6only
//	udp  [::]:5355         UNCONN  dual-stack
//	udp  192.0.2.1:5356    UNCONN
//	udplite 0.0.0.0:5400   UNCONN
//	udplite [::]:5401      UNCONN  dual-stack
//	udp  127.0.0.1:6000 -> 127.0.0.1:5353  ESTAB
//	tcp  127.0.0.1:<eph> -> 127.0.0.1:8081 ESTAB, and its accepted peer
//	raw  0.0.0.0 proto icmp, raw [::] proto ipv6-icmp (the "port" of a
//	     raw socket is its protocol, as /proc/net/raw shows it)
func Bind(t *testing.T) *Fixture {
	t.Helper()
	fx := &Fixture{}
	uid := uint32(os.Geteuid())
	add := func(list *[]snapshot.Socket, c syscall.Conn, s snapshot.Socket) {
		t.Helper()
		if cl, ok := c.(io.Closer); ok {
			t.Cleanup(func() { cl.Close() })
		}
		ino, cookie, err := SocketID(c)
		if err != nil {
			t.Fatalf("socket id of %v: %v", s.Local, err)
		}
		s.Inode, s.Cookie, s.UID = ino, cookie, snapshot.Uint32(uid)
		*list = append(*list, s)
	}
	ap := netip.MustParseAddrPort
	var ln8081 *net.TCPListener
	type listener struct {
		network, addr string
		v6only        int // -1: not an IPv6 socket
	}
	for _, l := range []listener{
		{"tcp4", "0.0.0.0:8080", -1}, {"tcp4", "127.0.0.1:8081", -1},
		{"tcp6", "[::]:8082", 1}, {"tcp6", "[::]:8083", 0}, {"tcp6", "[::1]:8084", 1},
		{"tcp6", "[2001:db8::1]:8086", 1},
	} {
		lc := listenConfig(l.v6only)
		// Go's listeners use MPTCP by default where the kernel has it;
		// the fixture wants plain TCP (see the MPTCP listener below).
		lc.SetMultipathTCP(false)
		ln, err := lc.Listen(context.Background(), l.network, l.addr)
		if err != nil {
			t.Fatalf("listen %s %s: %v", l.network, l.addr, err)
		}
		if l.addr == "127.0.0.1:8081" {
			ln8081 = ln.(*net.TCPListener)
		}
		add(&fx.Unconnected, ln.(*net.TCPListener), snapshot.Socket{Proto: snapshot.TCP, Local: ap(l.addr),
			State: snapshot.Listen, V6Only: v6(l.v6only)})
	}
	// An MPTCP listener: sock_diag and /proc/net/tcp show its TCP subflow
	// listener, which has the socket's inode but a cookie of its own (the
	// fd's SO_COOKIE is the MPTCP socket's), so the fixture leaves Cookie 0.
	mlc := listenConfig(-1)
	mlc.SetMultipathTCP(true)
	if mln, err := mlc.Listen(context.Background(), "tcp4", "0.0.0.0:8085"); err != nil {
		t.Logf("no MPTCP listener: %v", err)
	} else {
		add(&fx.Unconnected, mln.(*net.TCPListener), snapshot.Socket{Proto: snapshot.TCP, Local: ap("0.0.0.0:8085"),
			State: snapshot.Listen})
		fx.Unconnected[len(fx.Unconnected)-1].Cookie = 0
		fx.MPTCPInode = fx.Unconnected[len(fx.Unconnected)-1].Inode
	}
	for _, l := range []listener{{"udp4", "0.0.0.0:5353", -1}, {"udp6", "[::]:5354", 1}, {"udp6", "[::]:5355", 0},
		{"udp4", "192.0.2.1:5356", -1}} {
		pc, err := listenConfig(l.v6only).ListenPacket(context.Background(), l.network, l.addr)
		if err != nil {
			t.Fatalf("listen %s %s: %v", l.network, l.addr, err)
		}
		add(&fx.Unconnected, pc.(*net.UDPConn), snapshot.Socket{Proto: snapshot.UDP, Local: ap(l.addr),
			State: snapshot.Unconnected, V6Only: v6(l.v6only)})
	}
	for _, l := range []struct {
		addr   netip.AddrPort
		v6only int
	}{{ap("0.0.0.0:5400"), -1}, {ap("[::]:5401"), 0}} {
		f := rawSocket(t, l.addr, unix.SOCK_DGRAM, unix.IPPROTO_UDPLITE, l.v6only)
		add(&fx.Unconnected, f, snapshot.Socket{Proto: snapshot.UDPLite, Local: l.addr,
			State: snapshot.Unconnected, V6Only: v6(l.v6only)})
	}

	uc, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(ap("127.0.0.1:6000")), net.UDPAddrFromAddrPort(ap("127.0.0.1:5353")))
	if err != nil {
		t.Fatalf("connected udp: %v", err)
	}
	add(&fx.Connected, uc, snapshot.Socket{Proto: snapshot.UDP, Local: ap("127.0.0.1:6000"),
		Remote: ap("127.0.0.1:5353"), State: snapshot.Established})

	cc, err := net.Dial("tcp4", "127.0.0.1:8081")
	if err != nil {
		t.Fatalf("dial 127.0.0.1:8081: %v", err)
	}
	client := cc.(*net.TCPConn)
	cl := client.LocalAddr().(*net.TCPAddr).AddrPort()
	add(&fx.Connected, client, snapshot.Socket{Proto: snapshot.TCP, Local: cl, Remote: ap("127.0.0.1:8081"),
		State: snapshot.Established})
	sc, err := ln8081.AcceptTCP() // the handshake is done: the kernel queued the connection
	if err != nil {
		t.Fatalf("accept on 127.0.0.1:8081: %v", err)
	}
	add(&fx.Connected, sc, snapshot.Socket{Proto: snapshot.TCP, Local: ap("127.0.0.1:8081"), Remote: cl,
		State: snapshot.Established})

	add(&fx.Raw, rawSocket(t, ap("0.0.0.0:0"), unix.SOCK_RAW, unix.IPPROTO_ICMP, -1),
		snapshot.Socket{Proto: snapshot.Raw, Local: ap("0.0.0.0:1"), State: snapshot.Unconnected})
	add(&fx.Raw, rawSocket(t, ap("[::]:0"), unix.SOCK_RAW, unix.IPPROTO_ICMPV6, -1),
		snapshot.Socket{Proto: snapshot.Raw, Local: ap("[::]:58"), State: snapshot.Unconnected})

	for _, l := range []*[]snapshot.Socket{&fx.Unconnected, &fx.Connected, &fx.Raw} {
		slices.SortFunc(*l, snapshot.CompareSockets)
	}
	return fx
}

func v6(v int) *bool {
	if v < 0 {
		return nil
	}
	return snapshot.Bool(v == 1)
}

// listenConfig sets IPV6_V6ONLY to v6only before bind, unless it is -1.
func listenConfig(v6only int) *net.ListenConfig {
	return &net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		if v6only < 0 {
			return nil
		}
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
		}); err != nil {
			return err
		}
		return serr
	}}
}

// rawSocket creates a socket Go's net package does not offer (UDP-Lite,
// raw), binds it to addr and returns it as an *os.File.
func rawSocket(t *testing.T, addr netip.AddrPort, typ, proto, v6only int) *os.File {
	t.Helper()
	fam := unix.AF_INET
	var sa unix.Sockaddr
	if addr.Addr().Is6() {
		fam = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	} else {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Fatalf("socket(%d, %d, %d): %v", fam, typ, proto, err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("socket %v/%d", addr, proto))
	t.Cleanup(func() { f.Close() })
	if v6only >= 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			t.Fatalf("IPV6_V6ONLY on %v: %v", addr, err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("bind %v: %v", addr, err)
	}
	return f
}
