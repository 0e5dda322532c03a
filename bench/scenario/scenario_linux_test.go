package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/parse/ss"
	"github.com/openports/openports/internal/snapshot"
)

// TestScenario builds a small scenario, lists it with ss from inside, and
// checks what ss sees against the plan, then that nothing is left behind.
func TestScenario(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("needs ss (iproute2)")
	}
	bin := filepath.Join(t.TempDir(), "scenario")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	p := Params{Listen: 7, UDP: 7, Conns: 30, Procs: 3, FDs: 6, Shared: 1, BasePort: 10000}
	name := fmt.Sprintf("opbench-test-%d", os.Getpid())
	cmd := exec.Command(bin, "-name", name, "-listen", "7", "-udp", "7", "-conns", "30", "-procs", "3", "-fds", "6", "-shared", "1",
		"--", "sh", "-c", "ss -tulpnH && echo ESTAB && ss -tnH state established")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scenario: %v: %s", err, stderr.String())
	}
	first, rest, _ := bytes.Cut(out, []byte("\n"))
	var ready Ready
	if err := json.Unmarshal(first, &ready); err != nil {
		t.Fatalf("ready line %q: %v", first, err)
	}
	listing, estab, ok := bytes.Cut(rest, []byte("ESTAB\n"))
	if !ok {
		t.Fatalf("no ESTAB marker in %q", rest)
	}

	if ready.NetNS != name || len(ready.Holders) != p.Procs || len(ready.Children) != p.Shared {
		t.Errorf("ready %+v: want netns %s, %d holders, %d children", ready, name, p.Procs, p.Shared)
	}
	plan, err := Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	wantFDs := 0
	for _, h := range plan {
		n := h.FDCount()
		if h.Shared {
			n *= 2
		}
		wantFDs += n
	}
	if ready.FDs != wantFDs {
		t.Errorf("ready says %d descriptors, plan %d", ready.FDs, wantFDs)
	}

	res, err := ss.New().Parse(bytes.NewReader(listing), "ss")
	if err != nil || len(res.Problems) > 0 {
		t.Fatalf("parse ss: %v %v", err, res.Problems)
	}
	got := map[string][]int{}
	for _, s := range res.Snapshot.Sockets {
		var pids []int
		for _, o := range s.Owners {
			pids = append(pids, o.PID)
		}
		slices.Sort(pids)
		got[string(s.Proto)+" "+s.Local.String()] = pids
	}
	for i, h := range plan {
		want := []int{ready.Holders[i]}
		if h.Shared {
			want = append(want, ready.Children[0])
			slices.Sort(want)
		}
		for proto, binds := range map[snapshot.Proto][]Bind{snapshot.TCP: h.Listen, snapshot.UDP: h.UDP} {
			for _, b := range binds {
				k := string(proto) + " " + b.Addr.String()
				pids, ok := got[k]
				if !ok {
					t.Errorf("ss does not list %s; it lists %v", k, got)
					continue
				}
				if !slices.Equal(pids, want) {
					t.Errorf("%s held by %v, want %v", k, pids, want)
				}
				delete(got, k)
			}
		}
	}
	if len(got) > 0 {
		t.Errorf("ss lists sockets the plan does not have: %v", got)
	}
	n := 0
	for sc := bufio.NewScanner(bytes.NewReader(estab)); sc.Scan(); {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	if n != 2*p.Conns {
		t.Errorf("%d established sockets, want %d (both ends of %d connections)", n, 2*p.Conns, p.Conns)
	}

	// Everything is gone: the namespace, and every process (a reused
	// PID would not run the holder's command name).
	if _, err := os.Stat(ready.NetNSPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (%v)", ready.NetNSPath, err)
	}
	for _, pid := range append(slices.Clone(ready.Holders), ready.Children...) {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.HasPrefix(string(comm), "opb-") {
			t.Errorf("process %d (%s) still runs", pid, strings.TrimSpace(string(comm)))
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}
