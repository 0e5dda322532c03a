//go:build linux

package procnet

import (
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
	"github.com/openports/openports/internal/source/linux/sockdiag/nstest"
)

var capture = flag.Bool("capture", false, "record the /proc/net tables of a test namespace to testdata/tables/")

var tables = []struct {
	proto  snapshot.Proto
	family int
}{
	{snapshot.TCP, AFInet}, {snapshot.TCP, AFInet6}, {snapshot.UDP, AFInet}, {snapshot.UDP, AFInet6},
	{snapshot.UDPLite, AFInet}, {snapshot.UDPLite, AFInet6}, {snapshot.Raw, AFInet}, {snapshot.Raw, AFInet6},
}

// readAll reads every table of the calling thread's namespace through
// /proc/thread-self, with the filter sock_diag would use.
func readAll(t *testing.T, q sockdiag.Query, protos ...snapshot.Proto) []snapshot.Socket {
	t.Helper()
	var all []snapshot.Socket
	for _, tb := range tables {
		if !slices.Contains(protos, tb.proto) {
			continue
		}
		socks, err := Read("/proc", "thread-self", tb.proto, tb.family, StateMask(q.States(tb.proto)))
		if err != nil {
			t.Fatalf("Read %s/%d: %v", tb.proto, tb.family, err)
		}
		all = append(all, socks...)
	}
	return all
}

// TestLive reads the tables of a namespace holding known sockets, asserts
// the exact sets, and checks that sock_diag sees the same sockets.
func TestLive(t *testing.T) {
	ns, ok := nstest.Enter(t)
	if !ok {
		return
	}
	fx := nstest.Bind(t)
	if *capture {
		recordTables(t)
	}
	// /proc/net has no cookie and no v6only flag.
	strip := func(in []snapshot.Socket) []snapshot.Socket {
		out := slices.Clone(in)
		for i := range out {
			out[i].Cookie, out[i].V6Only, out[i].IfIndex = 0, nil, 0
		}
		slices.SortFunc(out, snapshot.CompareSockets)
		return out
	}
	ip := []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite}
	def := readAll(t, sockdiag.Query{}, ip...)
	assertSet(t, "default states", strip(def), strip(fx.Unconnected))
	all := readAll(t, sockdiag.Query{AllStates: true}, ip...)
	assertSet(t, "all states", strip(all), strip(slices.Concat(fx.Unconnected, fx.Connected)))
	raw := readAll(t, sockdiag.Query{}, snapshot.Raw)
	assertSet(t, "raw", strip(raw), strip(fx.Raw))

	// The same sockets, inodes and uids as sock_diag, in the same namespace.
	c, err := sockdiag.Open(int(ns.Fd()))
	if err != nil {
		t.Fatalf("sockdiag.Open: %v", err)
	}
	defer c.Close()
	for _, q := range []sockdiag.Query{{}, {AllStates: true}} {
		res, err := c.Dump(q)
		if err != nil {
			t.Fatalf("Dump(%+v): %v", q, err)
		}
		assertSet(t, "sock_diag vs /proc/net", strip(res.Sockets), strip(readAll(t, q, ip...)))
	}
}

func assertSet(t *testing.T, what string, got, want []snapshot.Socket) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: empty expectation", what)
	}
	if js(t, got) != js(t, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, js(t, got), js(t, want))
	}
}

// recordTables copies the namespace's tables to testdata/tables/.
func recordTables(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Fatal("-capture: fixtures are little-endian; capture on a little-endian host")
	}
	dir := filepath.Join("testdata", "tables")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		name, err := FileName(tb.proto, tb.family)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("/proc/thread-self/net", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
