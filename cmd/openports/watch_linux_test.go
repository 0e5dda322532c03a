package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/testenv"
	"github.com/openports/openports/internal/watch"
)

// startWatch runs a watch command line with --duration in the background;
// the function it returns waits for it (30 s at most), fails the test
// unless it exited 0, and returns its stdout.
func startWatch(t *testing.T, args ...string) (wait func() *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), args, &stdout, &stderr) }()
	return func() *bytes.Buffer {
		t.Helper()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("%s: exit %d; stderr:\n%s", strings.Join(args, " "), code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s still runs after 30 s", strings.Join(args, " "))
		}
		return &stdout
	}
}

// TestWatchLive runs watch -o json with --duration in each mode, on the test
// namespace by path and with --netns all, while a UDP socket is bound there
// and closed: the output must report it new with the PID that bound it and
// gone with a lifetime, in that namespace, and end with the summary.
func TestWatchLive(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root (sock_diag destroy notices need CAP_NET_ADMIN)")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	ino, err := env.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ mode, netns string }{
		{watch.ModePoll, env.NetNSPath()},
		{watch.ModeAuto, env.NetNSPath()},
		{watch.ModeAuto, watch.AllNetNS},
	} {
		t.Run(tc.mode+" "+tc.netns, func(t *testing.T) {
			wait := startWatch(t, "watch", "-o", "json", "--mode", tc.mode, "--netns", tc.netns,
				"--interval", "200ms", "--duration", "4s")
			time.Sleep(1500 * time.Millisecond)
			l := env.Listen(t, testenv.ListenSpec{Proto: "udp", Addr: netip.AddrPortFrom(testenv.MainAddr4, 0)})
			time.Sleep(700 * time.Millisecond)
			l.Stop()
			stdout := wait()
			var newEv, goneEv *watch.Event
			var sum *watch.Summary
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var wl watchLine
				if err := json.Unmarshal(sc.Bytes(), &wl); err != nil {
					t.Fatalf("line is not JSON: %v\n%s", err, sc.Text())
				}
				if wl.Summary != nil {
					sum = wl.Summary
					continue
				}
				if sum != nil {
					t.Errorf("event after the summary: %s", sc.Text())
				}
				if wl.Local != l.Local || wl.Proto != "udp" {
					continue
				}
				ev := wl.Event
				switch ev.Kind {
				case watch.New:
					newEv = &ev
				case watch.Gone:
					goneEv = &ev
				}
			}
			if sum == nil {
				t.Fatalf("no summary line:\n%s", stdout.String())
			}
			if newEv == nil || goneEv == nil {
				t.Fatalf("socket %v (PID %d): new %v, gone %v in:\n%s", l.Local, l.PID, newEv, goneEv, stdout.String())
			}
			if newEv.NetNS != ino || goneEv.NetNS != ino {
				t.Errorf("events in namespace %d and %d, want %d", newEv.NetNS, goneEv.NetNS, ino)
			}
			if len(newEv.Owners) == 0 || newEv.Owners[0].PID != l.PID {
				t.Errorf("new event owners %+v, want PID %d", newEv.Owners, l.PID)
			}
			if goneEv.LivedMS < 100 || goneEv.LivedMS > 5000 {
				t.Errorf("gone event says it lived %.1f ms; it was bound for about 700 ms", goneEv.LivedMS)
			}
			if sum.New < 1 || sum.Gone < 1 || sum.Polls < 5 {
				t.Errorf("summary %+v: want at least one new, one gone and 5 polls", *sum)
			}
			if tc.netns == watch.AllNetNS && sum.Namespaces < 2 {
				t.Errorf("--netns all watched %d namespaces, want the host's and the test's", sum.Namespaces)
			}
			t.Logf("mode %s (owners by %s): new by %s, gone by %s after %.1f ms", sum.Mode, sum.OwnerMethod, newEv.SeenBy, goneEv.SeenBy, goneEv.LivedMS)
		})
	}
}

// TestWatchSaysWhatItWatches: before the first event, which may be long
// in coming, the text mode says what it watches and how to stop, on
// standard error; the summary closes it there too.
func TestWatchSaysWhatItWatches(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("watch needs Linux")
	}
	for _, lang := range []string{"en", "ja"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"watch", "--mode", "poll", "--interval", "100ms", "--duration", "300ms", "--lang", lang}, &stdout, &stderr)
		if code == 3 && strings.Contains(stderr.String(), "sock_diag") {
			t.Skipf("sock_diag refused here: %s", stderr.String())
		}
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		first, last := lines[0], lines[len(lines)-1]
		want := map[string][2]string{"en": {"watching listening and bound sockets", "Ctrl-C"}, "ja": {"監視中", "Ctrl-C"}}[lang]
		if !strings.Contains(first, want[0]) || !strings.Contains(first, want[1]) || !strings.Contains(first, "poll") {
			t.Errorf("%s: first line %q does not say what is watched and how to stop", lang, first)
		}
		if !strings.Contains(last, map[string]string{"en": "watched", "ja": "監視"}[lang]) {
			t.Errorf("%s: last line %q is not the summary", lang, last)
		}
	}
}
