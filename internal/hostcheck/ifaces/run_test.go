package ifaces

import (
	"bytes"
	"os"
	"testing"

	"github.com/openports/openports/internal/hostcheck/collecttest"
)

// TestCollectIfconfig runs the non-netlink collector against a fake
// `ifconfig -a`.
func TestCollectIfconfig(t *testing.T) {
	data, err := os.ReadFile("testdata/ifconfig/netbsd-wm3.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseIfconfig(bytes.NewReader(data), "ifconfig -a")
	if err != nil {
		t.Fatal(err)
	}
	Sort(want.Interfaces)
	collecttest.Run(t, collecttest.Case[Interface]{Cmd: "ifconfig -a", Output: data, Want: want.Interfaces,
		Bad: "\tinet 10.0.0.300 netmask 0xffffff00", Collect: collectIfconfig})
}
