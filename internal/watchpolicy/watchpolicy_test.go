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
		// Port 22 is allowed only for sshd, and this socket's owner is
		// never seen: not proven allowed (owner-unknown), when it is
		// gone.
		{Time: at(14), Kind: watch.New, Proto: "tcp", Local: ap("0.0.0.0:22"), Inode: 12, UID: uidp(0), User: "root", OwnerState: "unknown",
			OwnerReason: "socket owned by uid 0 (root); owners outside this PID namespace are invisible: /proc lists only its processes (run in the host's PID namespace)"},
		{Time: at(15), Kind: watch.Gone, Proto: "tcp", Local: ap("0.0.0.0:22"), Inode: 12, UID: uidp(0), OwnerState: "unknown"},
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
	if f.Violations != 7 || f.OwnerUnknown != 1 {
		t.Errorf("counted %d violations and %d unknown owners, want 7 and 1", f.Violations, f.OwnerUnknown)
	}
}

// TestFilterOwnerUnknown: a socket on a port the policy allows only for a
// named program (sshd), whose owner is still unknown after the wait, is
// reported as owner-unknown — the rule, why the owner is unknown, a key of
// its own, counted apart from violations — instead of passing silently. A
// second such socket is the same key; one whose owner shows up in time, or
// on a port a rule allows for any owner, is nothing.
func TestFilterOwnerUnknown(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := New(pol, analysis.Options{}, "web1", "")
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	const reason = "socket owned by uid 0 (root); owners outside this PID namespace are invisible"
	unknown := func(ino uint64, local string) watch.Event {
		return watch.Event{Time: t0, Kind: watch.New, Proto: "tcp", Local: netip.MustParseAddrPort(local), Inode: ino, UID: uidp(0), User: "root",
			OwnerState: "unknown", OwnerReason: reason}
	}
	var got []Violation
	for _, ev := range []watch.Event{
		unknown(1, "0.0.0.0:22"),
		unknown(2, "[::]:22"),
		unknown(3, "0.0.0.0:22"),
		{Time: t0, Kind: watch.New, Proto: "udp", Local: netip.MustParseAddrPort("192.0.2.1:53"), Inode: 4, UID: uidp(0), OwnerState: "unknown"},
	} {
		got = append(got, f.Check(ev)...)
	}
	got = append(got, f.Check(watch.Event{Time: t0.Add(time.Second), Kind: watch.OwnerChanged, Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:22"), Inode: 3,
		Owners: []snapshot.Owner{owner(100, "sshd", 0, "root", "/system.slice/ssh.service")}, OwnerState: "complete"})...)
	if len(got) != 0 {
		t.Fatalf("reported before the owner wait: %+v", got)
	}
	got = f.Expire(t0.Add(f.OwnerWait))
	if len(got) != 1 {
		t.Fatalf("after the owner wait: %+v, want one owner-unknown record", got)
	}
	v := got[0]
	if v.Event != EventName || v.Kind != KindOwnerUnknown || v.Port != 22 || v.Rule != "policy.yaml:3" || v.OwnerReason != reason ||
		v.Program != "" || v.UserClass != UserRoot || v.Key != "owner-unknown/tcp/22/all//root" {
		t.Errorf("record %+v: want kind %s on tcp/22, rule policy.yaml:3, the reason, user class root, key owner-unknown/tcp/22/all//root", v, KindOwnerUnknown)
	}
	const msg = "tcp port 22 on * (all): the policy allows it only for process sshd, user root (policy.yaml:3), and its owner could not be seen: " + reason
	if v.Message != msg {
		t.Errorf("message %q\nwant    %q", v.Message, msg)
	}
	if f.OwnerUnknown != 1 || f.Violations != 0 || f.Suppressed != 1 {
		t.Errorf("counted %d unknown owners, %d violations, %d repeats; want 1, 0, 1", f.OwnerUnknown, f.Violations, f.Suppressed)
	}
	if again := f.Flush(); len(again) != 0 {
		t.Errorf("reported again at the end: %+v", again)
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
	// An owner that could not be seen is at least a warning
	// (journalctl -p warning shows it), whatever the port's risk.
	for sev, pri := range map[string]int{"dangerous": 3, "risky": 4, "review": 4, "info": 4} {
		if p := (Violation{Kind: KindOwnerUnknown, Severity: sev}).Priority(); p != pri {
			t.Errorf("priority of owner-unknown, %s = %d, want %d", sev, p, pri)
		}
	}
	u := Violation{Kind: KindOwnerUnknown, OwnerReason: "owners outside this PID namespace are invisible", Allowed: "process sshd"}.JournalFields()
	if u["OPENPORTS_KIND"] != "owner-unknown" || u["OPENPORTS_OWNER_REASON"] != "owners outside this PID namespace are invisible" || u["OPENPORTS_ALLOWED"] != "process sshd" {
		t.Errorf("owner-unknown fields %v: want its kind, reason and the owner allowed", u)
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

// TestFilterNoProcessFound: in watch, a socket no process was found to
// hold may have closed before its scan, so on a port a rule allows only
// for sshd it is owner-unknown, with that reason, at once (no wait), not
// a violation that says no process held it; a rule that names no owner
// allows it.
func TestFilterNoProcessFound(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := New(pol, analysis.Options{}, "web1", "")
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	const reason = "no process holds it (closed before the scan, or a kernel socket)"
	got := f.Check(watch.Event{Time: t0, Kind: watch.New, Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:22"), Inode: 9, UID: uidp(0), User: "root",
		OwnerState: snapshot.OwnersNone, OwnerReason: reason})
	if len(got) != 1 || got[0].Kind != KindOwnerUnknown || got[0].OwnerReason != reason || got[0].Rule != "policy.yaml:3" {
		t.Fatalf("records %+v, want one owner-unknown with the reason, rule policy.yaml:3", got)
	}
	if f.OwnerUnknown != 1 || f.Violations != 0 {
		t.Errorf("counted %d unknown owners and %d violations, want 1 and 0", f.OwnerUnknown, f.Violations)
	}
}

// TestLoopbackReach: a loopback listener other machines reach (route_localnet
// on an interface, IP_TRANSPARENT) is judged as list judges it, exposure
// address, so that a rule that allows it only as loopback makes it a
// violation; one whose reach watch could not tell is exposure-unknown
// under such a rule, and allowed under a rule that allows any exposure.
// Before, the one-socket snapshot had no interfaces and no flag: loopback,
// allowed in silence.
func TestLoopbackReach(t *testing.T) {
	pol, err := policy.Parse([]byte("version: 1\nallow:\n  - proto: tcp\n    port: 7306\n    exposure: loopback\n  - proto: tcp\n    port: 7307\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root := owner(100, "proxy", 0, "root", "")
	tests := []struct {
		name       string
		ev         watch.Event
		kind, expo string // "" kind: nothing reported
		reason     string
	}{
		{"loopback only", watch.Event{Local: netip.MustParseAddrPort("127.0.0.1:7306")}, "", "", ""},
		{"route_localnet", watch.Event{Local: netip.MustParseAddrPort("127.0.0.1:7306"), RouteLocalnet: []string{"eth1"}}, "exposure", "address", ""},
		{"transparent", watch.Event{Local: netip.MustParseAddrPort("127.0.0.1:7306"), Transparent: true}, "exposure", "address", ""},
		{"transparent IPv6", watch.Event{Local: netip.MustParseAddrPort("[::1]:7306"), Transparent: true}, "exposure", "address", ""},
		{"reach unknown", watch.Event{Local: netip.MustParseAddrPort("127.0.0.1:7306"), ExposureUnknown: "not read"}, KindExposureUnknown, "loopback", "not read"},
		{"reach unknown, any exposure allowed", watch.Event{Local: netip.MustParseAddrPort("127.0.0.1:7307"), ExposureUnknown: "not read"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(pol, analysis.Options{}, "web1", "")
			ev := tt.ev
			ev.Kind, ev.Proto, ev.Inode, ev.Owners, ev.OwnerState = watch.New, "tcp", 1, []snapshot.Owner{root}, snapshot.OwnersComplete
			vs := f.Check(ev)
			if tt.kind == "" {
				if len(vs) != 0 {
					t.Errorf("reported %+v, want nothing", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].Kind != tt.kind || vs[0].Exposure != tt.expo || vs[0].ExposureReason != tt.reason || vs[0].Rule != "policy.yaml:3" {
				t.Fatalf("got %+v, want one %s record, exposure %s, reason %q, rule policy.yaml:3", vs, tt.kind, tt.expo, tt.reason)
			}
			if tt.kind == KindExposureUnknown && (f.ExposureUnknown != 1 || f.Violations != 0) {
				t.Errorf("counts: %d exposure unknown, %d violations; want 1, 0", f.ExposureUnknown, f.Violations)
			}
		})
	}
}

// TestReachPending: a loopback socket known from an eBPF record (its
// IP_TRANSPARENT flag unread) waits for the poll that reads it (Reach):
// reported as exposure once it proves transparent, not at all when it
// proves loopback-only, and as exposure-unknown when it is gone first.
func TestReachPending(t *testing.T) {
	pol, err := policy.Parse([]byte("version: 1\nallow:\n  - proto: tcp\n    port: 7306\n    exposure: loopback\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := New(pol, analysis.Options{}, "web1", "")
	root := []snapshot.Owner{owner(100, "proxy", 0, "root", "")}
	ev := func(ino uint64, port uint16) watch.Event {
		return watch.Event{Kind: watch.New, Proto: "tcp", Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), Inode: ino,
			Owners: root, OwnerState: snapshot.OwnersPartial, TransparentUnknown: true, ExposureUnknown: "no flag"}
	}
	for ino := uint64(1); ino <= 3; ino++ {
		if vs := f.Check(ev(ino, 7306)); len(vs) != 0 {
			t.Fatalf("inode %d reported before its flag was read: %+v", ino, vs)
		}
	}
	read := func(ino uint64, transparent bool) watch.Event {
		e := ev(ino, 7306)
		e.TransparentUnknown, e.ExposureUnknown, e.Transparent = false, "", transparent
		return e
	}
	if vs := f.Reach(read(1, false)); len(vs) != 0 {
		t.Errorf("loopback-only socket reported: %+v", vs)
	}
	if vs := f.Reach(read(2, true)); len(vs) != 1 || vs[0].Kind != "exposure" || vs[0].Exposure != "address" {
		t.Errorf("transparent socket: got %+v, want one exposure record, exposure address", vs)
	}
	gone := ev(3, 7306)
	gone.Kind = watch.Gone
	if vs := f.Check(gone); len(vs) != 1 || vs[0].Kind != KindExposureUnknown || vs[0].ExposureReason != "no flag" {
		t.Errorf("socket gone before its flag was read: got %+v, want one exposure-unknown record", vs)
	}
}
