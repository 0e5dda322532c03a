package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func owner(pid int, name, user string, uid uint32) snapshot.Owner {
	return snapshot.Owner{PID: pid, StartTime: uint64(pid) * 10, Name: name, User: user, UID: snapshot.Uint32(uid), FDs: []int{3}}
}

func sock(proto snapshot.Proto, local string, state snapshot.State, inode uint64, owners ...snapshot.Owner) snapshot.Socket {
	s := snapshot.Socket{Proto: proto, Local: netip.MustParseAddrPort(local), State: state, Inode: inode,
		UID: snapshot.Uint32(0), Owners: owners, OwnerState: snapshot.OwnersComplete}
	if len(owners) == 0 {
		s.OwnerState = snapshot.OwnersNone
	}
	return s
}

func snap(taken string, socks ...snapshot.Socket) *snapshot.Snapshot {
	t, err := time.Parse(time.RFC3339, taken)
	if err != nil {
		panic(err)
	}
	return &snapshot.Snapshot{Schema: snapshot.SchemaVersion, Host: "web1", OS: "linux", Kernel: "6.18.0", Taken: t,
		Source: "linux/sock_diag", Privilege: snapshot.Privilege{EUID: 0},
		EphemeralPorts: &snapshot.PortRange{First: 32768, Last: 60999},
		Interfaces:     []snapshot.Interface{{Index: 2, Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}},
		Sockets:        socks}
}

var (
	sshd   = owner(812, "sshd", "root", 0)
	sshd2  = owner(1201, "sshd", "root", 0)
	named  = owner(733, "named", "bind", 110)
	chrony = owner(640, "chronyd", "_chrony", 105)
	helper = owner(4242, "dig", "alice", 1000)
)

var cases = []struct {
	name string
	a, b *snapshot.Snapshot
	want map[Kind]int
}{
	{"identical",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		map[Kind]int{}},
	{"new",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd),
			sock(snapshot.UDP, "192.0.2.10:53", snapshot.Unconnected, 200, named),
			sock(snapshot.UDP, "0.0.0.0:45678", snapshot.Unconnected, 201, helper)),
		map[Kind]int{New: 2}},
	{"vanished",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd),
			sock(snapshot.UDP, "[::]:123", snapshot.Unconnected, 300, chrony)),
		snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		map[Kind]int{Gone: 1}},
	{"owner-changed",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		// sshd restarted: a new socket (inode) and process on the same port.
		snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 101, sshd2)),
		map[Kind]int{Changed: 1}},
	{"exposure-changed",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "127.0.0.1:8080", snapshot.Listen, 100, sshd),
			func() snapshot.Socket {
				s := sock(snapshot.UDP, "0.0.0.0:53", snapshot.Unconnected, 200, named)
				s.Interface = "eth0"
				return s
			}()),
		// 8080 is no longer loopback-only: a different key (address), so
		// it vanished from loopback and appeared on the wildcard; 53
		// dropped SO_BINDTODEVICE: same key, wider exposure.
		snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:8080", snapshot.Listen, 100, sshd),
			sock(snapshot.UDP, "0.0.0.0:53", snapshot.Unconnected, 200, named)),
		map[Kind]int{Gone: 1, New: 1, Changed: 1}},
	{"unknown-owner-is-no-change",
		snap("2026-11-25T10:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100, sshd)),
		func() *snapshot.Snapshot {
			s := snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "0.0.0.0:22", snapshot.Listen, 100))
			s.Sockets[0].OwnerState = snapshot.OwnersUnknown
			s.Gaps = []snapshot.Gap{{Area: "owners", Reason: "no-capability", Detail: "not root", Count: 1}}
			return s
		}(),
		map[Kind]int{}},
}

func TestCompareGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Compare(tc.a, tc.b, Options{})
			got := r.Counts()
			if len(got) != len(tc.want) {
				t.Errorf("counts %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%s: %d, want %d", k, got[k], n)
				}
			}
			if r.Differ() != (len(tc.want) > 0) {
				t.Errorf("Differ() = %v", r.Differ())
			}
			// The JSON is the fixture of internal/render's diff
			// writers; it decodes back into the same result.
			js, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", append(js, '\n'))
			var back Result
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if len(back.Changes) != len(r.Changes) {
				t.Errorf("JSON round trip: %d changes, want %d", len(back.Changes), len(r.Changes))
			}
		})
	}
}

func TestCompareDetails(t *testing.T) {
	// owner-changed names the field and both owner lists.
	r := Compare(cases[3].a, cases[3].b, Options{})
	c := r.Changes[0]
	if !slices.Equal(c.Fields, []string{FieldOwners}) || c.Before.Owners[0].PID != 812 || c.After.Owners[0].PID != 1201 {
		t.Errorf("owner change = %+v", c)
	}
	// exposure-changed: 53 goes from device to all.
	r = Compare(cases[4].a, cases[4].b, Options{})
	var found bool
	for _, c := range r.Changes {
		if c.Kind == Changed {
			found = true
			if c.Before.Exposure != report.ExposureDevice || c.After.Exposure != report.ExposureAll || !slices.Equal(c.Fields, []string{FieldExposure}) {
				t.Errorf("exposure change = %+v %+v %v", c.Before, c.After, c.Fields)
			}
		}
	}
	if !found {
		t.Error("no exposure change")
	}
	// The ephemeral helper socket is marked; named's 53 is not.
	r = Compare(cases[1].a, cases[1].b, Options{})
	for _, c := range r.Changes {
		if want := c.Key.Local.Port() == 45678; c.After.Ephemeral != want {
			t.Errorf("%s: ephemeral %v, want %v", c.Key, c.After.Ephemeral, want)
		}
	}
	// Connected sockets are left out unless asked for.
	a := snap("2026-11-25T10:00:00Z")
	b := snap("2026-11-25T11:00:00Z", sock(snapshot.TCP, "192.0.2.10:22", snapshot.Established, 5, sshd))
	b.Sockets[0].Remote = netip.MustParseAddrPort("198.51.100.7:50000")
	if r := Compare(a, b, Options{}); r.Differ() {
		t.Errorf("established socket compared by default: %+v", r.Changes)
	}
	if r := Compare(a, b, Options{Established: true}); len(r.Changes) != 1 {
		t.Errorf("Established: %d changes, want 1", len(r.Changes))
	}
	// Different hosts get a note.
	b = snap("2026-11-25T11:00:00Z")
	b.Host = "web2"
	if r := Compare(a, b, Options{}); len(r.Notes) != 1 {
		t.Errorf("notes %v, want one about the hosts", r.Notes)
	}
}

func TestSnapshotsUntouched(t *testing.T) {
	a, b := cases[3].a, cases[3].b
	before, _ := json.Marshal([]*snapshot.Snapshot{a, b})
	Compare(a, b, Options{})
	after, _ := json.Marshal([]*snapshot.Snapshot{a, b})
	if !bytes.Equal(before, after) {
		t.Error("Compare modified its inputs")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// readSnapshot reads a snapshot fixture of internal/analysis.
func readSnapshot(t *testing.T, name string) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.ReadFile(filepath.Join("../analysis/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A port that only a DNAT rule publishes is compared like a socket: the
// real snapshots of the Docker-shaped test host before and after Docker's
// rules for -p 8080:80 were loaded.
func TestComparePublished(t *testing.T) {
	before, after := readSnapshot(t, "docker-before.snapshot.json"), readSnapshot(t, "docker-after.snapshot.json")
	r := Compare(before, after, Options{})
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "docker-published.json", append(js, '\n'))
	if len(r.Changes) != 1 {
		t.Fatalf("%d changes, want the published port only: %+v", len(r.Changes), r.Changes)
	}
	c := r.Changes[0]
	want := Key{NetNS: 4026532178, Proto: snapshot.TCP, Local: netip.MustParseAddrPort("0.0.0.0:8080"), Published: true}
	if c.Kind != New || c.Key != want || c.After.Exposure != report.ExposureAll || c.After.Target == nil ||
		c.After.Target.Container != "custom-nginx-t2" || c.After.Target.Address != "192.0.2.2:80" || c.After.Target.Chain != "DOCKER" {
		t.Errorf("change %+v after %+v; want new %v, all, to custom-nginx-t2 at 192.0.2.2:80 by DOCKER", c, c.After, want)
	}
	if back := Compare(after, before, Options{}); back.Counts()[Gone] != 1 || len(back.Changes) != 1 {
		t.Errorf("after → before: %+v, want the published port gone", back.Changes)
	}
	if same := Compare(after, after, Options{}); same.Differ() {
		t.Errorf("after → after differs: %+v", same.Changes)
	}

	// The container recreated (new ID and address, same name) is no
	// change; another container behind the port is.
	recreated := readSnapshot(t, "docker-after.snapshot.json")
	recreated.Published[0].Target = netip.MustParseAddrPort("192.0.2.3:80")
	recreated.Namespaces[1].Container.ID = strings.Repeat("ab", 32)
	if r := Compare(after, recreated, Options{}); r.Differ() {
		t.Errorf("a recreated container of the same name is a change: %+v", r.Changes)
	}
	other := readSnapshot(t, "docker-after.snapshot.json")
	other.Namespaces[1].Container.Name = "other"
	r = Compare(after, other, Options{})
	if len(r.Changes) != 1 || r.Changes[0].Kind != Changed || !slices.Equal(r.Changes[0].Fields, []string{FieldTarget}) {
		t.Errorf("another container behind 8080: %+v, want a target change", r.Changes)
	}
	// A range and a prefix keep what the rule says.
	wide := readSnapshot(t, "docker-after.snapshot.json")
	wide.Published[0].Address = netip.MustParsePrefix("198.51.100.0/24")
	wide.Published[0].PortLast = 8090
	r = Compare(after, wide, Options{})
	if got := keys(r); !slices.Equal(got, []string{"tcp 198.51.100.0/24:8080-8090 published [netns 4026532178]", "tcp 0.0.0.0:8080 published [netns 4026532178]"}) {
		t.Errorf("keys %q", got)
	}
}

// keys are the changes' keys as text.
func keys(r *Result) []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, c.Key.String())
	}
	return out
}
