//go:build linux

package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// Interfaces lists the interfaces of the network namespace netnsFD refers
// to (an open /proc/PID/ns/net or /run/netns/NAME; entering it needs
// CAP_SYS_ADMIN), or of the calling thread's namespace when netnsFD < 0.
// Each has its name, index, administrative up flag and addresses as
// prefixes (IPv4 first; zones are left empty, the interface says them).
// NetNS is left 0 for the caller to set.
func Interfaces(netnsFD int) ([]snapshot.Interface, error) {
	links, addrs, err := Dump(netnsFD, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	return fromMessages(links, addrs)
}

// Dump is the one rtnetlink link and address dump of openports (the
// collector's interfaces above, and `check`'s richer view in
// hostcheck/ifaces): in the namespace netnsFD refers to, or the calling
// thread's when netnsFD < 0, giving up at deadline when it is not zero.
func Dump(netnsFD int, deadline time.Time) ([]rtnetlink.LinkMessage, []rtnetlink.AddressMessage, error) {
	if netnsFD == 0 {
		// netlink.Config treats NetNS 0 as "the calling thread's".
		return nil, nil, errors.New("network namespace fd 0 is not supported; pass -1 for the current namespace")
	}
	cfg := &netlink.Config{}
	if netnsFD > 0 {
		cfg.NetNS = netnsFD
	}
	c, err := rtnetlink.Dial(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("dial rtnetlink: %w", err)
	}
	defer c.Close()
	if !deadline.IsZero() {
		if err := c.SetReadDeadline(deadline); err != nil {
			return nil, nil, fmt.Errorf("set rtnetlink deadline: %w", err)
		}
	}
	links, err := c.Link.List()
	if err != nil {
		return nil, nil, fmt.Errorf("link dump: %w", err)
	}
	addrs, err := c.Address.List()
	if err != nil {
		return nil, nil, fmt.Errorf("address dump: %w", err)
	}
	return links, addrs, nil
}

// fromMessages joins link and address dumps. An address whose link is not
// in the link dump belongs to a link that appeared after that dump: it is
// left out, as the link itself is.
func fromMessages(links []rtnetlink.LinkMessage, addrs []rtnetlink.AddressMessage) ([]snapshot.Interface, error) {
	ifs := make([]snapshot.Interface, 0, len(links))
	byIndex := make(map[uint32]int, len(links))
	for _, l := range links {
		if l.Attributes == nil {
			return nil, fmt.Errorf("link %d: no attributes in the link dump", l.Index)
		}
		byIndex[l.Index] = len(ifs)
		ifs = append(ifs, snapshot.Interface{Index: int(l.Index), Name: l.Attributes.Name, Up: l.Flags&unix.IFF_UP != 0})
	}
	for _, a := range addrs {
		i, ok := byIndex[a.Index]
		if !ok || a.Attributes == nil {
			continue
		}
		p, err := prefix(a)
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", ifs[i].Name, err)
		}
		ifs[i].Addrs = append(ifs[i].Addrs, p)
	}
	sortInterfaces(ifs)
	return ifs, nil
}

// prefix is the interface's own address: IFA_LOCAL for IPv4 (IFA_ADDRESS
// is the peer on point-to-point links), IFA_ADDRESS for IPv6.
func prefix(a rtnetlink.AddressMessage) (netip.Prefix, error) {
	ip := a.Attributes.Address
	if a.Family == unix.AF_INET && a.Attributes.Local != nil {
		ip = a.Attributes.Local
	}
	addr, ok := netip.AddrFromSlice(ip)
	want := net.IPv4len
	if a.Family == unix.AF_INET6 {
		want = net.IPv6len
	} else if a.Family != unix.AF_INET {
		return netip.Prefix{}, fmt.Errorf("address of family %d", a.Family)
	}
	if !ok || len(ip) != want {
		return netip.Prefix{}, fmt.Errorf("address %v of family %d has %d bytes", ip, a.Family, len(ip))
	}
	p := netip.PrefixFrom(addr, int(a.PrefixLength))
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("address %v with prefix length %d", addr, a.PrefixLength)
	}
	return p, nil
}
