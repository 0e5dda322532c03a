package render

import (
	"bytes"
	"strings"
	"testing"
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
	if s := buf.String(); strings.Contains(s, "nothing reachable") || !strings.Contains(s, "2 raw/packet sockets receive packets from other machines before any port: python3 (4897)") {
		t.Errorf("table summary:\n%s", s)
	}
}
