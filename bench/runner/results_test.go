package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture is a fixed run: openports twice as fast as ss, a third slower
// than the floor, one tool disagreeing with ss.
func fixture() *Results {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	tools := []Tool{
		{Name: "openports"},
		{Name: "openports -o json", Owners: AllOwners},
		{Name: refTool, Owners: AllOwners},
		{Name: "ss -tuln", Owners: NoOwners},
		{Name: "lsof -i -n -P -sTCP:LISTEN", Owners: AllOwners, TCPOnly: true},
		{Name: "gopsutil", Owners: OneOwner},
		{Name: "floor, 2 threads", Owners: AllOwners},
	}
	r := &Results{
		Preset: presets[0], Tools: tools, Runs: 3, Warmup: 1, Start: start, End: start.Add(42 * time.Second),
		Ready:           scenarioReady{Holders: []int{10, 11}, Children: []int{12}, FDs: 1840, SetupSeconds: 0.3},
		HostFDs:         5000,
		OpenportsSource: "linux/sock_diag",
		Notes:           []string{"gopsutil-conns built from its own module"},
		Verify: []Verification{
			{},
			{Compared: true, Sockets: 70},
			{Compared: true, Sockets: 70},
			{Compared: true, Sockets: 70},
			{Compared: true, Sockets: 50},
			{Compared: true, Sockets: 69, Diffs: []string{"missing udp [::]:10005"}},
			{Err: "floor exited 1: boom"},
		},
		Timed: [][]Run{
			runsOf(10, 12, 11), runsOf(11, 13, 12), runsOf(20, 24, 22), runsOf(5, 6, 5),
			runsOf(40, 48, 44), runsOf(60, 70, 66), runsOf(8, 9, 8),
		},
	}
	return r
}

func TestMarkdownGolden(t *testing.T) {
	got := fixture().Markdown([]string{"CPU: test, 2 online", "Kernel: 6.1"})
	path := filepath.Join("testdata", "small.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Markdown differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

func TestTargets(t *testing.T) {
	r := fixture()
	tg := r.targets()
	want := []string{
		"| /proc path: openports against `ss -tulpn` (no or few connections) | 0.50 × | — |",
		"| /proc path: openports ≤ 1.1 × the two-thread floor | 1.33 × | **missed** |",
		"| `openports` peak RSS ≤ 15 MiB | 12.0 MiB | met |",
		"| `openports -o json` peak RSS ≤ 15 MiB | 13.0 MiB | met |",
		"| `openports -o json`: same sockets and owners as `ss -tulpn` | yes | met |",
	}
	if len(tg) != len(want) {
		t.Fatalf("targets:\n%q\nwant:\n%q", tg, want)
	}
	for i := range want {
		if tg[i] != want[i] {
			t.Errorf("target %d:\n got %s\nwant %s", i, tg[i], want[i])
		}
	}
	r.Preset.Conns = 50000
	r.Timed[0] = runsOf(12, 14, 13)
	if got := r.targets()[0]; got != "| /proc path: openports ≤ 0.5 × `ss -tulpn` (≥ 10k connections) | 0.59 × | **missed** |" {
		t.Errorf("50k target: %s", got)
	}
	r.Preset.Conns = 200
	r.Tools = append(r.Tools, Tool{Name: autoTool})
	r.Verify = append(r.Verify, Verification{})
	for _, tt := range []struct {
		auto []Run // ss takes 20, 24, 22 ms
		want string
	}{
		{runsOf(16, 19, 17), "| list as users run it: `openports --owners auto` ≤ 0.8 × `ss -tulpn` (no or few connections) | 0.79 × | met |"},
		{runsOf(18, 20, 18), "| list as users run it: `openports --owners auto` ≤ 0.8 × `ss -tulpn` (no or few connections) | 0.83 × | **missed** |"},
	} {
		r.Timed = append(r.Timed[:len(r.Tools)-1], tt.auto)
		if got := r.targets()[1]; got != tt.want {
			t.Errorf("small-host list target:\n got %s\nwant %s", got, tt.want)
		}
	}
	r.Tools[0].Name = "not openports"
	if got := r.targets(); got != nil {
		t.Errorf("targets without openports: %q", got)
	}
}

// TestTargetsEBPF checks the eBPF path's rows: a target at 50k
// connections and at 1,000 processes, a ratio for information elsewhere.
func TestTargetsEBPF(t *testing.T) {
	tests := []struct {
		name         string
		conns, procs int
		ebpf         []Run // ss takes 20, 24, 22 ms
		diffs        []string
		want         []string
	}{
		{
			name: "small: no target", conns: 200, procs: 20, ebpf: runsOf(4, 4, 4),
			want: []string{
				"| eBPF path: `openports --owners ebpf` against `ss -tulpn` (no target at this size) | 0.18 × | — |",
				"| `openports --owners ebpf` peak RSS ≤ 15 MiB | 4.0 MiB | met |",
				"| `openports --owners ebpf`: same sockets and owners as `ss -tulpn` | yes | met |",
			},
		},
		{
			name: "50k connections: met", conns: 50000, procs: 20, ebpf: runsOf(2, 2, 2),
			want: []string{
				"| eBPF path: `openports --owners ebpf` ≤ 0.1 × `ss -tulpn` | 0.09 × | met |",
				"| `openports --owners ebpf` peak RSS ≤ 15 MiB | 2.0 MiB | met |",
				"| `openports --owners ebpf`: same sockets and owners as `ss -tulpn` | yes | met |",
			},
		},
		{
			name: "1,000 processes: missed, RSS too", conns: 200, procs: 1000, ebpf: runsOf(16, 16, 16),
			diffs: []string{"udp *:53: holders 12 want 12,13"},
			want: []string{
				"| eBPF path: `openports --owners ebpf` ≤ 0.1 × `ss -tulpn` | 0.73 × | **missed** |",
				"| `openports --owners ebpf` peak RSS ≤ 15 MiB | 16.0 MiB | **missed** |",
				"| `openports --owners ebpf`: same sockets and owners as `ss -tulpn` | **no**: 1 difference(s) (below) | **missed** |",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			r.Preset.Conns, r.Preset.Procs = tt.conns, tt.procs
			r.Tools = append(r.Tools, Tool{Name: ebpfTool, Owners: AllOwners})
			r.Verify = append(r.Verify, Verification{Compared: true, Sockets: 70, Diffs: tt.diffs})
			r.Timed = append(r.Timed, tt.ebpf)
			var got []string
			for _, l := range r.targets() {
				if strings.Contains(l, ebpfTool) {
					got = append(got, l)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("eBPF targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
