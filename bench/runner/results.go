package main

import (
	"fmt"
	"strings"
	"time"
)

// ebpfTool is the name of openports' eBPF owner path in the table.
const ebpfTool = "openports --owners ebpf"

// Tools of issue 12's targets: the default owner choice, start-up alone,
// and a Go program that does nothing (bench/empty).
const (
	autoTool  = "openports --owners auto"
	helpTool  = "openports --help"
	emptyTool = "empty Go program"
)

// Preset is a named scenario size.
type Preset struct {
	Name                                string
	Listen, UDP, Conns, Procs, FDs, Shr int
	About                               string
}

// presets are the sizes of issue 4's targets, plus the default small one
// and a large one.
var presets = []Preset{
	{"small", 50, 20, 200, 20, 50, 5, "the default: runs in about a minute"},
	{"conns10k", 50, 20, 10000, 20, 50, 5, "10k established connections"},
	{"conns50k", 50, 20, 50000, 20, 50, 5, "50k established connections"},
	{"procs1k", 50, 20, 200, 1000, 50, 5, "1,000 processes of 50 descriptors"},
	{"large", 50, 20, 100000, 2000, 100, 20, "100k connections, 2,000 processes of 100 descriptors"},
}

// scenarioReady mirrors the scenario's ready line (bench/scenario).
type scenarioReady struct {
	NetNS        string  `json:"netns"`
	NetNSPath    string  `json:"netns_path"`
	Holders      []int   `json:"holders"`
	Children     []int   `json:"children"`
	FDs          int     `json:"fds"`
	SetupSeconds float64 `json:"setup_seconds"`
}

// Tool is one command the runner times.
type Tool struct {
	Name string
	Argv []string
	// VerifyArgv, when set, is run instead of Argv in the untimed
	// comparison run (the same work with output Parse can read).
	VerifyArgv []string
	// Parse reduces the tool's output for the comparison with ss; nil
	// when the output is not compared (openports' table).
	Parse  func([]byte) (Holdings, error)
	Owners Owners
	// TCPOnly says the tool lists TCP sockets only, so only those are
	// compared.
	TCPOnly bool
	// OK are the exit codes that count as success.
	OK []int
}

// refTool is the tool every output is compared with.
const refTool = "ss -tulpn"

// Verification is what the comparison run found for one tool.
type Verification struct {
	Exit     int
	Err      string
	Holdings Holdings
	// Compared is true when the output was compared with ss -tulpn;
	// Diffs then lists the differences and Sockets how many sockets the
	// tool listed.
	Compared bool
	Diffs    []string
	Sockets  int
}

// Results are one run of the runner.
type Results struct {
	Preset          Preset
	Ready           scenarioReady
	Tools           []Tool
	Runs, Warmup    int
	Notes           []string
	Start, End      time.Time
	HostFDs         int
	OpenportsSource string
	Verify          []Verification
	// Timed[i] are the timed runs of Tools[i], in round order.
	Timed [][]Run
}

// index returns the position of the tool named name, -1 if absent.
func (r *Results) index(name string) int {
	for i, t := range r.Tools {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// reference is the tool ratios are taken to: openports when it ran, else
// ss -tulpn.
func (r *Results) reference() int {
	if i := r.index("openports"); i >= 0 {
		return i
	}
	return r.index(refTool)
}

func ms(s float64) string {
	switch {
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 0.1:
		return fmt.Sprintf("%.0f ms", s*1e3)
	default:
		return fmt.Sprintf("%.1f ms", s*1e3)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Markdown renders the results with the machine facts.
func (r *Results) Markdown(machine []string) string {
	var b strings.Builder
	p := r.Preset
	fmt.Fprintf(&b, "# openports benchmark: %s (%s)\n\n", p.Name, r.Start.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Scenario (`bench/scenario`, its own network namespace): %d listening TCP sockets and %d bound UDP sockets "+
		"(IPv4 and IPv6 wildcards, dual-stack and v6-only, loopback, one specific address per family), "+
		"%d established loopback TCP connections (both ends inside), over %d processes holding %d other descriptors each "+
		"(files, pipes, unix socket pairs), %d of them with a forked child sharing all their descriptors: "+
		"%d processes, %d descriptors, built in %.1f s. The whole host had %d open descriptors when the runs began "+
		"(every /proc owner scan reads all of them).\n\n",
		p.Listen, p.UDP, p.Conns, p.Procs, p.FDs, p.Shr, len(r.Ready.Holders)+len(r.Ready.Children), r.Ready.FDs,
		r.Ready.SetupSeconds, r.HostFDs)
	ref := r.reference()
	refName := "?"
	if ref >= 0 {
		refName = r.Tools[ref].Name
	}
	fmt.Fprintf(&b, "%d timed rounds after %d warm-up round(s), %.0f s in all; each round runs every tool once, "+
		"starting with a different tool each round, so the runs of any two tools alternate. "+
		"Ratio: median over rounds of the tool's time divided by `%s`'s in the same round. "+
		"CPU: user + system time. Peak RSS: largest maximum resident set size (GNU time's %%M) over the rounds.\n\n",
		r.Runs, r.Warmup, r.End.Sub(r.Start).Seconds(), refName)

	fmt.Fprintf(&b, "| tool | median | min | × %s | CPU (median) | peak RSS | sockets | same sockets and owners as `ss -tulpn` |\n", refName)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
	for i, t := range r.Tools {
		runs := r.Timed[i]
		ratio := "—"
		if ref >= 0 && len(runs) > 0 {
			ratio = fmt.Sprintf("%.2f", pairedRatio(runs, r.Timed[ref]))
		}
		v := r.Verify[i]
		sockets := "—"
		if v.Compared {
			sockets = fmt.Sprint(v.Sockets)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", t.Name,
			ms(median(walls(runs))), ms(minOf(walls(runs))), ratio, ms(median(cpus(runs))), mib(peakRSS(runs)),
			sockets, agreement(t, v))
	}
	b.WriteString("\n")
	if src := r.OpenportsSource; src != "" {
		fmt.Fprintf(&b, "openports reported its source as `%s`.\n\n", src)
	}
	if t := r.targets(); len(t) > 0 {
		b.WriteString("## Targets of issue 4\n\n| target | measured | |\n|---|---|---|\n")
		for _, l := range t {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	var diffs []string
	for i, v := range r.Verify {
		if v.Err != "" {
			diffs = append(diffs, fmt.Sprintf("- `%s`: %s", r.Tools[i].Name, v.Err))
		}
		for j, d := range v.Diffs {
			if j == 10 {
				diffs = append(diffs, fmt.Sprintf("- `%s`: … %d more", r.Tools[i].Name, len(v.Diffs)-10))
				break
			}
			diffs = append(diffs, fmt.Sprintf("- `%s`: %s", r.Tools[i].Name, d))
		}
	}
	if len(diffs) > 0 || len(r.Notes) > 0 {
		b.WriteString("## Differences and notes\n\n")
		for _, d := range diffs {
			b.WriteString(d + "\n")
		}
		for _, n := range r.Notes {
			b.WriteString("- " + n + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("## Machine\n\n")
	for _, m := range machine {
		b.WriteString("- " + m + "\n")
	}
	fmt.Fprintf(&b, "\nReproduce (as root, in the repository): `go run ./bench/runner -preset %s -runs %d`\n", p.Name, r.Runs)
	return b.String()
}

// agreement is the table's verdict of the comparison with ss.
func agreement(t Tool, v Verification) string {
	switch {
	case v.Err != "":
		return "error (below)"
	case t.Name == refTool:
		return "reference"
	case !v.Compared:
		return "not compared"
	case len(v.Diffs) > 0:
		return fmt.Sprintf("**no**: %d difference(s) (below)", len(v.Diffs))
	case t.TCPOnly:
		return "yes (TCP only)"
	case t.Owners == NoOwners:
		return "yes (sockets only)"
	case t.Owners == OneOwner:
		return "yes (one holder per socket)"
	}
	return "yes"
}

func minOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

// targets checks the targets that this run measured: those of the
// /proc path ("openports"), and those of the eBPF path (ebpfTool) where it
// ran.
func (r *Results) targets() []string {
	op := r.index("openports")
	if op < 0 {
		return nil
	}
	var out []string
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	limit, why := 0.8, "no or few connections"
	switch {
	case r.Preset.Conns >= 10000:
		limit, why = 0.5, "≥ 10k connections"
	case r.Preset.Procs >= 500:
		limit, why = 0.6, "500 processes or more"
	}
	small := r.Preset.Conns < 10000 && r.Preset.Procs < 500
	if ss := r.index(refTool); ss >= 0 {
		x := pairedRatio(r.Timed[op], r.Timed[ss])
		if small {
			// Issue 12 sets the small-host target on list as users
			// run it (auto, below); the /proc path is shown alone.
			out = append(out, fmt.Sprintf("| /proc path: openports against `ss -tulpn` (%s) | %.2f × | — |", why, x))
		} else {
			out = append(out, fmt.Sprintf("| /proc path: openports ≤ %.1f × `ss -tulpn` (%s) | %.2f × | %s |", limit, why, x, verdict(x <= limit)))
		}
	}
	if a, ss := r.index(autoTool), r.index(refTool); small && a >= 0 && ss >= 0 {
		x := pairedRatio(r.Timed[a], r.Timed[ss])
		out = append(out, fmt.Sprintf("| list as users run it: `%s` ≤ 0.8 × `ss -tulpn` (%s) | %.2f × | %s |", autoTool, why, x, verdict(x <= 0.8)))
	}
	if f := r.index("floor, 2 threads"); f >= 0 {
		x := pairedRatio(r.Timed[op], r.Timed[f])
		out = append(out, fmt.Sprintf("| /proc path: openports ≤ 1.1 × the two-thread floor | %.2f × | %s |", x, verdict(x <= 1.1)))
	}
	// The eBPF path has a target at 50k connections and at 1,000
	// processes; elsewhere its ratio is shown for information.
	if e, ss := r.index(ebpfTool), r.index(refTool); e >= 0 && ss >= 0 {
		x := pairedRatio(r.Timed[e], r.Timed[ss])
		if r.Preset.Conns >= 50000 || r.Preset.Procs >= 1000 {
			out = append(out, fmt.Sprintf("| eBPF path: `%s` ≤ 0.1 × `ss -tulpn` | %.2f × | %s |", ebpfTool, x, verdict(x <= 0.1)))
		} else {
			out = append(out, fmt.Sprintf("| eBPF path: `%s` against `ss -tulpn` (no target at this size) | %.2f × | — |", ebpfTool, x))
		}
	}
	// auto is never slower than the better of the two methods by more
	// than 10 %: per round, against the faster of the two.
	if a, e := r.index(autoTool), r.index(ebpfTool); a >= 0 {
		best := r.Timed[op]
		if e >= 0 {
			best = fasterPerRound(r.Timed[op], r.Timed[e])
		}
		x := pairedRatio(r.Timed[a], best)
		out = append(out, fmt.Sprintf("| `%s` ≤ 1.1 × the faster of the /proc and eBPF paths | %.2f × | %s |", autoTool, x, verdict(x <= 1.1)))
	}
	if h, e := r.index(helpTool), r.index(emptyTool); h >= 0 && e >= 0 {
		d := pairedDifference(r.Timed[h], r.Timed[e])
		out = append(out, fmt.Sprintf("| `%s` within 3 ms of an empty Go program | +%s | %s |", helpTool, ms(d.Seconds()), verdict(d <= 3*time.Millisecond)))
	}
	const rssLimit = 15 << 20
	for _, name := range []string{"openports", "openports -o json", ebpfTool} {
		if i := r.index(name); i >= 0 {
			m := peakRSS(r.Timed[i])
			out = append(out, fmt.Sprintf("| `%s` peak RSS ≤ 15 MiB | %s | %s |", name, mib(m), verdict(m <= rssLimit)))
		}
	}
	for _, name := range []string{"openports -o json", ebpfTool} {
		if j := r.index(name); j >= 0 {
			v := r.Verify[j]
			ok := v.Compared && v.Err == "" && len(v.Diffs) == 0
			out = append(out, fmt.Sprintf("| `%s`: same sockets and owners as `ss -tulpn` | %s | %s |", name, agreement(r.Tools[j], v), verdict(ok)))
		}
	}
	return out
}
