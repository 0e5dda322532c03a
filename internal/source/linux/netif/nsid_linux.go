package netif

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Connected reports whether the network namespace open at fd has an ID
// (NSID) in the caller's namespace: the kernel assigns one when a link
// crosses between the two (a veth pair, a macvlan on a host device), so a
// namespace without one is not wired to this one — another host's test
// namespace, say, that happens to use the same addresses.
func Connected(fd int) (bool, error) {
	conn, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return false, fmt.Errorf("open rtnetlink: %w", err)
	}
	defer conn.Close()
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NETNSA_FD, uint32(fd))
	attrs, err := ae.Encode()
	if err != nil {
		return false, err
	}
	// struct rtgenmsg (one byte: the family), padded to four.
	req := netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETNSID, Flags: netlink.Request},
		Data:   append([]byte{unix.AF_UNSPEC, 0, 0, 0}, attrs...),
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return false, fmt.Errorf("RTM_GETNSID: %w", err)
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return false, err
		}
		for ad.Next() {
			if ad.Type() == unix.NETNSA_NSID && len(ad.Bytes()) == 4 {
				return int32(binary.NativeEndian.Uint32(ad.Bytes())) >= 0, nil
			}
		}
	}
	return false, nil
}

// Unlisted returns the NSIDs of the namespaces that links of the network
// namespace open at fd (-1: the caller's) lead into (a veth's peer, say:
// IFLA_LINK_NETNSID) and that are none of the namespaces open at known:
// namespaces wired to it that whoever listed known did not find. The link
// dump is what gives such a peer its NSID here (the kernel assigns NSIDs
// lazily, when it first has to name the peer), as `ip link` does. Each
// NSID is placed by asking, one known namespace at a time, for that
// namespace's NSID here, until every NSID is placed.
func Unlisted(fd int, known []int) ([]int32, error) {
	cfg := &netlink.Config{}
	if fd >= 0 {
		cfg.NetNS = fd
	}
	conn, err := netlink.Dial(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return nil, fmt.Errorf("open rtnetlink: %w", err)
	}
	defer conn.Close()
	msgs, err := conn.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump},
		Data:   make([]byte, unix.SizeofIfInfomsg),
	})
	if err != nil {
		return nil, fmt.Errorf("link dump: %w", err)
	}
	left := map[int32]bool{}
	for _, m := range msgs {
		if id, ok := attrS32(m.Data, unix.SizeofIfInfomsg, unix.IFLA_LINK_NETNSID); ok && id >= 0 {
			left[id] = true
		}
	}
	for _, k := range known {
		if len(left) == 0 {
			break
		}
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(unix.NETNSA_FD, uint32(k))
		attrs, err := ae.Encode()
		if err != nil {
			return nil, err
		}
		msgs, err := conn.Execute(netlink.Message{
			Header: netlink.Header{Type: unix.RTM_GETNSID, Flags: netlink.Request},
			Data:   append([]byte{unix.AF_UNSPEC, 0, 0, 0}, attrs...),
		})
		if err != nil {
			return nil, fmt.Errorf("RTM_GETNSID of a known namespace: %w", err)
		}
		for _, m := range msgs {
			if id, ok := attrS32(m.Data, 4, unix.NETNSA_NSID); ok {
				delete(left, id)
			}
		}
	}
	out := make([]int32, 0, len(left))
	for id := range left {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// attrS32 is the 32-bit attribute typ of a message whose attributes start
// at offset.
func attrS32(data []byte, offset int, typ uint16) (int32, bool) {
	if len(data) < offset {
		return 0, false
	}
	ad, err := netlink.NewAttributeDecoder(data[offset:])
	if err != nil {
		return 0, false
	}
	for ad.Next() {
		if ad.Type() == typ && len(ad.Bytes()) == 4 {
			return int32(binary.NativeEndian.Uint32(ad.Bytes())), true
		}
	}
	return 0, false
}
