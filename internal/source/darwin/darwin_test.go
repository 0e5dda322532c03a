package darwin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/sourcetest"
	"github.com/openports/openports/internal/source/tool"
)

func collector(r tool.Runner, euid int) *Collector {
	return &Collector{Run: r, EUID: euid,
		Now:      func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		Hostname: func() (string, error) { return "fixture", nil }}
}

func TestCollector(t *testing.T) {
	lsofOut := tool.FakeResult{Output: sourcetest.Testdata(t, "lsof-i-n-P.txt")}
	netstatOut := tool.FakeResult{Output: sourcetest.Testdata(t, "netstat-anv.txt")}
	tests := []struct {
		name   string
		fake   tool.Fake
		euid   int
		calls  []string
		source string
		gaps   []string
		golden string
		// noSockets: the recorded lsof output holds only unbound UDP
		// sockets (*:*) and connections, none of which is listed.
		noSockets bool
	}{
		{name: "lsof", fake: tool.Fake{"lsof -i -n -P": lsofOut, "netstat -anv": netstatOut},
			calls: []string{"lsof -i -n -P"}, source: "darwin/lsof", golden: "lsof.golden.json", noSockets: true},
		{name: "lsof as a user", fake: tool.Fake{"lsof -i -n -P": lsofOut}, euid: 501,
			calls: []string{"lsof -i -n -P"}, source: "darwin/lsof", gaps: []string{"owners/not-root"}, golden: "lsof-user.golden.json", noSockets: true},
		{name: "no lsof: netstat -anv", fake: tool.Fake{"netstat -anv": netstatOut},
			calls: []string{"lsof -i -n -P", "netstat -anv"}, source: "darwin/netstat", gaps: []string{"owners/one-process-per-socket", "owners/lsof-failed"}, golden: "netstat.golden.json"},
		{name: "lsof fails: netstat -anv", fake: tool.Fake{"lsof -i -n -P": {Err: errors.New("exit status 1")}, "netstat -anv": netstatOut},
			calls: []string{"lsof -i -n -P", "netstat -anv"}, source: "darwin/netstat", gaps: []string{"owners/one-process-per-socket", "owners/lsof-failed"}, golden: "netstat-lsof-fails.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &sourcetest.Recorder{Fake: tt.fake}
			snap, err := collector(r, tt.euid).Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Calls, tt.calls) {
				t.Errorf("ran %q, want %q", r.Calls, tt.calls)
			}
			var gaps []string
			for _, g := range snap.Gaps {
				gaps = append(gaps, g.Area+"/"+g.Reason)
			}
			if !slices.Equal(gaps, tt.gaps) {
				t.Errorf("gaps %q, want %q", gaps, tt.gaps)
			}
			if snap.Source != tt.source || snap.OS != "darwin" || snap.BindV6Only == nil || *snap.BindV6Only {
				t.Errorf("source %q os %q v6only %v", snap.Source, snap.OS, snap.BindV6Only)
			}
			if (len(snap.Sockets) == 0) != tt.noSockets {
				t.Errorf("%d sockets, want none: %v", len(snap.Sockets), tt.noSockets)
			}
			for _, s := range snap.Sockets {
				if s.Remote.IsValid() || s.State == snapshot.Established || s.State == "CLOSE-WAIT" {
					t.Errorf("connected socket kept: %+v", s)
				}
			}
			sourcetest.Golden(t, tt.golden, snap)
		})
	}
}

func TestBothToolsFail(t *testing.T) {
	_, err := collector(tool.Fake{}, 0).Snapshot(context.Background())
	if !errors.Is(err, tool.ErrNotFound) || !strings.Contains(err.Error(), "lsof -i -n -P") || !strings.Contains(err.Error(), "netstat -anv") {
		t.Errorf("err = %v", err)
	}
}

var _ source.Source = (*Collector)(nil)
