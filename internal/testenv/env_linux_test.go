package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// gone reports whether pid has exited (or is a zombie awaiting its reaper).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which ends at the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// waitGone waits up to 5s for every pid to be gone.
func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Errorf("%s: pid %d still running after cleanup", what, pid)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func ssIn(t *testing.T, ns *NS) []SSSocket {
	t.Helper()
	socks, err := ParseSS(strings.NewReader(ns.Run(t, "ss", "-tulpnHe")))
	if err != nil {
		t.Fatal(err)
	}
	return socks
}

func findSS(socks []SSSocket, proto string, local netip.AddrPort) (SSSocket, bool) {
	for _, s := range socks {
		if s.Netid == proto && s.Local == local {
			return s, true
		}
	}
	return SSSocket{}, false
}

func TestEnv(t *testing.T) {
	env := New(t)
	t.Logf("mode %v, namespace holder pid %d, peer holder pid %d", env.Mode, env.HolderPID(), env.Peer.HolderPID())

	t.Run("addresses", func(t *testing.T) {
		for _, c := range []struct {
			ns   *NS
			dev  string
			want []string
		}{
			{env.NS, VethMain, []string{"192.0.2.1/24", "2001:db8::1/64"}},
			{env.Peer, VethPeer, []string{"192.0.2.2/24", "2001:db8::2/64"}},
			{env.NS, "lo", []string{"127.0.0.1/8", "::1/128"}},
		} {
			out := c.ns.Run(t, "ip", "-o", "addr", "show", "dev", c.dev)
			for _, w := range c.want {
				if !strings.Contains(out, " "+w+" ") {
					t.Errorf("%s lacks %s:\n%s", c.dev, w, out)
				}
			}
			if link := c.ns.Run(t, "ip", "-o", "link", "show", "dev", c.dev); !strings.Contains(link, "UP") {
				t.Errorf("%s is not up: %s", c.dev, link)
			}
		}
		host, err := os.Readlink("/proc/self/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		ino, err := env.NetNSInode()
		if err != nil {
			t.Fatal(err)
		}
		if host == fmt.Sprintf("net:[%d]", ino) {
			t.Errorf("test namespace %d is the test process's own", ino)
		}
	})

	t.Run("shared socket", func(t *testing.T) {
		l := env.Listen(t, ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("192.0.2.1:7001"), Children: 2})
		if len(l.Children) != 2 || l.Inode == 0 || l.Local.Port() != 7001 {
			t.Fatalf("listener = %+v, want 2 children, an inode and port 7001", l)
		}
		s, ok := findSS(ssIn(t, env.NS), "tcp", l.Local)
		if !ok {
			t.Fatalf("ss does not show tcp %v", l.Local)
		}
		if s.Inode != l.Inode || !slices.Equal(s.PIDs(), l.PIDs()) {
			t.Errorf("ss shows inode %d pids %v, helper says inode %d pids %v", s.Inode, s.PIDs(), l.Inode, l.PIDs())
		}
		// The veth pair carries traffic: connect from the peer namespace.
		env.Peer.Run(t, "bash", "-c", "exec 3<>/dev/tcp/192.0.2.1/7001")
		if _, ok := findSS(ssIn(t, env.Peer), "tcp", l.Local); ok {
			t.Errorf("the peer namespace shows the test namespace's listener")
		}
		l.Stop()
		waitGone(t, "listener", l.PIDs()...)
		if _, ok := findSS(ssIn(t, env.NS), "tcp", l.Local); ok {
			t.Errorf("socket still listed after Stop")
		}
	})

	t.Run("v6only", func(t *testing.T) {
		for _, c := range []struct {
			proto  string
			addr   string
			v6only *bool
			want   bool // ss's v6only
			dual   bool // ss prints "*"
		}{
			{"tcp", "[::]:7002", ptr(true), true, false},
			{"tcp", "[::]:7003", ptr(false), false, true},
			{"udp", "[::]:7102", ptr(true), true, false},
			{"udp", "[::]:7103", nil, false, true},          // a new namespace defaults to bindv6only=0
			{"udp", "[2001:db8::1]:7106", nil, true, false}, // the kernel sets v6only when binding a specific IPv6 address
		} {
			l := env.Listen(t, ListenSpec{Proto: c.proto, Addr: netip.MustParseAddrPort(c.addr), V6Only: c.v6only})
			s, ok := findSS(ssIn(t, env.NS), c.proto, l.Local)
			if !ok {
				t.Fatalf("ss does not show %s %v", c.proto, l.Local)
			}
			if s.V6Only == nil || *s.V6Only != c.want || s.Dual != c.dual || s.Inode != l.Inode {
				t.Errorf("%s %s: ss v6only %s dual %v inode %d; want %v %v %d", c.proto, c.addr, fmtBool(s.V6Only), s.Dual, s.Inode, c.want, c.dual, l.Inode)
			}
		}
	})

	t.Run("ephemeral port", func(t *testing.T) {
		l := env.Listen(t, ListenSpec{Proto: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:0")})
		if l.Local.Port() == 0 || l.Local.Addr() != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("bound %v, want 127.0.0.1 with a real port", l.Local)
		}
		if _, ok := findSS(ssIn(t, env.NS), "udp", l.Local); !ok {
			t.Errorf("ss does not show udp %v", l.Local)
		}
	})

	t.Run("bind error", func(t *testing.T) {
		_, err := env.listen(t, ListenSpec{Proto: "tcp", Addr: netip.MustParseAddrPort("198.51.100.7:7009")})
		if err == nil || !strings.Contains(err.Error(), "bind") {
			t.Errorf("binding an address the namespace lacks: error %v, want a bind error", err)
		}
	})

	t.Run("sshd", func(t *testing.T) {
		d := env.SSHD(t, netip.MustParseAddrPort("192.0.2.1:2222"))
		s, ok := findSS(ssIn(t, env.NS), "tcp", d.Local)
		if !ok {
			t.Fatalf("ss does not show sshd on %v; sshd log:\n%s", d.Local, d.Proc.Stderr())
		}
		if !slices.Equal(s.PIDs(), []int{d.PID}) || len(s.Users) != 1 || s.Users[0].Name != "sshd" {
			t.Errorf("ss users %+v, want sshd pid %d", s.Users, d.PID)
		}
		d.Proc.Stop()
		waitGone(t, "sshd", d.PID)
	})
}

func TestCleanup(t *testing.T) {
	var pids []int
	var nsPath string
	t.Run("env", func(t *testing.T) {
		env := New(t)
		l := env.Listen(t, ListenSpec{Proto: "udp", Addr: netip.MustParseAddrPort("0.0.0.0:7200"), Children: 1})
		pids = append([]int{env.HolderPID(), env.Peer.HolderPID()}, l.PIDs()...)
		nsPath = env.NetNSPath()
	})
	if len(pids) == 0 {
		t.Skip("no namespace was made (see the subtest's skip reason)")
	}
	waitGone(t, "namespace", pids...)
	if _, err := os.Stat(nsPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after cleanup (err %v)", nsPath, err)
	}
}

func TestChurnRole(t *testing.T) {
	env := New(t)
	p := env.StartHelper(t, "churn", ChurnSpec{Iterations: 20, PortBase: 7300, PortSpan: 4, Addr: MainAddr4, Seed: 1, Protos: []string{"tcp", "udp"}, MaxHold: time.Millisecond})
	opened := map[uint64]ChurnEvent{}
	closed := 0
	for line := range p.Lines() {
		ev, err := DecodeChurnEvent(line)
		if err != nil {
			t.Fatal(err)
		}
		if ev.PID != p.PID {
			t.Errorf("event from pid %d, helper is %d", ev.PID, p.PID)
		}
		switch ev.Event {
		case "open":
			opened[ev.Inode] = ev
		case "close":
			o, ok := opened[ev.Inode]
			if !ok || ev.T < o.T {
				t.Errorf("close %+v without an earlier open", ev)
			}
			closed++
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("churn helper: %v: %s", err, p.Stderr())
	}
	if len(opened) != 20 || closed != 20 {
		t.Errorf("%d opens and %d closes, want 20 of each (one helper never collides with itself)", len(opened), closed)
	}
}

func ptr[T any](v T) *T { return &v }

func fmtBool(b *bool) string {
	if b == nil {
		return "unset"
	}
	return fmt.Sprint(*b)
}

// TestInPIDNamespace: the test runs again as PID 1 of a PID namespace
// whose procfs lists its own processes only.
func TestInPIDNamespace(t *testing.T) {
	procRoot, inside := InPIDNamespace(t)
	if !inside {
		return
	}
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range ents {
		if e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			pids = append(pids, e.Name())
		}
	}
	if !slices.Contains(pids, "1") || len(pids) > 10 {
		t.Errorf("the namespace's procfs lists PIDs %v, want this process as 1 and nothing of the host", pids)
	}
	self, err := os.Readlink(procRoot + "/self")
	if err != nil || self != "1" {
		t.Errorf("%s/self is %q (%v), want 1", procRoot, self, err)
	}
}
