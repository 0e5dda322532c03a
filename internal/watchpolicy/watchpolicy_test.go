package watchpolicy

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
)

const testPolicy = `version: 1
allow:
  - proto: tcp
    port: 22
    exposure: all
    process: sshd
    user: root
  - proto: udp
    port: 53
    exposure: address
    address: 192.0.2.1
`

func uidp(u uint32) *uint32 { return &u }

func owner(pid int, name string, uid uint32, user, cgroup string) snapshot.Owner {
	return snapshot.Owner{PID: pid, Name: name, UID: uidp(uid), User: user, Cgroup: cgroup}
}

// TestFilter feeds a sequence of watch events through the filter and
// compares the violations (as watch -o json writes them) with a golden
// file, which the schema test validates against watch-event.schema.json.
func TestFilter(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := knowledge.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := New(pol, analysis.Options{Knowledge: kb}, "web1", "d4e42882eac740503fe9f5917f633623")
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ap := netip.MustParseAddrPort
	sshd := owner(100, "sshd", 0, "root", "/system.slice/ssh.service")
	events := []watch.Event{
		// Allowed: sshd on 22, named on 192.0.2.1:53.
		{Time: at(0), Kind: watch.New, Proto: "tcp", Local: ap("[::]:22"), Inode: 1, Owners: []snapshot.Owner{sshd}, OwnerState: "complete"},
		{Time: at(1), Kind: watch.New, Proto: "udp", Local: ap("192.0.2.1:53"), Inode: 2, Owners: []snapshot.Owner{owner(200, "named", 101, "bind", "/system.slice/named.service")}, OwnerState: "complete"},
		// New: a web server twice (two PIDs: one event).
		{Time: at(2), Kind: watch.New, Proto: "tcp", Local: ap("0.0.0.0:8080"), Inode: 3, Owners: []snapshot.Owner{owner(300, "python3", 1000, "alice", "/user.slice/user-1000.slice/session-2.scope")}, OwnerState: "complete"},
		{Time: at(3), Kind: watch.Gone, Proto: "tcp", Local: ap("0.0.0.0:8080"), Inode: 3, OwnerState: "complete"},
		{Time: at(4), Kind: watch.New, Proto: "tcp", Local: ap("0.0.0.0:8080"), Inode: 4, Owners: []snapshot.Owner{owner(301, "python3", 1000, "alice", "/user.slice/user-1000.slice/session-2.scope")}, OwnerState: "complete"},
		// Exposure: sshd allowed on all interfaces is fine; named on all
		// interfaces is not.
		{Time: at(5), Kind: watch.New, Proto: "udp", Local: ap("0.0.0.0:53"), Inode: 5, Owners: []snapshot.Owner{owner(201, "named", 101, "bind", "/system.slice/named.service")}, OwnerState: "complete"},
		// Owner: port 22 held by another program.
		{Time: at(6), Kind: watch.New, Proto: "tcp", Local: ap("[::]:22"), Inode: 6, Owners: []snapshot.Owner{owner(400, "dropbear", 0, "root", "/system.slice/dropbear.service")}, OwnerState: "complete"},
		// Ephemeral UDP ports of one program: one event.
		{Time: at(7), Kind: watch.New, Proto: "udp", Local: ap("0.0.0.0:40001"), Inode: 7, Ephemeral: true, Owners: []snapshot.Owner{owner(500, "dig", 1000, "alice", "")}, OwnerState: "complete"},
		{Time: at(8), Kind: watch.New, Proto: "udp", Local: ap("0.0.0.0:40002"), Inode: 8, Ephemeral: true, Owners: []snapshot.Owner{owner(501, "dig", 1000, "alice", "")}, OwnerState: "complete"},
		// Owner not seen yet: waits, and the owner-changed that names
		// it decides.
		{Time: at(9), Kind: watch.New, Proto: "tcp", Local: ap("0.0.0.0:6379"), Inode: 9, UID: uidp(105), User: "redis", OwnerState: "unknown", OwnerReason: "not found yet"},
		{Time: at(10), Kind: watch.OwnerChanged, Proto: "tcp", Local: ap("0.0.0.0:6379"), Inode: 9, Owners: []snapshot.Owner{owner(600, "redis-server", 105, "redis", "/system.slice/redis-server.service")}, OwnerState: "complete"},
		// Owner never seen: reported when it is gone.
		{Time: at(11), Kind: watch.New, Proto: "udp", Local: ap("0.0.0.0:5353"), Inode: 10, UID: uidp(0), OwnerState: "unknown", OwnerReason: "not found"},
		{Time: at(12), Kind: watch.Gone, Proto: "udp", Local: ap("0.0.0.0:5353"), Inode: 10, UID: uidp(0), OwnerState: "unknown"},
		// Still waiting at the end: Flush reports it.
		{Time: at(13), Kind: watch.New, Proto: "tcp", Local: ap("0.0.0.0:9000"), Inode: 11, UID: uidp(1000), OwnerState: "unknown"},
	}
	var out bytes.Buffer
	for _, ev := range events {
		for _, v := range f.Check(ev) {
			writeJSONLine(t, &out, v)
		}
	}
	for _, v := range f.Flush() {
		writeJSONLine(t, &out, v)
	}
	golden.Check(t, "testdata/violations.jsonl", out.Bytes())
	if f.Suppressed != 2 {
		t.Errorf("suppressed %d repeats, want 2 (python3 again, dig again)", f.Suppressed)
	}
}

func TestJournalFields(t *testing.T) {
	v := Violation{Event: EventName, Host: "web1", Kind: "new", Proto: "tcp", Address: "*", Port: 8080, Exposure: "all",
		Program: "python3", User: "alice", UserClass: UserRegular, PIDs: []int{300, 301}, Severity: "risky", Key: "new/tcp/8080/all/python3/user"}
	got := v.JournalFields()
	want := map[string]string{
		"SYSLOG_IDENTIFIER": "openports", "OPENPORTS_EVENT": EventName, "OPENPORTS_HOST": "web1", "OPENPORTS_KIND": "new",
		"OPENPORTS_PROTO": "tcp", "OPENPORTS_ADDRESS": "*", "OPENPORTS_PORT": "8080", "OPENPORTS_EXPOSURE": "all",
		"OPENPORTS_PROGRAM": "python3", "OPENPORTS_USER": "alice", "OPENPORTS_USER_CLASS": "user", "OPENPORTS_PIDS": "300,301",
		"OPENPORTS_SEVERITY": "risky", "OPENPORTS_KEY": "new/tcp/8080/all/python3/user", "OPENPORTS_EPHEMERAL": "false",
	}
	if len(got) != len(want) {
		t.Errorf("fields %v\nwant %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	for sev, pri := range map[string]int{"dangerous": 3, "risky": 4, "review": 5, "info": 6} {
		if p := (Violation{Severity: sev}).Priority(); p != pri {
			t.Errorf("priority of %s = %d, want %d", sev, p, pri)
		}
	}
}

// TestFilterWaitsForOwnerRetries: a new socket whose owner watch finds at
// its last retry (OwnerRetries polls later, with some lag) is one
// violation naming the program, not one keyed on an unknown program and
// another naming it.
func TestFilterWaitsForOwnerRetries(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const interval = time.Second
	f := New(pol, analysis.Options{}, "web1", "")
	f.OwnerWait = watch.OwnerWait(interval)
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	local := netip.MustParseAddrPort("0.0.0.0:6379")
	found := t0.Add(watch.OwnerRetries*interval + interval/2)
	var got []Violation
	for _, ev := range []watch.Event{
		{Time: t0, Kind: watch.New, Proto: "tcp", Local: local, Inode: 9, UID: uidp(105), OwnerState: "unknown"},
		// Another socket's event meanwhile, as the retries go on.
		{Time: found.Add(-time.Millisecond), Kind: watch.Gone, Proto: "udp", Local: netip.MustParseAddrPort("0.0.0.0:40000"), Inode: 20},
		{Time: found, Kind: watch.OwnerChanged, Proto: "tcp", Local: local, Inode: 9, SeenBy: watch.SeenPoll,
			Owners: []snapshot.Owner{owner(600, "redis-server", 105, "redis", "/system.slice/redis-server.service")}, OwnerState: "complete"},
	} {
		got = append(got, f.Check(ev)...)
	}
	got = append(got, f.Flush()...)
	if len(got) != 1 || got[0].Program != "redis-server" {
		t.Errorf("violations %+v: want one, naming redis-server", got)
	}
}

// TestFilterExpire: a socket whose owner never shows up is reported once
// it has waited OwnerWait, at the poll after that (watch calls Expire),
// not held back until another event or the end of the watch.
func TestFilterExpire(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := New(pol, analysis.Options{}, "web1", "")
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	ev := watch.Event{Time: t0, Kind: watch.New, Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:6379"), Inode: 9, UID: uidp(105), OwnerState: "unknown"}
	if got := f.Check(ev); len(got) != 0 {
		t.Fatalf("reported before its owner was waited for: %+v", got)
	}
	if got := f.Expire(t0.Add(f.OwnerWait - time.Millisecond)); len(got) != 0 {
		t.Errorf("reported before OwnerWait: %+v", got)
	}
	got := f.Expire(t0.Add(f.OwnerWait))
	if len(got) != 1 || got[0].Port != 6379 || got[0].Program != "" || got[0].UserClass != UserSystem {
		t.Errorf("at OwnerWait: %+v, want the socket, without a program, user class system", got)
	}
	if again := f.Flush(); len(again) != 0 {
		t.Errorf("reported again at the end: %+v", again)
	}
}

// writeJSONLine appends v to out as one JSON line (the form of watch
// --policy -o json, which internal/render writes).
func writeJSONLine(t *testing.T, out *bytes.Buffer, v Violation) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(append(b, '\n'))
}
