package routes

import (
	"net"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

func TestFromNetlink(t *testing.T) {
	names := map[uint32]string{2: "eth0", 3: "eth1"}
	msgs := []rtnetlink.RouteMessage{
		{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Type: unix.RTN_UNICAST, Flags: unix.RTNH_F_ONLINK,
			Attributes: rtnetlink.RouteAttributes{Gateway: net.IPv4(198, 51, 100, 1), OutIface: 2, Priority: 5}},
		{Family: unix.AF_INET, DstLength: 24, Table: unix.RT_TABLE_MAIN, Type: unix.RTN_UNICAST,
			Attributes: rtnetlink.RouteAttributes{Dst: net.IPv4(192, 0, 2, 0), OutIface: 2}},
		{Family: unix.AF_INET, DstLength: 32, Table: unix.RT_TABLE_LOCAL, Type: unix.RTN_LOCAL,
			Attributes: rtnetlink.RouteAttributes{Dst: net.IPv4(192, 0, 2, 10), OutIface: 2}},
		{Family: unix.AF_INET6, Table: unix.RT_TABLE_MAIN, Type: unix.RTN_UNICAST,
			Attributes: rtnetlink.RouteAttributes{Multipath: []rtnetlink.NextHop{
				{Hop: rtnetlink.RTNextHop{IfIndex: 2}, Gateway: net.ParseIP("fe80::1")},
				{Hop: rtnetlink.RTNextHop{IfIndex: 3, Flags: unix.RTNH_F_LINKDOWN}, Gateway: net.ParseIP("fe80::2")},
			}}},
	}
	rs := fromNetlink(msgs, names)
	var got []string
	for _, r := range rs {
		got = append(got, r.String())
	}
	want := []string{
		"default via 198.51.100.1 dev eth0 metric 5 onlink",
		"192.0.2.0/24 dev eth0",
		"default (IPv6) via fe80::1 dev eth0",
		"default (IPv6) via fe80::2 dev eth1 linkdown",
	}
	if len(got) != len(want) {
		t.Fatalf("routes = %q, want %q", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("route %d = %q, want %q", k, got[k], want[k])
		}
	}
}
