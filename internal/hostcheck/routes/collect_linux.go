package routes

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Collect lists the main routing table of the calling thread's network
// namespace, IPv4 and IPv6, through rtnetlink.
func Collect(ctx context.Context) ([]Route, error) { return collect(ctx, nil) }

func collect(ctx context.Context, cfg *netlink.Config) ([]Route, error) {
	conn, err := rtnetlink.Dial(cfg)
	if err != nil {
		return nil, fmt.Errorf("dial rtnetlink: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetReadDeadline(dl); err != nil {
			return nil, fmt.Errorf("set rtnetlink deadline: %w", err)
		}
	}
	links, err := conn.Link.List()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := map[uint32]string{}
	for _, l := range links {
		if l.Attributes != nil {
			names[l.Index] = l.Attributes.Name
		}
	}
	var msgs []rtnetlink.RouteMessage
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		m, err := conn.Route.ListMatch(&rtnetlink.RouteMessage{Family: fam})
		if err != nil {
			return nil, fmt.Errorf("list routes (family %d): %w", fam, err)
		}
		msgs = append(msgs, m...)
	}
	return fromNetlink(msgs, names), nil
}

var routeTypes = map[uint8]string{
	unix.RTN_UNICAST:     TypeUnicast,
	unix.RTN_UNREACHABLE: TypeUnreachable,
	unix.RTN_BLACKHOLE:   TypeBlackhole,
	unix.RTN_PROHIBIT:    TypeProhibit,
}

// fromNetlink turns route messages of the main table into Routes; a
// multipath route becomes one Route per next hop.
func fromNetlink(msgs []rtnetlink.RouteMessage, names map[uint32]string) []Route {
	var out []Route
	for _, m := range msgs {
		table := uint32(m.Table)
		if m.Attributes.Table != 0 {
			table = m.Attributes.Table
		}
		typ, ok := routeTypes[m.Type]
		if table != unix.RT_TABLE_MAIN || !ok {
			continue
		}
		if m.Family != unix.AF_INET && m.Family != unix.AF_INET6 {
			continue
		}
		dst := prefix(m.Family, m.Attributes.Dst, int(m.DstLength))
		if !dst.IsValid() {
			continue
		}
		base := Route{Dst: dst, Metric: int(m.Attributes.Priority), Type: typ}
		if len(m.Attributes.Multipath) == 0 {
			r := base
			r.Gateway = addr(m.Attributes.Gateway)
			r.IfIndex = int(m.Attributes.OutIface)
			r.Iface = names[m.Attributes.OutIface]
			r.OnLink = m.Flags&unix.RTNH_F_ONLINK != 0
			r.LinkDown = m.Flags&unix.RTNH_F_LINKDOWN != 0
			out = append(out, r)
			continue
		}
		for _, nh := range m.Attributes.Multipath {
			r := base
			r.Gateway = addr(nh.Gateway)
			r.IfIndex = int(nh.Hop.IfIndex)
			r.Iface = names[nh.Hop.IfIndex]
			r.OnLink = nh.Hop.Flags&unix.RTNH_F_ONLINK != 0
			r.LinkDown = nh.Hop.Flags&unix.RTNH_F_LINKDOWN != 0
			out = append(out, r)
		}
	}
	Sort(out)
	return out
}

func addr(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}

func prefix(family uint8, ip net.IP, bits int) netip.Prefix {
	var a netip.Addr
	switch {
	case ip == nil && family == unix.AF_INET:
		a = netip.IPv4Unspecified()
	case ip == nil:
		a = netip.IPv6Unspecified()
	default:
		var ok bool
		if a, ok = netip.AddrFromSlice(ip); !ok {
			return netip.Prefix{}
		}
		if family == unix.AF_INET {
			a = a.Unmap()
		}
	}
	return netip.PrefixFrom(a, bits)
}
