package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/bpfwatch"
)

func udp(local string, inode, cookie uint64) snapshot.Socket {
	return snapshot.Socket{Proto: snapshot.UDP, Local: netip.MustParseAddrPort(local), State: snapshot.Unconnected, Inode: inode, Cookie: cookie}
}

func TestTracker(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	sec := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }
	alice := snapshot.Owner{PID: 10, Name: "named", StartTime: 5}
	bob := snapshot.Owner{PID: 11, Name: "named", StartTime: 6}
	owners := map[uint64][]snapshot.Owner{1: {alice}, 2: {alice}}
	lookup := func(w map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) { return owners, "" }
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	tr.Ephemeral = &snapshot.PortRange{First: 32768, Last: 60999}

	tr.Start(sec(0), []snapshot.Socket{udp("0.0.0.0:53", 1, 100)}, lookup)
	// A poll finds a new socket (with its owner), then loses it.
	tr.Poll(sec(1), sec(1.01), []snapshot.Socket{udp("0.0.0.0:53", 1, 100), udp("0.0.0.0:40000", 2, 200)}, lookup)
	tr.Poll(sec(2), sec(2.01), []snapshot.Socket{udp("0.0.0.0:53", 1, 100)}, lookup)
	// eBPF: a bind, then its destroy notice (by cookie 0 → by address).
	tr.Bound(sec(3), bpfwatch.Event{Kind: bpfwatch.Bind, Protocol: bpfwatch.ProtoUDP, Inode: 3, PID: 42, Comm: "dig",
		Local: netip.MustParseAddrPort("0.0.0.0:45000")})
	tr.Destroyed(sec(3.02), udp("0.0.0.0:45000", 0, 300))
	// A late poll that still lists inode 3 does not revive it.
	tr.Poll(sec(2.99), sec(3.1), []snapshot.Socket{udp("0.0.0.0:53", 1, 100), udp("0.0.0.0:45000", 3, 300)}, lookup)
	// A notice of a socket nobody saw; a connected one is ignored.
	tr.Destroyed(sec(4), udp("0.0.0.0:50000", 0, 400))
	conn := udp("192.0.2.1:50001", 0, 401)
	conn.Remote = netip.MustParseAddrPort("192.0.2.2:53")
	tr.Destroyed(sec(4), conn)
	// The owner of 53 changes.
	owners[1] = []snapshot.Owner{bob}
	tr.Rescan(sec(5), lookup)

	want := []struct {
		kind  Kind
		port  uint16
		seen  string
		owner int
		lived time.Duration
		exact bool
	}{
		{New, 40000, SeenPoll, 10, 0, false},
		{Gone, 40000, SeenPoll, 10, sec(2.01).Sub(sec(1)), false},
		{New, 45000, SeenEBPF, 42, 0, true},
		{Gone, 45000, SeenDestroy, 42, sec(3.02).Sub(sec(3)), true},
		{Gone, 50000, SeenDestroy, 0, 0, false},
		{OwnerChanged, 53, SeenRescan, 11, 0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		ev := got[i]
		pid := 0
		if len(ev.Owners) > 0 {
			pid = ev.Owners[0].PID
		}
		if ev.Kind != w.kind || ev.Local.Port() != w.port || ev.SeenBy != w.seen || pid != w.owner ||
			(w.kind == Gone && (ev.Lived != w.lived || ev.LivedExact != w.exact)) {
			t.Errorf("event %d = %s %d %s pid %d lived %v exact %v; want %+v", i, ev.Kind, ev.Local.Port(), ev.SeenBy, pid, ev.Lived, ev.LivedExact, w)
		}
	}
	if !got[0].Ephemeral || got[5].Ephemeral {
		t.Errorf("ephemeral marks: %v %v", got[0].Ephemeral, got[5].Ephemeral)
	}
	if got[5].Previous[0].PID != 10 {
		t.Errorf("previous owners %+v", got[5].Previous)
	}
	s := tr.Summary
	if s.Initial != 1 || s.New != 2 || s.NewWithOwner != 2 || s.Gone != 3 || s.OwnerChanged != 1 || s.Polls != 3 {
		t.Errorf("summary %+v", s)
	}
	if tr.Len() != 1 {
		t.Errorf("%d sockets tracked, want 1", tr.Len())
	}

	// The lines for people are internal/render's (its watch tests);
	// here the JSON form of the events.
	var js bytes.Buffer
	for _, ev := range got {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		js.Write(append(b, '\n'))
	}
	if !strings.Contains(js.String(), `"lived_ms":20,"lived_exact":true`) {
		t.Errorf("JSON lacks the exact lifetime:\n%s", js.String())
	}
}

// TestTrackerForgetsClosed: a closed inode is remembered for closedFor (a
// late poll does not revive it), then forgotten by prune in time order, so
// that what the tracker keeps stays bounded under churn.
func TestTrackerForgetsClosed(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	const n = 5000
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		tr.Bound(at, bpfwatch.Event{Kind: bpfwatch.Bind, Protocol: bpfwatch.ProtoUDP, Inode: uint64(1000 + i), Cookie: uint64(9000 + i),
			PID: 42, Comm: "churn", Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+i%20000))})
		tr.Destroyed(at.Add(time.Microsecond), udp(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+i%20000)).String(), 0, uint64(9000+i)))
	}
	if len(got) != 2*n || tr.Len() != 0 {
		t.Fatalf("%d events, %d tracked; want %d and 0", len(got), tr.Len(), 2*n)
	}
	// Before a minute has passed: a poll listing inode 1000 does not revive it.
	tr.Poll(t0.Add(30*time.Second), t0.Add(30*time.Second), []snapshot.Socket{udp("127.0.0.1:40000", 1000, 9000)}, nil)
	if len(got) != 2*n {
		t.Fatalf("a late poll revived a closed socket: %+v", got[len(got)-1])
	}
	if r := tr.Remembered(); r != 2*n {
		t.Errorf("remembers %d inodes and cookies, want %d", r, 2*n)
	}
	// Half of them are older than closedFor at this poll.
	tr.Poll(t0.Add(closedFor+2500*time.Millisecond), t0.Add(closedFor+2500*time.Millisecond), nil, nil)
	if r := tr.Remembered(); r < 2*(n/2-2) || r > 2*(n/2+2) {
		t.Errorf("after %v remembers %d, want about %d", closedFor+2500*time.Millisecond, r, n)
	}
	tr.Poll(t0.Add(3*closedFor), t0.Add(3*closedFor), nil, nil)
	if r := tr.Remembered(); r != 0 {
		t.Errorf("after %v remembers %d, want 0", 3*closedFor, r)
	}
	if len(tr.closedQ)-tr.closedHead != 0 {
		t.Errorf("queue holds %d keys after all expired", len(tr.closedQ)-tr.closedHead)
	}
}

// TestTrackerUnpolledNamespace: a namespace whose dump failed keeps its
// sockets; events carry the namespace's name.
func TestTrackerUnpolledNamespace(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	tr.NSName = func(ino uint64) string {
		if ino == 7 {
			return "blue"
		}
		return ""
	}
	a, b := udp("0.0.0.0:53", 1, 10), udp("0.0.0.0:123", 2, 20)
	a.NetNS, b.NetNS = 7, 8
	tr.Start(t0, nil, nil)
	tr.Poll(t0.Add(time.Second), t0.Add(time.Second), []snapshot.Socket{a, b}, nil)
	// Namespace 8 could not be polled: its socket is not gone.
	tr.PollNamespaces(t0.Add(2*time.Second), t0.Add(2*time.Second), []snapshot.Socket{a}, func(ino uint64) bool { return ino != 8 }, nil)
	// Namespace 7 was, and lost its socket.
	tr.PollNamespaces(t0.Add(3*time.Second), t0.Add(3*time.Second), []snapshot.Socket{b}, func(ino uint64) bool { return ino != 8 }, nil)
	var lines []string
	for _, ev := range got {
		lines = append(lines, string(ev.Kind)+" "+ev.Local.String()+" "+ev.NetNSName)
	}
	want := []string{"new 0.0.0.0:53 blue", "new 0.0.0.0:123 ", "gone 0.0.0.0:53 blue"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestTrackerShortLivedTCPListener: the destroy notice of a TCP listener
// that lived and died between two polls is reported gone (poll mode
// promises it); a closed TCP client connection is not.
func TestTrackerShortLivedTCPListener(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	tr.Start(t0, nil, nil)
	listener := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("0.0.0.0:8080"), State: snapshot.Unconnected, Cookie: 77, UID: snapshot.Uint32(1000)}
	client := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("192.0.2.1:40000"), Remote: netip.MustParseAddrPort("192.0.2.2:80"), State: snapshot.Unconnected, Cookie: 78}
	tr.Destroyed(t0.Add(time.Millisecond), listener)
	tr.Destroyed(t0.Add(time.Millisecond), client)
	if len(got) != 1 || got[0].Kind != Gone || got[0].Local.Port() != 8080 || got[0].Proto != snapshot.TCP || got[0].State != snapshot.Listen {
		t.Fatalf("events %+v, want one gone TCP listener on 8080", got)
	}
}

// TestTrackerRetriesOwner: a new socket whose owner the first lookup did
// not find (the process forked after /proc was listed) is looked up again
// at the next polls, in the scan of that poll, and reported owner-changed
// once found; one never found is given up after OwnerRetries polls, and
// the scans stop.
func TestTrackerRetriesOwner(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	daemon := snapshot.Owner{PID: 20, Name: "nginx", StartTime: 7}
	found := map[uint64][]snapshot.Owner{}
	var asked []int // how many inodes each lookup wanted
	lookup := func(w map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) {
		asked = append(asked, len(w))
		return found, ""
	}
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	tr.Start(sec(0), nil, lookup)
	late, never := udp("0.0.0.0:8080", 1, 0), udp("0.0.0.0:9090", 2, 0)
	tr.Poll(sec(1), sec(1), []snapshot.Socket{late, never}, lookup)
	found[1] = []snapshot.Owner{daemon}
	for i := 2; i <= 2+OwnerRetries; i++ {
		tr.Poll(sec(i), sec(i), []snapshot.Socket{late, never}, lookup)
	}
	if len(got) != 3 || got[2].Kind != OwnerChanged || got[2].Inode != 1 || len(got[2].Owners) != 1 || got[2].Owners[0].PID != 20 || got[2].SeenBy != SeenPoll {
		t.Fatalf("events %+v: want two new sockets, then the owner of inode 1", got)
	}
	// Start asks nothing (no sockets); then 2 new, then both, then the
	// one never found until its retries are spent, then none.
	want := []int{2, 2}
	for range OwnerRetries - 1 {
		want = append(want, 1)
	}
	if !slices.Equal(asked, want) {
		t.Errorf("lookups wanted %v inodes, want %v", asked, want)
	}
	if tr.Summary.OwnerChanged != 1 {
		t.Errorf("summary %+v", tr.Summary)
	}
}

// TestLoopbackReach: a loopback socket's events carry what tells whether
// other machines reach it (IP_TRANSPARENT from the dump, the interfaces
// whose route_localnet is on, IPv4 only), and why not when that was not
// read: an eBPF record has no socket options until a poll dumps the
// socket, and a namespace whose setting could not be read is unknown.
func TestLoopbackReach(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var got []Event
	tr := NewTracker(func(ev Event) { got = append(got, ev) })
	tr.Localnet = func(netns uint64) ([]string, error) {
		if netns == 2 {
			return nil, errors.New("unreadable")
		}
		return []string{"eth1"}, nil
	}
	var reached []Event
	tr.Reach = func(ev Event) { reached = append(reached, ev) }
	lookup := func(map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) { return nil, "" }
	transparent := udp("127.0.0.1:7000", 1, 0)
	transparent.Transparent, transparent.NetNS = true, 1
	v6 := udp("[::1]:7001", 2, 0)
	v6.NetNS = 1
	unread := udp("127.0.0.2:7002", 3, 0)
	unread.NetNS = 2
	wild := udp("0.0.0.0:7003", 4, 0)
	wild.NetNS = 1
	tr.Poll(t0, t0, []snapshot.Socket{transparent, v6, unread, wild}, lookup)
	tr.Bound(t0, bpfwatch.Event{Kind: bpfwatch.Bind, Protocol: bpfwatch.ProtoUDP, Inode: 5, NetNS: 1, Local: netip.MustParseAddrPort("127.0.0.1:7004")})
	ebpf := udp("127.0.0.1:7004", 5, 0)
	ebpf.NetNS = 1
	tr.Poll(t0, t0.Add(time.Second), []snapshot.Socket{transparent, v6, unread, wild, ebpf}, nil)
	tr.Rescan(t0.Add(2*time.Second), func(map[uint64]struct{}) (map[uint64][]snapshot.Owner, string) {
		return map[uint64][]snapshot.Owner{5: {{PID: 9}}}, ""
	})
	type reach struct {
		kind        Kind
		port        uint16
		via         string
		transparent bool
		unknown     string
	}
	var saw []reach
	for _, ev := range got {
		saw = append(saw, reach{ev.Kind, ev.Local.Port(), strings.Join(ev.RouteLocalnet, ","), ev.Transparent, ev.ExposureUnknown})
	}
	want := []reach{
		{New, 7000, "eth1", true, ""},
		{New, 7001, "", false, ""},
		{New, 7002, "", false, "unreadable"},
		{New, 7003, "", false, ""},
		{New, 7004, "eth1", false, "its IP_TRANSPARENT flag is not in the eBPF record, and no poll has dumped it yet"},
		{OwnerChanged, 7004, "eth1", false, ""}, // the poll dumped it
	}
	if !slices.Equal(saw, want) {
		t.Errorf("events:\n%v\nwant\n%v", saw, want)
	}
	// The poll that dumped the eBPF-recorded socket hands it to Reach,
	// once, with its flag read.
	if len(reached) != 1 || reached[0].Inode != 5 || reached[0].TransparentUnknown || reached[0].ExposureUnknown != "" || got[4].TransparentUnknown != true {
		t.Errorf("Reach got %+v, want inode 5 once, its flag read", reached)
	}
}
