//go:build linux

package netif

import (
	"encoding/json"
	"net"
	"net/netip"
	"reflect"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/jsimonetti/rtnetlink/v2/driver"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag/nstest"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func link(index uint32, name string, flags uint32) rtnetlink.LinkMessage {
	return rtnetlink.LinkMessage{Index: index, Flags: flags, Attributes: &rtnetlink.LinkAttributes{Name: name}}
}

func addr(family uint8, index uint32, bits uint8, address, local string) rtnetlink.AddressMessage {
	a := rtnetlink.AddressMessage{Family: family, Index: index, PrefixLength: bits, Attributes: &rtnetlink.AddressAttributes{}}
	if address != "" {
		a.Attributes.Address = ipBytes(address)
	}
	if local != "" {
		a.Attributes.Local = ipBytes(local)
	}
	return a
}

func ipBytes(s string) net.IP { return net.IP(netip.MustParseAddr(s).AsSlice()) }

func TestFromMessages(t *testing.T) {
	tests := []struct {
		name    string
		links   []rtnetlink.LinkMessage
		addrs   []rtnetlink.AddressMessage
		want    []snapshot.Interface
		wantErr bool
	}{
		{
			name:  "sorted, point-to-point uses the local address, address of an unknown link left out",
			links: []rtnetlink.LinkMessage{link(3, "ppp0", unix.IFF_UP|unix.IFF_POINTOPOINT), link(1, "lo", unix.IFF_UP|unix.IFF_LOOPBACK), link(2, "eth0", 0)},
			addrs: []rtnetlink.AddressMessage{
				addr(unix.AF_INET6, 1, 128, "::1", ""),
				addr(unix.AF_INET, 1, 8, "127.0.0.1", "127.0.0.1"),
				addr(unix.AF_INET, 3, 32, "203.0.113.9", "192.0.2.10"),
				addr(unix.AF_INET6, 2, 64, "fe80::1", ""),
				addr(unix.AF_INET, 9, 24, "198.51.100.1", "198.51.100.1"),
			},
			want: []snapshot.Interface{
				{Index: 1, Name: "lo", Up: true, Addrs: pfx("127.0.0.1/8", "::1/128")},
				{Index: 2, Name: "eth0", Addrs: pfx("fe80::1/64")},
				{Index: 3, Name: "ppp0", Up: true, Addrs: pfx("192.0.2.10/32")},
			},
		},
		{name: "link without attributes", links: []rtnetlink.LinkMessage{{Index: 1}}, wantErr: true},
		{name: "IPv6 family with 4 bytes", links: []rtnetlink.LinkMessage{link(1, "lo", 0)},
			addrs: []rtnetlink.AddressMessage{{Family: unix.AF_INET6, Index: 1, Attributes: &rtnetlink.AddressAttributes{Address: net.IP{1, 2, 3, 4}}}}, wantErr: true},
		{name: "prefix too long", links: []rtnetlink.LinkMessage{link(1, "lo", 0)},
			addrs: []rtnetlink.AddressMessage{addr(unix.AF_INET, 1, 33, "192.0.2.1", "")}, wantErr: true},
		{name: "unknown family", links: []rtnetlink.LinkMessage{link(1, "lo", 0)},
			addrs: []rtnetlink.AddressMessage{addr(unix.AF_PACKET, 1, 0, "192.0.2.1", "")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fromMessages(tt.links, tt.addrs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", js(t, got), js(t, tt.want))
			}
		})
	}
}

// TestLiveNamespace lists a namespace holding lo (up, with documentation
// addresses) and a veth pair, one end down with an address.
func TestLiveNamespace(t *testing.T) {
	ns, ok := nstest.Enter(t)
	if !ok {
		return
	}
	c, err := rtnetlink.Dial(nil) // the calling (locked) thread's namespace
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Link.New(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: 10,
		Attributes: &rtnetlink.LinkAttributes{Name: "vt0", Info: &rtnetlink.LinkInfo{Kind: "veth",
			Data: &driver.Veth{PeerInfo: &rtnetlink.LinkMessage{Index: 11, Attributes: &rtnetlink.LinkAttributes{Name: "vt1"}}}}}})
	if err != nil {
		t.Fatalf("create veth pair: %v", err)
	}
	err = c.Address.New(&rtnetlink.AddressMessage{Family: unix.AF_INET, PrefixLength: 24, Index: 10,
		Attributes: &rtnetlink.AddressAttributes{Address: ipBytes("198.51.100.1"), Local: ipBytes("198.51.100.1")}})
	if err != nil {
		t.Fatalf("add 198.51.100.1/24 to vt0: %v", err)
	}
	want := []snapshot.Interface{
		{Index: 1, Name: "lo", Up: true, Addrs: append(pfx("127.0.0.1/8"), append(nstest.LoAddrs, pfx("::1/128")...)...)},
		{Index: 10, Name: "vt0", Addrs: pfx("198.51.100.1/24")},
		{Index: 11, Name: "vt1"},
	}
	sortInterfaces(want)
	for _, fd := range []int{-1, int(ns.Fd())} {
		got, err := Interfaces(fd)
		if err != nil {
			t.Fatalf("Interfaces(%d): %v", fd, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Interfaces(%d):\n got %s\nwant %s", fd, js(t, got), js(t, want))
		}
	}
	if _, err := Interfaces(0); err == nil {
		t.Error("Interfaces(0): no error")
	}
}

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
