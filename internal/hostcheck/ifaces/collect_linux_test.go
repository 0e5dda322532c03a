package ifaces

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// netns makes a named network namespace for the test and removes it after.
var nsCount int

func netns(t *testing.T) (name string, fd int) {
	t.Helper()
	nsCount++
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	name = fmt.Sprintf("ophc-if-%d-%d", os.Getpid(), nsCount)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return name, int(f.Fd())
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func TestCollectLive(t *testing.T) {
	ns, fd := netns(t)
	peer, _ := netns(t)
	_ = peer
	ip(t, "-n", ns, "link", "set", "lo", "up")
	ip(t, "-n", ns, "link", "add", "vt0", "mtu", "1400", "type", "veth", "peer", "name", "vt1", "netns", peer)
	ip(t, "-n", ns, "addr", "add", "192.0.2.10/24", "dev", "vt0")
	ip(t, "-n", ns, "addr", "add", "2001:db8::10/64", "dev", "vt0", "nodad")
	ip(t, "-n", ns, "link", "set", "vt0", "up") // peer vt1 stays down: no carrier
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ifs, err := collect(ctx, fd)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Interface{}
	for _, i := range ifs {
		byName[i.Name] = i
	}
	lo, vt := byName["lo"], byName["vt0"]
	if !lo.Loopback || !lo.Up || !hasAddr(&lo, netip127()) {
		t.Errorf("lo = %+v", lo)
	}
	if !vt.Up || !vt.NoCarrier() || vt.MTU != 1400 {
		t.Errorf("vt0 = %+v, want up, no carrier, mtu 1400", vt)
	}
	if got := Describe(&vt); !strings.Contains(got, "192.0.2.10/24") || !strings.Contains(got, "2001:db8::10/64") {
		t.Errorf("vt0 addresses: %s", got)
	}
	var vtFinding string
	for _, f := range Evaluate(ifs) {
		if f.Subject == "vt0" {
			vtFinding = string(f.Verdict) + ": " + f.Reason
		}
	}
	if !strings.HasPrefix(vtFinding, "problem: the interface is up but has no carrier") {
		t.Errorf("vt0 finding = %q", vtFinding)
	}
	ip(t, "-n", peer, "link", "set", "vt1", "up")
	// Carrier follows the peer within a moment; poll a bounded number of times.
	for k := 0; k < 50; k++ {
		ifs, err = collect(ctx, fd)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range ifs {
			if i.Name == "vt0" {
				vt = i
			}
		}
		if vt.HasCarrier() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !vt.HasCarrier() {
		t.Errorf("vt0 after peer up = %+v, want carrier", vt)
	}
}

func TestFromNetlinkMaster(t *testing.T) {
	master := uint32(3)
	links := []rtnetlink.LinkMessage{
		{Index: 2, Flags: unix.IFF_UP | unix.IFF_LOWER_UP, Attributes: &rtnetlink.LinkAttributes{Name: "eth0", MTU: 1500, Master: &master}},
		{Index: 3, Flags: unix.IFF_UP, Attributes: &rtnetlink.LinkAttributes{Name: "br0", MTU: 1500}},
		{Index: 4, Flags: 0}, // no attributes: skipped
	}
	addrs := []rtnetlink.AddressMessage{
		{Family: unix.AF_INET, PrefixLength: 24, Index: 3, Attributes: &rtnetlink.AddressAttributes{Local: []byte{192, 0, 2, 1}}},
		{Family: unix.AF_INET6, PrefixLength: 64, Index: 3, Attributes: &rtnetlink.AddressAttributes{Address: make([]byte, 16), Flags: unix.IFA_F_DADFAILED}},
		{Family: unix.AF_INET, PrefixLength: 24, Index: 9, Attributes: &rtnetlink.AddressAttributes{Local: []byte{192, 0, 2, 9}}},
	}
	ifs := fromNetlink(links, addrs)
	if len(ifs) != 2 || ifs[0].Name != "eth0" || ifs[0].Master != "br0" || !ifs[0].HasCarrier() || !ifs[1].NoCarrier() {
		t.Fatalf("ifs = %+v", ifs)
	}
	if len(ifs[1].Addrs) != 2 || ifs[1].Addrs[0].Prefix.String() != "192.0.2.1/24" || !ifs[1].Addrs[1].DADFailed {
		t.Errorf("br0 addrs = %+v", ifs[1].Addrs)
	}
}

func netip127() netip.Addr { return netip.MustParseAddr("127.0.0.1") }
