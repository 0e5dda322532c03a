//go:build linux

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/testenv"
)

// The round trip: the real ss, net-tools netstat and lsof run inside the
// test namespace of TestLive (same listeners, same sshd); each output is
// saved to a file and read back with `openports analyze`, and what analyze
// makes of it must be the same sockets and owners as `openports list` sees
// live in that namespace at the same time.

// rtSocket is what the round trip compares of one reported socket.
type rtSocket struct {
	pids  []int          // owner PIDs, sorted, one per holder
	names map[int]string // owner PID → command name
	via   []string       // each owner's via, in owner order
	state snapshot.OwnerState
	reach snapshot.Reach // which IP versions reach it
	fds   map[int][]int  // owner PID → descriptors
}

// rtSockets indexes rep's sockets by "PROTO LOCAL". A key seen twice is an
// error: each of our sockets must be listed once, however many processes
// hold it.
func rtSockets(t *testing.T, what string, rep *report.Report) map[string]rtSocket {
	t.Helper()
	out := map[string]rtSocket{}
	for _, row := range rep.Rows {
		for _, s := range row.Sockets {
			key := fmt.Sprintf("%s %s", s.Proto, s.Local)
			if _, dup := out[key]; dup {
				t.Errorf("%s: socket %s listed more than once", what, key)
				continue
			}
			rs := rtSocket{names: map[int]string{}, fds: map[int][]int{}, state: s.OwnerState, reach: s.Reach}
			for _, o := range s.Owners {
				if slices.Contains(rs.pids, o.PID) {
					t.Errorf("%s: socket %s lists owner pid %d more than once", what, key, o.PID)
				}
				rs.pids = append(rs.pids, o.PID)
				rs.names[o.PID] = o.Name
				rs.via = append(rs.via, o.Via)
				rs.fds[o.PID] = slices.Sorted(slices.Values(o.FDs))
			}
			slices.Sort(rs.pids)
			out[key] = rs
		}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sameSocketSet checks that got lists exactly the sockets of live.
func sameSocketSet(t *testing.T, what string, got, live map[string]rtSocket) {
	t.Helper()
	var missing, extra []string
	for _, k := range sortedKeys(live) {
		if _, ok := got[k]; !ok {
			missing = append(missing, "  "+k)
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := live[k]; !ok {
			extra = append(extra, "  "+k)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: socket set differs from the live collector's\nlive only:\n%s\n%s only:\n%s",
			what, strings.Join(missing, "\n"), what, strings.Join(extra, "\n"))
	}
}

// capture runs argv in the namespace, checks it succeeded with some output,
// and saves its standard output to a file in dir.
func capture(t *testing.T, env *testenv.Env, dir string, argv ...string) (path, out string) {
	t.Helper()
	if _, err := exec.LookPath(argv[0]); err != nil {
		t.Skipf("%s is not installed (make test-deps installs iproute2, net-tools and lsof): %v", argv[0], err)
	}
	r := run(t, env.NS, argv...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(argv, " "), r.code, r.stderr)
	}
	if strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("%s printed nothing", strings.Join(argv, " "))
	}
	t.Logf("%s:\n%s", strings.Join(argv, " "), r.stdout)
	path = filepath.Join(dir, strings.Join(strings.Fields(strings.Join(argv, "_")), "_")+".txt")
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, r.stdout
}

// analyze runs `openports analyze --all -o json FILE` on the host and
// checks that every line was understood.
func analyze(t *testing.T, bin, file string) (*report.Report, result) {
	t.Helper()
	r := run(t, nil, bin, "analyze", "--all", "-o", "json", file)
	if strings.Contains(r.stderr, "analyze: warning:") || strings.Contains(r.stderr, "not understood") {
		t.Errorf("analyze %s: lines not understood:\n%s", filepath.Base(file), r.stderr)
	}
	rep := decodeAnalyzed(t, r)
	t.Logf("analyze %s: exit %d\n%s", filepath.Base(file), r.code, strings.TrimSpace(r.stderr))
	return rep, r
}

// decodeAnalyzed reads the JSON report of analyze. Unlike a live report,
// whose partial owners always come with a gap, an analyzed report is also
// incomplete when the tool's format cannot show every owner (netstat -p's
// one PID per socket): complete must be exactly "no gap and no socket of
// partial or unknown owners", and the exit code must agree.
func decodeAnalyzed(t *testing.T, r result) *report.Report {
	t.Helper()
	var rep report.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decode JSON report (exit %d): %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	if rep.ExitCode != r.code {
		t.Errorf("report says exit_code %d, process exited %d", rep.ExitCode, r.code)
	}
	complete := len(rep.Gaps) == 0
	for _, row := range rep.Rows {
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersPartial || s.OwnerState == snapshot.OwnersUnknown {
				complete = false
			}
		}
	}
	if rep.Complete != complete {
		t.Errorf("complete=%v with gaps %+v and owner states of sockets as listed: want complete=%v", rep.Complete, rep.Gaps, complete)
	}
	if rep.Complete != (rep.ExitCode == report.ExitOK) {
		t.Errorf("complete=%v but exit_code %d", rep.Complete, rep.ExitCode)
	}
	return &rep
}

func TestRoundTrip(t *testing.T) {
	bin := openports(t)
	env := testenv.New(t)
	t.Logf("namespace mode %v", env.Mode)
	want := startLive(t, env)
	dir := t.TempDir()

	// The live view first, checked against what the helpers hold, so
	// that the tools are compared with a collector known to be right
	// here.
	liveRep := decode(t, run(t, env.NS, bin, "list", "--all", "-o", "json"))
	diffKeys(t, "live list --all", sockets(t, liveRep), want)
	live := rtSockets(t, "live", liveRep)
	if len(live) != len(want) {
		t.Fatalf("live collector lists %d sockets, the test started %d", len(live), len(want))
	}
	// A process even root may not inspect (a sandbox supervisor) makes
	// the live collector say owners are partial. lsof -i skips such a
	// process without a word on standard output (its unreadable
	// descriptors are not internet sockets to it), so a saved lsof
	// output cannot show that anything was missed: analyze of it says
	// complete. The owners both list must be the same either way.
	if refused := unreadableProcs(t); len(refused) > 0 {
		t.Logf("%d processes' descriptor tables are unreadable here (first: pid %d): the live collector says owners are partial, lsof's output cannot", len(refused), refused[0])
	}

	// allOwners checks that every socket's owner PIDs equal the live
	// ones exactly.
	allOwners := func(t *testing.T, what string, got map[string]rtSocket) {
		t.Helper()
		for _, k := range sortedKeys(got) {
			l, ok := live[k]
			if !ok {
				continue // reported by sameSocketSet
			}
			if !slices.Equal(got[k].pids, l.pids) {
				t.Errorf("%s: %s owners [%s], live [%s]", what, k, pidList(got[k].pids), pidList(l.pids))
			}
		}
	}

	// sameReach checks that each socket is reachable over the same IP
	// versions as live. Only ss shows IPV6_V6ONLY (a dual-stack wildcard
	// is "*", a v6-only one "[::]"); netstat and lsof print both alike
	// (":::P", "*:P" of type IPv6), so from them a v6-only wildcard can
	// only be said to be reachable over both, never the other way round.
	sameReach := func(t *testing.T, what string, got map[string]rtSocket, showsV6Only bool) {
		t.Helper()
		for _, k := range sortedKeys(got) {
			l, ok := live[k]
			if !ok {
				continue
			}
			want := l.reach
			if !showsV6Only && strings.Contains(k, " [::]:") {
				want = report.ReachBoth
			}
			if got[k].reach != want {
				t.Errorf("%s: %s reach %q, want %q (live %q)", what, k, got[k].reach, want, l.reach)
			}
		}
	}

	t.Run("ss -tulpn", func(t *testing.T) {
		file, out := capture(t, env, dir, "ss", "-tulpn")
		// ss prints a dual-stack [::] socket as "*" (the v4 wildcard's
		// form); the parser must still read it as [::].
		if !regexp.MustCompile(`(?m)^tcp .* \*:7003 `).MatchString(out) {
			t.Errorf("ss does not show the dual-stack tcp [::]:7003 as *:7003 (the case this checks):\n%s", out)
		}
		rep, r := analyze(t, bin, file)
		got := rtSockets(t, "ss", rep)
		sameSocketSet(t, "ss", got, live)
		allOwners(t, "ss", got)
		sameReach(t, "ss", got, true)
		for _, k := range sortedKeys(got) {
			l := live[k]
			g := got[k]
			if g.state != snapshot.OwnersComplete {
				t.Errorf("ss: %s owner_state %q, want complete (ss -p lists every holder)", k, g.state)
			}
			// ss prints the full command name (comm) and every
			// descriptor, as the live collector reads them.
			for pid, name := range g.names {
				if ln, ok := l.names[pid]; ok && ln != name {
					t.Errorf("ss: %s pid %d named %q, live %q", k, pid, name, ln)
				}
				if lf, ok := l.fds[pid]; ok && !slices.Equal(lf, g.fds[pid]) {
					t.Errorf("ss: %s pid %d fds %v, live %v", k, pid, g.fds[pid], lf)
				}
			}
		}
		if r.code != report.ExitOK {
			t.Errorf("analyze of ss -tulpn as root: exit %d, want %d (every owner shown); gaps %+v", r.code, report.ExitOK, rep.Gaps)
		}
	})

	t.Run("netstat -tulpn", func(t *testing.T) {
		file, _ := capture(t, env, dir, "netstat", "-tulpn")
		rep, r := analyze(t, bin, file)
		got := rtSockets(t, "netstat", rep)
		sameSocketSet(t, "netstat", got, live)
		sameReach(t, "netstat", got, false)
		shared := 0
		for _, k := range sortedKeys(got) {
			l, ok := live[k]
			if !ok {
				continue
			}
			g := got[k]
			// net-tools shows one PID per socket (the first holder
			// it finds); it must be one of the live holders, and
			// the row must not claim to know them all.
			if len(g.pids) != 1 || !slices.Contains(l.pids, g.pids[0]) {
				t.Errorf("netstat: %s owners [%s], want one of the live holders [%s]", k, pidList(g.pids), pidList(l.pids))
			}
			if g.state != snapshot.OwnersPartial {
				t.Errorf("netstat: %s owner_state %q, want partial (netstat -p shows one PID per socket)", k, g.state)
			}
			if len(l.pids) > 1 {
				shared++
			}
		}
		if shared == 0 {
			t.Errorf("netstat: no socket with several live holders was compared (the shared listeners are missing)")
		}
		for _, row := range rep.Rows {
			if row.OwnerState != snapshot.OwnersPartial {
				t.Errorf("netstat: row %s %s:%d owner_state %q, want partial", row.Proto, row.Address, row.Port, row.OwnerState)
			}
		}
		if r.code != report.ExitIncomplete {
			t.Errorf("analyze of netstat -tulpn: exit %d, want %d (owners partial)", r.code, report.ExitIncomplete)
		}
	})

	t.Run("lsof -i -n -P", func(t *testing.T) {
		file, out := capture(t, env, dir, "lsof", "-i", "-n", "-P")
		// lsof prints one line per holder and descriptor: the shared
		// TCP listener on 7001 (parent and two children) three times.
		if n := strings.Count(out, ":7001 (LISTEN)"); n != 3 {
			t.Errorf("lsof shows *:7001 on %d lines, want 3 (one per holder):\n%s", n, out)
		}
		rep, r := analyze(t, bin, file)
		got := rtSockets(t, "lsof", rep)
		sameSocketSet(t, "lsof", got, live)
		allOwners(t, "lsof", got)
		sameReach(t, "lsof", got, false)
		for _, k := range sortedKeys(got) {
			if g := got[k]; g.state != snapshot.OwnersComplete {
				t.Errorf("lsof: %s owner_state %q, want complete (lsof lists every holder it can read, and it read all of ours)", k, g.state)
			}
		}
		if r.code != report.ExitOK {
			t.Errorf("analyze of lsof -i -n -P: exit %d, want %d; gaps %+v", r.code, report.ExitOK, rep.Gaps)
		}
	})

	// ss without -p, then lsof, in one file: analyze takes the sockets
	// from ss and joins lsof's owners to them by protocol, address and
	// port, and says so on every owner.
	t.Run("ss -tuln then lsof", func(t *testing.T) {
		if _, err := exec.LookPath("lsof"); err != nil {
			t.Skip("lsof is not installed (make test-deps installs it)")
		}
		_, ssOut := capture(t, env, dir, "ss", "-tuln")
		_, lsofOut := capture(t, env, dir, "lsof", "-i", "-n", "-P")
		for _, c := range []struct {
			name, text string
		}{
			// As a terminal log: each output after its prompt.
			{"prompts", "$ ss -tuln\n" + ssOut + "$ lsof -i -n -P\n" + lsofOut},
			// Bare: lsof's header line starts its part.
			{"bare", ssOut + lsofOut},
		} {
			t.Run(c.name, func(t *testing.T) {
				file := filepath.Join(dir, "combined-"+c.name+".txt")
				if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
					t.Fatal(err)
				}
				rep, r := analyze(t, bin, file)
				for _, part := range []string{": ss ", ": lsof"} {
					if !strings.Contains(r.stderr, part) {
						t.Errorf("analyze did not read a%s part:\n%s", strings.TrimSuffix(part, " "), r.stderr)
					}
				}
				got := rtSockets(t, "ss+lsof", rep)
				sameSocketSet(t, "ss+lsof", got, live)
				allOwners(t, "ss+lsof", got)
				sameReach(t, "ss+lsof", got, true)
				for _, k := range sortedKeys(got) {
					g := got[k]
					for _, v := range g.via {
						if v != "address" {
							t.Errorf("ss+lsof: %s owner via %q, want \"address\" (joined by address and port)", k, v)
						}
					}
					if len(g.pids) == 0 {
						t.Errorf("ss+lsof: %s has no owner: the join missed it", k)
					}
				}
				if r.code != report.ExitOK {
					t.Errorf("analyze of ss -tuln + lsof: exit %d, want %d; gaps %+v", r.code, report.ExitOK, rep.Gaps)
				}
			})
		}
	})
}
