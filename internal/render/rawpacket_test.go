package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// TestRawPacketGolden: a namespace with no listener where python3 holds a
// raw TCP socket and a packet socket (a snapshot recorded by
// ../analysis/testdata/capture/rawpacket.sh). No format gives the
// all-clear; the table names the holder. Before, the table said "nothing
// reachable found" and nothing of either socket.
func TestRawPacketGolden(t *testing.T) {
	r := snapshotReport(t, "../analysis/testdata/rawpacket.snapshot.json", false)
	if len(r.RawSockets) != 2 {
		t.Fatalf("report holds %d raw/packet sockets, want 2", len(r.RawSockets))
	}
	goldenAll(t, Reports, "list", "rawpacket", r, Options{Knowledge: kb(t)})
	var buf bytes.Buffer
	if err := writeReportTable(&buf, r, Options{Knowledge: kb(t)}); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "nothing reachable") || !strings.Contains(s, "2 raw/packet sockets receive packets from other machines before any port: python3 (4897) +?") {
		t.Errorf("table summary:\n%s", s)
	}
}

// TestRawPartialOwner: a raw socket whose other holders may be hidden
// (owner_state partial, as both of the recorded snapshot's are) is named
// with "+?", as a row's PROCESS cell is; before, the summary said
// "python3 (4897)" as if it were the only holder.
func TestRawPartialOwner(t *testing.T) {
	r := snapshotReport(t, "../analysis/testdata/rawpacket.snapshot.json", false)
	for _, s := range r.RawSockets {
		if len(s.Owners) == 0 || s.OwnerState != snapshot.OwnersPartial {
			t.Fatalf("recorded socket %d: owners %v, state %s; want a partial holder", s.Inode, s.Owners, s.OwnerState)
		}
	}
	for _, lang := range langs {
		got := rawSummary(newTexts(lang, nil), r.RawSockets)
		if !strings.Contains(got, "python3 (4897) +?") {
			t.Errorf("%s: %q, want the holder followed by +?", lang, got)
		}
	}
	r.RawSockets[0].OwnerState = snapshot.OwnersComplete
	r.RawSockets[1].Owners = nil
	r.RawSockets[1].OwnerState = snapshot.OwnersUnknown
	if got := rawSummary(newTexts("en", nil), r.RawSockets); !strings.Contains(got, "python3 (4897), ?") {
		t.Errorf("one known, one unknown: %q", got)
	}
}

// TestRawFallbackGapWording: without a raw sock_diag handler, --raw lists
// the raw sockets from /proc/net/raw (the collector then sets read_from),
// and the gap says so; another protocol without a handler was not listed.
// Before, both said "such sockets were not listed".
func TestRawFallbackGapWording(t *testing.T) {
	raw := snapshot.Gap{Area: "sockets", Reason: "sock-diag-unavailable",
		Args: map[string]string{"request": "raw/ipv4", "error": "no such file or directory", "read_from": "/proc/net/raw"}}
	other := snapshot.Gap{Area: "sockets", Reason: "sock-diag-unavailable",
		Args: map[string]string{"request": "udplite/ipv4", "error": "no such file or directory"}}
	for _, lang := range langs {
		got := newTexts(lang, nil).gap(raw)
		if !strings.Contains(got, "/proc/net/raw") || strings.Contains(got, "not listed") || strings.Contains(got, "一覧にありません") {
			t.Errorf("%s: raw fall-back gap %q, want it read from /proc/net/raw", lang, got)
		}
	}
	if got := newTexts("en", nil).gap(other); !strings.Contains(got, "were not listed") {
		t.Errorf("another protocol's gap %q, want 'were not listed'", got)
	}
}

// TestNSIDUnreadableGapWording: NSIDs that could not be read are rendered
// as such in every language, not as namespaces that were found.
func TestNSIDUnreadableGapWording(t *testing.T) {
	g := snapshot.Gap{Area: "namespaces", Reason: "netns-nsid-unreadable", Count: 1,
		Args: map[string]string{"count": "1", "error": "own namespace: permission denied"}}
	for _, lang := range langs {
		got := newTexts(lang, nil).gap(g)
		if !strings.Contains(got, "own namespace: permission denied") || strings.Contains(got, "found neither") || strings.Contains(got, "netns-nsid-unreadable") {
			t.Errorf("%s: %q", lang, got)
		}
	}
}

// TestTransparentUnreadGapWording: the transparent-unread gap names the
// namespace and the TPROXY rules in every language.
func TestTransparentUnreadGapWording(t *testing.T) {
	g := snapshot.Gap{Area: "sockets", Reason: "transparent-unread", Count: 2,
		Args: map[string]string{"count": "2", "netns": "4026531840", "rules": "-A PREROUTING -p tcp -m tcp --dport 80 -j TPROXY"}}
	for _, lang := range langs {
		got := newTexts(lang, nil).gap(g)
		if !strings.Contains(got, "4026531840") || !strings.Contains(got, "TPROXY") || !strings.Contains(got, "2") || strings.Contains(got, "transparent-unread") {
			t.Errorf("%s: %q", lang, got)
		}
	}
}
