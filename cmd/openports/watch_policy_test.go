package main

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/testenv"
	"github.com/openports/openports/internal/watchpolicy"
)

// TestWatchPolicyLive runs watch --policy on the test namespace while
// helpers bind: a listener the policy allows (no event), a new TCP listener
// twice by two processes (one event: the key has no PID), and two UDP
// sockets on ports of the ephemeral range (one event, port "ephemeral" in
// the key). Every event names the host.
func TestWatchPolicyLive(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("watch needs Linux and root (sock_diag destroy notices need CAP_NET_ADMIN)")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("watch needs root in the initial user namespace")
	}
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nallow:\n  - proto: tcp\n    port: 2222\n    exposure: address\n    address: 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wait := startWatch(t, "watch", "-o", "json", "--mode", "poll", "--netns", env.NetNSPath(),
		"--interval", "200ms", "--duration", "5s", "--policy", pol)
	time.Sleep(1500 * time.Millisecond)
	listen := func(proto string, port uint16) {
		l := env.Listen(t, testenv.ListenSpec{Proto: proto, Addr: netip.AddrPortFrom(testenv.MainAddr4, port)})
		time.Sleep(500 * time.Millisecond)
		l.Stop()
	}
	listen("tcp", 2222)
	listen("tcp", 4444)
	listen("tcp", 4444)
	listen("udp", 0)
	listen("udp", 0)
	stdout := wait()
	host, _ := os.Hostname()
	var got []watchpolicy.Violation
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"summary"`) {
			continue
		}
		var v watchpolicy.Violation
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not a violation event: %v\n%s", err, sc.Text())
		}
		got = append(got, v)
	}
	keys := map[string]watchpolicy.Violation{}
	for _, v := range got {
		if v.Event != watchpolicy.EventName || v.Host != host || v.UserClass != watchpolicy.UserRoot {
			t.Errorf("event %+v: want event %s, host %q, user class root", v, watchpolicy.EventName, host)
		}
		if _, dup := keys[v.Key]; dup {
			t.Errorf("key %s reported twice", v.Key)
		}
		keys[v.Key] = v
	}
	// Two processes of one program on tcp/4444 are one key, and so are
	// two ephemeral UDP ports. Each listener lives longer than a poll
	// interval, so watch finds its owner (looking again at the next
	// polls when the first look missed it): none is keyed on an unknown
	// program.
	var tcp, udp int
	for k, v := range keys {
		switch {
		case v.Proto == "tcp" && v.Port == 2222:
			t.Errorf("the allowed listener was reported: %+v", v)
		case v.Proto == "tcp" && v.Port == 4444 && v.Kind == "new":
			tcp++
			if !strings.Contains(k, "/4444/") || v.Program == "" || len(v.PIDs) == 0 {
				t.Errorf("tcp event %+v: key without the port, or without its program and PIDs", v)
			}
		case v.Proto == "udp" && v.Ephemeral && strings.Contains(k, "/ephemeral/"):
			udp++
			if v.Program == "" {
				t.Errorf("udp event %+v without its program", v)
			}
		default:
			t.Errorf("unexpected violation %+v", v)
		}
	}
	for _, v := range got {
		t.Logf("%s: %s", v.Key, v.Message)
	}
	if tcp != 1 || udp != 1 {
		t.Errorf("want tcp/4444 and udp/ephemeral once each, with their program, got:\n%s", stdout.String())
	}
}
