//go:build linux

package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/testenv"
)

// expected is one socket a test started and what openports must say of it.
type expected struct {
	spec     testenv.ListenSpec
	exposure snapshot.Exposure
	reach    snapshot.Reach
	iface    string
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func ptr[T any](v T) *T          { return &v }

// liveSockets is the set of sockets TestLive starts in its namespace:
// wildcard, v6-only and dual-stack, loopback-only and specific-address
// binds, TCP and UDP, one socket shared by a parent and two children.
var liveSockets = []expected{
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:7001"), Children: 2}, report.ExposureAll, report.ReachV4, ""},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("[::]:7002"), V6Only: ptr(true)}, report.ExposureAll, report.ReachV6, ""},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("[::]:7003"), V6Only: ptr(false)}, report.ExposureAll, report.ReachBoth, ""},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("127.0.0.1:7004")}, report.ExposureLoopback, report.ReachV4, ""},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("[::1]:7005")}, report.ExposureLoopback, report.ReachV6, ""},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("192.0.2.1:7006")}, report.ExposureAddress, report.ReachV4, testenv.VethMain},
	{testenv.ListenSpec{Proto: "tcp", Addr: ap("[2001:db8::1]:7007")}, report.ExposureAddress, report.ReachV6, testenv.VethMain},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("0.0.0.0:7101")}, report.ExposureAll, report.ReachV4, ""},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("[::]:7102"), V6Only: ptr(true)}, report.ExposureAll, report.ReachV6, ""},
	// No setsockopt: a new namespace's net.ipv6.bindv6only is 0.
	{testenv.ListenSpec{Proto: "udp", Addr: ap("[::]:7103"), Children: 1}, report.ExposureAll, report.ReachBoth, ""},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("127.0.0.1:7104")}, report.ExposureLoopback, report.ReachV4, ""},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("[::1]:7105")}, report.ExposureLoopback, report.ReachV6, ""},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("192.0.2.1:7106")}, report.ExposureAddress, report.ReachV4, testenv.VethMain},
	{testenv.ListenSpec{Proto: "udp", Addr: ap("[2001:db8::1]:7107")}, report.ExposureAddress, report.ReachV6, testenv.VethMain},
}

// sshdAddr is where the real sshd listens: a specific address.
var sshdAddr = ap("192.0.2.1:2222")

// startLive starts every socket of liveSockets and the real sshd on
// sshdAddr in env's test namespace, and returns what openports must report
// of each, sorted like sockets' result.
func startLive(t *testing.T, env *testenv.Env) []sockKey {
	t.Helper()
	var want []sockKey
	for _, e := range liveSockets {
		l := env.Listen(t, e.spec)
		want = append(want, sockKey{
			Proto: e.spec.Proto, Local: l.Local.String(),
			Exposure: e.exposure, Reach: e.reach, Iface: e.iface, PIDs: pidList(l.PIDs()),
		})
	}
	sshd := env.SSHD(t, sshdAddr)
	want = append(want, sockKey{Proto: "tcp", Local: sshd.Local.String(), Exposure: report.ExposureAddress, Reach: report.ReachV4, Iface: testenv.VethMain, PIDs: pidList([]int{sshd.PID})})
	slices.SortFunc(want, func(a, b sockKey) int { return strings.Compare(a.String(), b.String()) })
	return want
}

func TestLive(t *testing.T) {
	bin := openports(t)
	env := testenv.New(t)
	t.Logf("namespace mode %v", env.Mode)

	want := startLive(t, env)
	loopback := 0
	for _, k := range want {
		if k.Exposure == report.ExposureLoopback {
			loopback++
		}
	}
	// A listener in the peer namespace must not show up: openports lists
	// its own namespace by default.
	peerL := env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("192.0.2.2:7201")})

	var nonLoopback []sockKey
	for _, k := range want {
		if k.Exposure != report.ExposureLoopback {
			nonLoopback = append(nonLoopback, k)
		}
	}

	var all *report.Report
	t.Run("list --all json", func(t *testing.T) {
		r := run(t, env.NS, bin, "list", "--all", "-o", "json")
		all = decode(t, r)
		// A process even root cannot inspect (a sandbox's supervisor)
		// makes every view incomplete: then exit 3 and partial owners
		// are right, and the owners that are listed must still be exact.
		refused := unreadableProcs(t)
		wantCode, wantState := report.ExitOK, snapshot.OwnersComplete
		if len(refused) > 0 {
			t.Logf("%d processes' descriptor tables are unreadable here (first: pid %d): expecting exit 3 and partial owners as root", len(refused), refused[0])
			wantCode, wantState = report.ExitIncomplete, snapshot.OwnersPartial
		}
		if env.Mode == testenv.ModeRoot {
			if r.code != wantCode {
				t.Errorf("as root: exit %d, want %d; gaps %+v\nstderr: %s", r.code, wantCode, all.Gaps, r.stderr)
			}
			for _, row := range all.Rows {
				for _, s := range row.Sockets {
					if s.OwnerState != wantState {
						t.Errorf("%s %v: owner_state %q (%s), want %s", s.Proto, s.Local, s.OwnerState, s.OwnerReason, wantState)
					}
				}
			}
		}
		diffKeys(t, "list --all", sockets(t, all), want)
	})

	// Both owner methods name every holder, and agree on whether the view
	// is complete, with one more socket held only by a thread that called
	// unshare(CLONE_FILES): in no /proc/PID/fd, only in
	// /proc/PID/task/TID/fd (which ss -p does not read, so it is not in
	// the comparisons with ss).
	t.Run("owner methods", func(t *testing.T) {
		if env.Mode != testenv.ModeRoot {
			t.Skip("the eBPF owner method needs root")
		}
		l := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:7008"), OwnThread: true})
		defer l.Stop()
		withThread := append(slices.Clone(want), sockKey{Proto: "tcp", Local: l.Local.String(),
			Exposure: report.ExposureAll, Reach: report.ReachV4, PIDs: pidList(l.PIDs())})
		slices.SortFunc(withThread, func(a, b sockKey) int { return strings.Compare(a.String(), b.String()) })
		codes := map[string]int{}
		for _, method := range []string{"proc", "ebpf"} {
			r := run(t, env.NS, bin, "list", "--all", "--owners", method, "-o", "json")
			if method == "ebpf" && r.code == report.ExitUsage {
				t.Skipf("--owners ebpf unavailable here: %s", r.stderr)
			}
			codes[method] = r.code
			diffKeys(t, "list --all --owners "+method, sockets(t, decode(t, r)), withThread)
		}
		if codes["proc"] != codes["ebpf"] {
			t.Errorf("exit codes differ: --owners proc %d, --owners ebpf %d", codes["proc"], codes["ebpf"])
		}
	})

	t.Run("default view hides loopback", func(t *testing.T) {
		for _, argv := range [][]string{{bin, "list", "-o", "json"}, {bin, "-o", "json"}} {
			r := run(t, env.NS, argv...)
			rep := decode(t, r)
			diffKeys(t, strings.Join(argv[1:], " "), sockets(t, rep), nonLoopback)
			if rep.Hidden[report.ExposureLoopback] != loopback {
				t.Errorf("%v: hidden = %v, want %d loopback", argv[1:], rep.Hidden, loopback)
			}
		}
		r := run(t, env.NS, bin, "list")
		summary := regexp.MustCompile(fmt.Sprintf(`\b%d loopback-only sockets? hidden\b`, loopback))
		if !summary.MatchString(r.stdout) {
			t.Errorf("table does not say %d loopback-only sockets were hidden:\n%s", loopback, r.stdout)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			f := strings.Fields(line)
			for _, e := range liveSockets {
				port := fmt.Sprint(e.spec.Addr.Port())
				if e.exposure == report.ExposureLoopback && slices.Contains(f, port) {
					t.Errorf("table shows loopback port %s: %q", port, line)
				}
			}
		}
		if !strings.Contains(r.stdout, "7001") || !strings.Contains(r.stdout, "sshd") {
			t.Errorf("table lacks port 7001 or sshd:\n%s", r.stdout)
		}
	})

	t.Run("same as ss", func(t *testing.T) {
		if all == nil {
			t.Skip("list --all failed")
		}
		out := run(t, env.NS, "ss", "-tulpnH")
		if out.code != 0 {
			t.Fatalf("ss -tulpnH: exit %d: %s", out.code, out.stderr)
		}
		ss, err := testenv.ParseSS(strings.NewReader(out.stdout))
		if err != nil {
			t.Fatal(err)
		}
		var fromSS, fromOP []string
		for _, s := range ss {
			fromSS = append(fromSS, fmt.Sprintf("%s %v pids=[%s]", s.Netid, s.Local, pidList(s.PIDs())))
		}
		for _, k := range sockets(t, all) {
			fromOP = append(fromOP, fmt.Sprintf("%s %s pids=[%s]", k.Proto, k.Local, k.PIDs))
		}
		slices.Sort(fromSS)
		slices.Sort(fromOP)
		if !slices.Equal(fromSS, fromOP) {
			t.Errorf("openports and ss -tulpnH differ\nss:\n  %s\nopenports:\n  %s", strings.Join(fromSS, "\n  "), strings.Join(fromOP, "\n  "))
		}
	})

	t.Run("netns all", func(t *testing.T) {
		if env.Mode != testenv.ModeRoot {
			t.Skip("--netns all is checked as real root only")
		}
		mainID, err := env.NetNSInode()
		if err != nil {
			t.Fatal(err)
		}
		peerID, err := env.Peer.NetNSInode()
		if err != nil {
			t.Fatal(err)
		}
		r := run(t, env.NS, bin, "list", "--all", "--netns", "all", "-o", "json")
		rep := decode(t, r)
		// Other namespaces of the host may show up too: only ours are
		// checked, and they must be exactly what the helpers hold.
		got := map[uint64][]sockKey{}
		for _, row := range rep.Rows {
			if row.NetNS == mainID || row.NetNS == peerID {
				one := *rep
				one.Rows = []report.Row{row}
				got[row.NetNS] = append(got[row.NetNS], sockets(t, &one)...)
			}
		}
		diffKeys(t, "--netns all, test namespace", got[mainID], want)
		diffKeys(t, "--netns all, peer namespace", got[peerID], []sockKey{{
			Proto: "tcp", Local: peerL.Local.String(), Exposure: report.ExposureAddress, Reach: report.ReachV4,
			Iface: testenv.VethPeer, PIDs: pidList(peerL.PIDs()),
		}})
	})

	t.Run("unprivileged", func(t *testing.T) {
		if env.Mode != testenv.ModeRoot {
			t.Skip("needs real root to run openports as uid 65534 in the namespace (only one uid is mapped in an unprivileged user namespace)")
		}
		r := run(t, env.NS, append(slices.Clone(asNobody), bin, "list", "--all", "-o", "json")...)
		if r.code != report.ExitIncomplete {
			t.Errorf("as nobody: exit %d, want %d\nstderr: %s", r.code, report.ExitIncomplete, r.stderr)
		}
		rep := decode(t, r)
		if rep.Complete || len(rep.Gaps) == 0 {
			t.Errorf("as nobody: complete=%v gaps=%+v, want incomplete with gaps", rep.Complete, rep.Gaps)
		}
		// Every socket is still listed, with no owner: every holder is
		// root's.
		var wantNoOwners []sockKey
		for _, k := range want {
			k.PIDs = ""
			wantNoOwners = append(wantNoOwners, k)
		}
		diffKeys(t, "as nobody", sockets(t, rep), wantNoOwners)
		for _, row := range rep.Rows {
			for _, s := range row.Sockets {
				if s.OwnerState != snapshot.OwnersUnknown || s.OwnerReason == "" {
					t.Errorf("%s %v: owner_state %q reason %q, want unknown with a reason", s.Proto, s.Local, s.OwnerState, s.OwnerReason)
				}
				if s.UID == nil || *s.UID != 0 {
					t.Errorf("%s %v: uid %v, want 0 (the socket's creator)", s.Proto, s.Local, s.UID)
				}
			}
			if row.OwnerState != snapshot.OwnersUnknown || !hasNote(row, "owner.unknown") {
				t.Errorf("row %s %s:%d: owner_state %q notes %+v, want unknown with an owner.unknown note", row.Proto, row.Address, row.Port, row.OwnerState, row.Notes)
			}
		}
		// The snapshot of a run that cannot read the packet filter still
		// follows its schema: the firewall's backends are an empty list
		// (they were null), and each unread backend says why.
		snap := run(t, env.NS, append(slices.Clone(asNobody), bin, "snapshot")...)
		var doc struct {
			Firewall *struct {
				Backends *[]string `json:"backends"`
				Unread   []struct{ Backend, Reason string }
			}
		}
		if err := json.Unmarshal([]byte(snap.stdout), &doc); err != nil {
			t.Fatalf("as nobody, snapshot: %v\n%s", err, snap.stdout)
		}
		if fw := doc.Firewall; fw == nil || fw.Backends == nil || len(fw.Unread) == 0 || fw.Unread[0].Reason != "permission" {
			t.Errorf("as nobody, snapshot firewall %+v: want backends a list and the unread backends with reason permission\n%s", fw, snap.stdout)
		}
		table := run(t, env.NS, append(slices.Clone(asNobody), bin, "list")...)
		if table.code != report.ExitIncomplete {
			t.Errorf("as nobody, table: exit %d, want %d", table.code, report.ExitIncomplete)
		}
		unknown := regexp.MustCompile(fmt.Sprintf(`\b%d sockets? of unknown owner\b`, len(nonLoopback)))
		if !unknown.MatchString(table.stdout) {
			t.Errorf("table does not say %d sockets are of unknown owner:\n%s", len(nonLoopback), table.stdout)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	bin := openports(t)
	for _, argv := range [][]string{
		{"list", "--no-such-flag"},
		{"--no-such-flag"},
		{"list", "-o", "nonsense"},
		{"-o", "nonsense"},
		{"list", "--netns", "nowhere"},
		{"no-such-command"},
	} {
		r := run(t, nil, append([]string{bin}, argv...)...)
		if r.code != report.ExitUsage {
			t.Errorf("openports %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(argv, " "), r.code, report.ExitUsage, r.stdout, r.stderr)
		}
		if strings.TrimSpace(r.stderr) == "" {
			t.Errorf("openports %s: nothing on stderr says what was wrong", strings.Join(argv, " "))
		}
	}
}

// unreadableProcs lists the processes whose descriptors this test process
// cannot read (EACCES/EPERM on readlink of /proc/PID/fd/N). As root that is
// only a process protected from root itself, such as a sandbox supervisor
// outside every namespace a test makes.
func unreadableProcs(t *testing.T) []int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join("/proc", d.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err == nil && len(fds) > 0 {
			_, err = os.Readlink(filepath.Join(fdDir, fds[0].Name()))
		}
		if errors.Is(err, fs.ErrPermission) {
			out = append(out, pid)
		}
	}
	return out
}

// hasNote reports whether row carries a note with key, with its text.
func hasNote(row report.Row, key string) bool {
	for _, n := range row.Notes {
		if n.Key == key && n.Text != "" {
			return true
		}
	}
	return false
}
