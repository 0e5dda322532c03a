package bsd

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

func collector(goos string, r tool.Runner, euid int, opt source.Options) *Collector {
	return &Collector{OS: goos, Run: r, Options: opt, EUID: euid,
		Now:      func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		Hostname: func() (string, error) { return "fixture", nil }}
}

func gapReasons(s *snapshot.Snapshot) []string {
	var out []string
	for _, g := range s.Gaps {
		out = append(out, g.Area+"/"+g.Reason)
	}
	return out
}

func TestCollectors(t *testing.T) {
	netbsd := map[string]string{"netstat -an": "netbsd-netstat-an.txt", "fstat -n": "netbsd-fstat-n.txt"}
	tests := []struct {
		name   string
		goos   string
		files  map[string]string
		euid   int
		opt    source.Options
		calls  []string
		golden string
		gaps   []string
	}{
		{name: "netbsd as root", goos: "netbsd", files: netbsd, calls: []string{"netstat -an", "fstat -n"},
			golden: "netbsd.golden.json", gaps: []string{"owners/no-owner-in-output"}},
		{name: "netbsd as a user", goos: "netbsd", files: netbsd, euid: 1000, calls: []string{"netstat -an", "fstat -n"},
			golden: "netbsd-user.golden.json", gaps: []string{"owners/no-owner-in-output", "owners/not-root"}},
		{name: "netbsd without fstat", goos: "netbsd", files: map[string]string{"netstat -an": "netbsd-netstat-an.txt"},
			calls: []string{"netstat -an", "fstat -n"}, golden: "netbsd-no-fstat.golden.json",
			gaps: []string{"owners/no-process-column", "owners/tool-failed"}},
		{name: "openbsd", goos: "openbsd", files: map[string]string{"netstat -an": "openbsd-netstat-an.txt", "fstat -n": "openbsd-fstat-n.txt"},
			calls: []string{"netstat -an", "fstat -n"}, golden: "openbsd.golden.json", gaps: []string{"owners/no-owner-in-output"}},
		{name: "openbsd with connected sockets", goos: "openbsd", opt: source.Options{Established: true},
			files: map[string]string{"netstat -an": "openbsd-netstat-an.txt", "fstat -n": "openbsd-fstat-n.txt"},
			calls: []string{"netstat -an", "fstat -n"}, golden: "openbsd-established.golden.json", gaps: []string{"owners/no-owner-in-output"}},
		{name: "freebsd", goos: "freebsd", files: map[string]string{"sockstat -46l": "freebsd-sockstat-46l.txt"},
			calls: []string{"sockstat -46l"}, golden: "freebsd.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sourcetest.Recorded(t, tt.files)
			snap, err := collector(tt.goos, r, tt.euid, tt.opt).Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Calls, tt.calls) {
				t.Errorf("ran %q, want %q", r.Calls, tt.calls)
			}
			if got := gapReasons(snap); !slices.Equal(got, tt.gaps) {
				t.Errorf("gaps %q, want %q", got, tt.gaps)
			}
			if snap.OS != tt.goos || snap.BindV6Only == nil || !*snap.BindV6Only || snap.Privilege.EUID != tt.euid || snap.Host != "fixture" {
				t.Errorf("os %q v6only %v euid %d host %q", snap.OS, snap.BindV6Only, snap.Privilege.EUID, snap.Host)
			}
			for _, s := range snap.Sockets {
				if !tt.opt.Established && (s.Remote.IsValid() || s.State == snapshot.Established) {
					t.Errorf("connected socket kept: %+v", s)
				}
			}
			sourcetest.Golden(t, tt.golden, snap)
		})
	}
}

// TestSeedJoin checks the seed's acceptance case through the collector:
// one socket on 10.0.0.251:25 held by master and four smtpd.
func TestSeedJoin(t *testing.T) {
	r := sourcetest.Recorded(t, map[string]string{"netstat -an": "netbsd-netstat-an.txt", "fstat -n": "netbsd-fstat-n.txt"})
	snap, err := collector("netbsd", r, 0, source.Options{}).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range snap.Sockets {
		if s.Proto == snapshot.TCP && s.Local.String() == "10.0.0.251:25" {
			n++
			var names []string
			for _, o := range s.Owners {
				names = append(names, o.Name)
				if o.Via != "address" {
					t.Errorf("owner %d via %q", o.PID, o.Via)
				}
			}
			if strings.Join(names, ",") != "smtpd,smtpd,smtpd,smtpd,master" {
				t.Errorf("owners %v", names)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d sockets on 10.0.0.251:25, want 1", n)
	}
	if snap.Source != "netbsd/netstat+fstat" || snap.OwnerMethod != "fstat" {
		t.Errorf("source %q owner method %q", snap.Source, snap.OwnerMethod)
	}
}

func TestCollectorErrors(t *testing.T) {
	tests := []struct {
		name string
		goos string
		fake tool.Fake
		is   error
		has  string
	}{
		{name: "netstat missing", goos: "netbsd", fake: tool.Fake{}, is: tool.ErrNotFound, has: "collect sockets: run netstat -an: tool not found"},
		{name: "sockstat fails", goos: "freebsd", fake: tool.Fake{"sockstat -46l": {Err: errors.New("exit status 1: sockstat: kvm: Permission denied")}},
			has: "collect sockets: exit status 1: sockstat: kvm: Permission denied"},
		{name: "unsupported OS", goos: "plan9", fake: tool.Fake{}, is: source.ErrUnsupported, has: "bsd collector: plan9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collector(tt.goos, tt.fake, 0, source.Options{}).Snapshot(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.has) {
				t.Errorf("err %q lacks %q", err, tt.has)
			}
		})
	}
}

// TestUnparsedLinesAreAGap: a line the parser does not understand costs
// nothing valid and is reported as a Gap.
func TestUnparsedLinesAreAGap(t *testing.T) {
	f := tool.Fake{"sockstat -46l": {Output: []byte("USER COMMAND PID FD PROTO LOCAL ADDRESS FOREIGN ADDRESS\nroot sshd 1 4 tcp4 *:22 *:*\ngarbage\n")}}
	snap, err := collector("freebsd", f, 0, source.Options{}).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Sockets) != 1 || len(snap.Gaps) != 1 || snap.Gaps[0].Reason != "unparsed-lines" || snap.Gaps[0].Count != 1 ||
		!strings.Contains(snap.Gaps[0].Detail, `sockstat -46l:3: expected`) {
		t.Errorf("sockets %d gaps %+v", len(snap.Sockets), snap.Gaps)
	}
}
