package watch

import (
	"bytes"
	"net/netip"
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

	var text, js bytes.Buffer
	for _, ev := range got {
		if err := WriteText(&text, ev); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&js, ev); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	for i, sub := range []string{"new", "lived ≥1.01s", "dig (42)", "lived 20ms ephemeral [destroy]", "owner unknown lived less than a poll interval", "named (11) (was named (10))"} {
		if !strings.Contains(lines[i], sub) {
			t.Errorf("line %d %q lacks %q", i, lines[i], sub)
		}
	}
	if n := strings.Count(js.String(), "\n"); n != len(got) {
		t.Errorf("%d JSON lines, want %d", n, len(got))
	}
	if !strings.Contains(js.String(), `"lived_ms":20,"lived_exact":true`) {
		t.Errorf("JSON lacks the exact lifetime:\n%s", js.String())
	}
}
