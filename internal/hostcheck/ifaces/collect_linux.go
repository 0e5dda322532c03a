package ifaces

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source/linux/netif"
)

// Collect lists the interfaces of the calling thread's network namespace
// and their addresses through rtnetlink.
func Collect(ctx context.Context) ([]Interface, error) {
	return collect(ctx, -1)
}

// collect lists the interfaces of the namespace netnsFD refers to (-1: the
// calling thread's) through the collector's one rtnetlink dump
// (netif.Dump).
func collect(ctx context.Context, netnsFD int) ([]Interface, error) {
	dl, _ := ctx.Deadline()
	links, addrs, err := netif.Dump(netnsFD, dl)
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	return fromNetlink(links, addrs), nil
}

// operStates names the IF_OPER_* values as `ip link` does.
var operStates = map[rtnetlink.OperationalState]string{
	rtnetlink.OperStateUnknown:        "unknown",
	rtnetlink.OperStateNotPresent:     "notpresent",
	rtnetlink.OperStateDown:           "down",
	rtnetlink.OperStateLowerLayerDown: "lowerlayerdown",
	rtnetlink.OperStateTesting:        "testing",
	rtnetlink.OperStateDormant:        "dormant",
	rtnetlink.OperStateUp:             "up",
}

// fromNetlink turns rtnetlink messages into Interfaces. It is separate from
// Collect so that it can be tested with hand-built messages.
func fromNetlink(links []rtnetlink.LinkMessage, addrs []rtnetlink.AddressMessage) []Interface {
	byIndex := map[uint32]int{}
	names := map[uint32]string{}
	out := make([]Interface, 0, len(links))
	for _, l := range links {
		if l.Attributes == nil {
			continue
		}
		a := l.Attributes
		i := Interface{
			Index:        int(l.Index),
			Name:         a.Name,
			Up:           l.Flags&unix.IFF_UP != 0,
			Running:      l.Flags&unix.IFF_RUNNING != 0,
			Loopback:     l.Flags&unix.IFF_LOOPBACK != 0,
			PointToPoint: l.Flags&unix.IFF_POINTOPOINT != 0,
			MTU:          int(a.MTU),
			OperState:    operStates[a.OperationalState],
		}
		// IFF_LOWER_UP is the driver's carrier signal; the loopback
		// device has no carrier of its own.
		if !i.Loopback {
			i.Carrier = boolp(l.Flags&unix.IFF_LOWER_UP != 0)
		}
		byIndex[l.Index] = len(out)
		names[l.Index] = a.Name
		out = append(out, i)
	}
	for k, l := range links {
		if l.Attributes != nil && l.Attributes.Master != nil {
			if idx, ok := byIndex[l.Index]; ok {
				out[idx].Master = names[*l.Attributes.Master]
				if out[idx].Master == "" {
					out[idx].Master = fmt.Sprintf("index %d", *links[k].Attributes.Master)
				}
			}
		}
	}
	for _, m := range addrs {
		idx, ok := byIndex[m.Index]
		if !ok || m.Attributes == nil {
			continue
		}
		ip := m.Attributes.Local
		if ip == nil {
			ip = m.Attributes.Address
		}
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		if m.Family == unix.AF_INET {
			addr = addr.Unmap()
		}
		flags := uint32(m.Flags)
		if m.Attributes.Flags != 0 {
			flags = m.Attributes.Flags
		}
		p := netip.PrefixFrom(addr, int(m.PrefixLength))
		if !p.IsValid() {
			continue
		}
		out[idx].Addrs = append(out[idx].Addrs, Addr{
			Prefix:     p,
			Tentative:  flags&unix.IFA_F_TENTATIVE != 0,
			DADFailed:  flags&unix.IFA_F_DADFAILED != 0,
			Deprecated: flags&unix.IFA_F_DEPRECATED != 0,
		})
	}
	Sort(out)
	return out
}
