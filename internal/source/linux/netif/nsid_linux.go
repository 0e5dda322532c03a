package netif

import (
	"encoding/binary"
	"fmt"

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
