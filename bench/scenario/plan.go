// Command scenario builds the benchmark's host in a network namespace of
// its own: L listening TCP sockets and U bound UDP sockets on a mix of
// addresses (IPv4 and IPv6 wildcards, dual-stack and v6-only, loopback,
// one specific address of each family on a veth pair), C established
// loopback TCP connections with both ends inside the namespace, spread over
// P holder processes that each also hold F other descriptors (regular
// files, pipes, unix socket pairs); S of the holders start a child that
// inherits all their descriptors, as a pre-forking server does.
//
// It prints one JSON line (the namespace name and every PID it started)
// when the host is ready, then waits for SIGINT or SIGTERM, or runs the
// command given after "--" inside the namespace, and then kills what it
// started, by PID, and deletes the namespace.
//
//	scenario -listen 50 -udp 20 -conns 200 -procs 20 -fds 50 -shared 5
//	scenario -conns 10000 -- ss -tulpn
package main

import (
	"fmt"
	"net/netip"
)

// Params are the scenario's sizes.
type Params struct {
	Listen int // listening TCP sockets
	UDP    int // bound UDP sockets
	Conns  int // established loopback TCP connections (two sockets each)
	Procs  int // holder processes
	FDs    int // other descriptors per holder (files, pipes, unix sockets)
	Shared int // holders that start a child sharing their descriptors
	// BasePort is the first port of the listeners and of the UDP
	// sockets; socket i uses BasePort+i.
	BasePort int
}

// Validate reports impossible parameters.
func (p Params) Validate() error {
	switch {
	case p.Listen < 0 || p.UDP < 0 || p.Conns < 0 || p.FDs < 0 || p.Shared < 0:
		return fmt.Errorf("sizes must not be negative: %+v", p)
	case p.Procs < 1:
		return fmt.Errorf("procs is %d, want at least 1", p.Procs)
	case p.Shared > p.Procs:
		return fmt.Errorf("shared is %d, more than procs (%d)", p.Shared, p.Procs)
	case p.BasePort < 1024 || p.BasePort+max(p.Listen, p.UDP) > ephemeralFirst:
		return fmt.Errorf("ports %d..%d must lie in [1024, %d), below the ephemeral range the scenario sets",
			p.BasePort, p.BasePort+max(p.Listen, p.UDP)-1, ephemeralFirst)
	}
	return nil
}

// The namespace's ephemeral port range (net.ipv4.ip_local_port_range):
// wider than the default so that one loopback destination takes tens of
// thousands of connections.
const (
	ephemeralFirst = 16384
	ephemeralLast  = 65535
)

// Addresses of the veth pair inside the namespace (documentation ranges).
var (
	specificV4 = netip.MustParseAddr("198.51.100.1")
	specificV6 = netip.MustParseAddr("2001:db8::1")
)

// Bind is one bound socket of the plan.
type Bind struct {
	Addr netip.AddrPort
	// V6Only is IPV6_V6ONLY for IPv6 sockets.
	V6Only bool
}

// bindKinds are the addresses sockets cycle through: wildcards of each
// family (the IPv6 one both dual-stack and v6-only), loopback, and a
// specific address of each family.
var bindKinds = []Bind{
	{Addr: netip.AddrPortFrom(netip.IPv4Unspecified(), 0)},
	{Addr: netip.AddrPortFrom(netip.IPv6Unspecified(), 0), V6Only: false},
	{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0)},
	{Addr: netip.AddrPortFrom(netip.IPv6Loopback(), 0), V6Only: true},
	{Addr: netip.AddrPortFrom(specificV4, 0)},
	{Addr: netip.AddrPortFrom(netip.IPv6Unspecified(), 0), V6Only: true},
	{Addr: netip.AddrPortFrom(specificV6, 0), V6Only: true},
}

// bindFor returns the address of socket i (listener or UDP).
func bindFor(i, basePort int) Bind {
	b := bindKinds[i%len(bindKinds)]
	b.Addr = netip.AddrPortFrom(b.Addr.Addr(), uint16(basePort+i))
	return b
}

// Holder is what one holder process holds.
type Holder struct {
	Listen []Bind
	UDP    []Bind
	// Conns is how many connections the holder holds both ends of;
	// ConnV6 says whether they run over ::1 rather than 127.0.0.1.
	Conns  int
	ConnV6 bool
	// Files, Pipes and UnixPairs make up the other descriptors: Files
	// descriptors of a regular file, Pipes pipes and UnixPairs socket
	// pairs (two descriptors each).
	Files, Pipes, UnixPairs int
	// Shared says the holder starts a child that inherits its
	// descriptors.
	Shared bool
}

// FDCount is the number of descriptors the holder receives.
func (h Holder) FDCount() int {
	return len(h.Listen) + len(h.UDP) + 2*h.Conns + h.Files + 2*h.Pipes + 2*h.UnixPairs
}

// Plan spreads p over p.Procs holders: sockets round-robin, connections
// as evenly as they divide, the other descriptors a third each of files,
// pipes and unix socket pairs (exactly p.FDs descriptors per holder).
func Plan(p Params) ([]Holder, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	hs := make([]Holder, p.Procs)
	for i := range p.Listen {
		h := &hs[i%p.Procs]
		h.Listen = append(h.Listen, bindFor(i, p.BasePort))
	}
	for i := range p.UDP {
		h := &hs[i%p.Procs]
		h.UDP = append(h.UDP, bindFor(i, p.BasePort))
	}
	for i := range hs {
		h := &hs[i]
		h.Conns = p.Conns / p.Procs
		if i < p.Conns%p.Procs {
			h.Conns++
		}
		h.ConnV6 = i%2 == 1
		h.Shared = i < p.Shared
		// Two-descriptor kinds take two thirds; files fill the rest,
		// so the count is exact for every F.
		h.Pipes = p.FDs / 6
		h.UnixPairs = p.FDs / 6
		h.Files = p.FDs - 2*h.Pipes - 2*h.UnixPairs
	}
	return hs, nil
}
