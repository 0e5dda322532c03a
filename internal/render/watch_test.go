package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/watchpolicy"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
)

// watchItems are a start line, each kind of event and a summary.
func watchItems() []WatchItem {
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC)
	uid := uint32(1000)
	dig := []snapshot.Owner{{PID: 4242, Name: "dig", User: "alice", UID: &uid}}
	named := []snapshot.Owner{{PID: 11, Name: "named", User: "bind"}}
	ap := netip.MustParseAddrPort
	events := []watch.Event{
		{Time: t0, Kind: watch.New, Proto: snapshot.UDP, Local: ap("192.0.2.1:40000"), Owners: dig, OwnerState: snapshot.OwnersComplete, Ephemeral: true, SeenBy: watch.SeenEBPF},
		{Time: t0.Add(20 * time.Millisecond), Kind: watch.Gone, Proto: snapshot.UDP, Local: ap("192.0.2.1:40000"), Owners: dig, OwnerState: snapshot.OwnersComplete,
			Lived: 20 * time.Millisecond, LivedExact: true, Ephemeral: true, SeenBy: watch.SeenDestroy},
		{Time: t0.Add(time.Second), Kind: watch.Gone, Proto: snapshot.TCP, Local: ap("0.0.0.0:8080"), UID: &uid, OwnerState: snapshot.OwnersUnknown, SeenBy: watch.SeenDestroy},
		{Time: t0.Add(2 * time.Second), Kind: watch.Gone, Proto: snapshot.TCP, Local: ap("[::]:22"), Owners: dig, OwnerState: snapshot.OwnersComplete, Lived: 1010 * time.Millisecond, SeenBy: watch.SeenPoll},
		{Time: t0.Add(3 * time.Second), Kind: watch.OwnerChanged, Proto: snapshot.UDP, Local: ap("0.0.0.0:53"), NetNSName: "blue", Owners: named,
			Previous: []snapshot.Owner{{PID: 10, Name: "named"}}, OwnerState: snapshot.OwnersComplete, SeenBy: watch.SeenRescan},
		{Time: t0.Add(4 * time.Second), Kind: watch.New, Proto: snapshot.TCP, Local: ap("0.0.0.0:2049"), NetNS: 4026532000, OwnerState: snapshot.OwnersNone, SeenBy: watch.SeenPoll},
	}
	items := []WatchItem{{Start: &WatchStart{Mode: "auto", Interval: time.Second}}, {Start: &WatchStart{Mode: "poll", Interval: 500 * time.Millisecond, AllNamespaces: true}}, {Explain: true}}
	for i := range events {
		items = append(items, WatchItem{Event: &events[i]})
	}
	sum := watch.Summary{Start: t0, Duration: 10 * time.Second, Mode: "poll", Initial: 1, New: 2, NewWithOwner: 1, Gone: 3, OwnerChanged: 1, Polls: 10,
		Namespaces: 2, OwnerMethod: snapshot.OwnerMethodProcFD, OwnerScans: 4, EBPFLost: 2, Errors: map[string]int{"poll: EINTR": 2}}
	policy := sum
	policy.Policy = &watch.PolicyCounts{File: "/etc/openports/policy.yaml", Violations: 3, OwnerUnknown: 1, Suppressed: 2}
	return append(items, WatchItem{Summary: &sum}, WatchItem{Summary: &policy})
}

// violations reads the violations watchpolicy's test reports (its golden
// JSON lines): one of each kind, ephemeral and unknown owners among them.
func violations(t *testing.T) []watchpolicy.Violation {
	t.Helper()
	b, err := os.ReadFile("../watchpolicy/testdata/violations.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []watchpolicy.Violation
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var v watchpolicy.Violation
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestViolationGolden writes the violations in every format and language;
// in English the text is watchpolicy's message.
func TestViolationGolden(t *testing.T) {
	vs := violations(t)
	for _, format := range Violations.Formats() {
		for _, lang := range langs {
			write, _ := Violations.Writer(format)
			var buf bytes.Buffer
			for _, v := range vs {
				if err := write(&buf, v, Options{Lang: lang}); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, filepath.Join("testdata", "watch", "violations."+lang+"."+format), buf.Bytes())
		}
	}
	en := newTexts("en", nil)
	for _, v := range vs {
		if got := en.violation(v); got != v.Message {
			t.Errorf("en: %q, watchpolicy says %q", got, v.Message)
		}
	}
}
