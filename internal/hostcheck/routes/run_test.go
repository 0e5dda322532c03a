package routes

import (
	"bytes"
	"os"
	"testing"

	"github.com/openports/openports/internal/hostcheck/collecttest"
)

// TestCollectNetstat runs the non-netlink collector against a fake
// `netstat -rn`.
func TestCollectNetstat(t *testing.T) {
	data, err := os.ReadFile("testdata/route/netbsd-netstat-f-inet-r.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseNetstat(bytes.NewReader(data), "netstat -rn")
	if err != nil {
		t.Fatal(err)
	}
	Sort(want.Routes)
	collecttest.Run(t, collecttest.Case[Route]{Cmd: "netstat -rn", Output: data, Want: want.Routes,
		Bad: "\tthis is not netstat output", Collect: collectNetstat})
}
