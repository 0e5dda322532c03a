package lsof_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/lsof"
	"github.com/openports/openports/internal/parse/parsetest"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/testenv"
)

// TestMain lets the test binary play the helper roles of testenv (the
// listeners of the real-lsof round trip). testenv builds on Linux only.
func TestMain(m *testing.M) { testenv.Main(m) }

// socketFDs lists the descriptors through which pid holds the socket with
// the given inode, read from /proc independently of lsof.
func socketFDs(t *testing.T, pid int, inode uint64) []int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	want := fmt.Sprintf("socket:[%d]", inode)
	var fds []int
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil || link != want {
			continue
		}
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	return fds
}

// TestRealLsof runs the real lsof inside a private network namespace with
// known listeners (one shared by a parent and its forked child) and checks
// that both output formats parse to exactly those sockets and owners.
func TestRealLsof(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skip("lsof not installed: run make test-deps")
	}
	env := testenv.New(t)
	specs := []testenv.ListenSpec{
		{Proto: "tcp", Addr: netip.MustParseAddrPort("0.0.0.0:0"), Children: 1},
		{Proto: "tcp", Addr: netip.MustParseAddrPort("[::]:0"), V6Only: snapshot.Bool(true)},
		{Proto: "tcp", Addr: netip.MustParseAddrPort("[::1]:0")},
		{Proto: "tcp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)},
		{Proto: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:0")},
		{Proto: "udp", Addr: netip.AddrPortFrom(testenv.MainAddr6, 0)},
	}
	type want struct {
		proto  snapshot.Proto
		local  netip.AddrPort
		state  snapshot.State
		inode  uint64
		owners map[int][]int // pid -> fds
	}
	var wants []want
	for _, spec := range specs {
		l := env.Listen(t, spec)
		w := want{proto: snapshot.Proto(spec.Proto), local: l.Local, state: snapshot.Listen, inode: l.Inode, owners: map[int][]int{}}
		if spec.Proto == "udp" {
			w.state = snapshot.Unconnected
		}
		for _, pid := range l.PIDs() {
			w.owners[pid] = socketFDs(t, pid, l.Inode)
			if len(w.owners[pid]) == 0 {
				t.Fatalf("pid %d does not hold socket %d", pid, l.Inode)
			}
		}
		wants = append(wants, w)
	}
	if len(wants[0].owners) != 2 {
		t.Fatalf("shared listener has holders %v, want parent and child", wants[0].owners)
	}

	for _, tc := range []struct {
		parser parse.Parser
		args   []string
	}{
		{lsof.Table, []string{"-i", "-n", "-P"}},
		{lsof.Fields, []string{"-i", "-n", "-P", "-F", "pcuLRftdPnT"}},
	} {
		t.Run(tc.parser.Format(), func(t *testing.T) {
			out := env.NS.Run(t, "lsof", tc.args...)
			res, err := tc.parser.Parse(strings.NewReader(out), "lsof")
			if err != nil {
				t.Fatal(err)
			}
			parsetest.CheckCounts(t, res)
			for _, p := range res.Problems {
				t.Errorf("problem: %v", p)
			}
			s := res.Snapshot
			if s.OS != "linux" {
				t.Errorf("OS %q, want linux", s.OS)
			}
			if len(s.Sockets) != len(wants) {
				t.Errorf("got %d sockets, want %d:\n%s", len(s.Sockets), len(wants), out)
			}
			for _, w := range wants {
				var got *snapshot.Socket
				for i := range s.Sockets {
					if s.Sockets[i].Proto == w.proto && s.Sockets[i].Local == w.local {
						got = &s.Sockets[i]
					}
				}
				if got == nil {
					t.Errorf("%s %v missing:\n%s", w.proto, w.local, out)
					continue
				}
				if got.State != w.state || got.OwnerState != snapshot.OwnersComplete || got.Remote.IsValid() {
					t.Errorf("%s %v: state %s owners %s remote %v", w.proto, w.local, got.State, got.OwnerState, got.Remote)
				}
				if got.Inode != w.inode {
					t.Errorf("%s %v: inode %d, want %d", w.proto, w.local, got.Inode, w.inode)
				}
				gotOwners := map[int][]int{}
				for _, o := range got.Owners {
					gotOwners[o.PID] = o.FDs
					if o.Name == "" {
						t.Errorf("%s %v: owner %d has no name", w.proto, w.local, o.PID)
					}
				}
				if fmt.Sprint(gotOwners) != fmt.Sprint(w.owners) {
					t.Errorf("%s %v: owners (pid: fds) %v, want %v", w.proto, w.local, gotOwners, w.owners)
				}
			}
		})
	}
}
