package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openports/openports/bench/internal/nsthread"
	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/lsof"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/parse/ss"
	"github.com/openports/openports/internal/report"
)

func main() {
	preset := flag.String("preset", "small", "scenario size: small, conns10k, conns50k, procs1k or large")
	runs := flag.Int("runs", 10, "timed rounds (each runs every tool once)")
	warmup := flag.Int("warmup", 1, "untimed rounds before the timed ones")
	out := flag.String("out", "", "markdown file to write (default bench/results/DATE-PRESET.md)")
	only := flag.String("tools", "", "comma-separated tool names to run (default all)")
	timeout := flag.Duration("timeout", 5*time.Minute, "limit of one run of one tool")
	baseline := flag.String("baseline", "", "another openports binary (an earlier commit's) whose eBPF and auto paths are timed too, paired with this tree's")
	var p Preset
	flag.IntVar(&p.Listen, "listen", -1, "override the preset's listening TCP sockets")
	flag.IntVar(&p.UDP, "udp", -1, "override the preset's UDP sockets")
	flag.IntVar(&p.Conns, "conns", -1, "override the preset's established connections")
	flag.IntVar(&p.Procs, "procs", -1, "override the preset's processes")
	flag.IntVar(&p.FDs, "fds", -1, "override the preset's other descriptors per process")
	flag.IntVar(&p.Shr, "shared", -1, "override the preset's processes with a forked child")
	flag.Parse()
	if err := run(*preset, p, *runs, *warmup, *out, *only, *baseline, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "runner: %v\n", err)
		os.Exit(1)
	}
}

func run(presetName string, override Preset, runs, warmup int, out, only, baseline string, timeout time.Duration) error {
	if os.Geteuid() != 0 {
		return errors.New("run as root: the scenario creates a network namespace, and the tools must see every process")
	}
	if runs < 1 {
		return fmt.Errorf("-runs %d: want at least 1", runs)
	}
	var p Preset
	for _, q := range presets {
		if q.Name == presetName {
			p = q
		}
	}
	if p.Name == "" {
		return fmt.Errorf("unknown preset %q", presetName)
	}
	for _, o := range []struct{ dst, src *int }{
		{&p.Listen, &override.Listen}, {&p.UDP, &override.UDP}, {&p.Conns, &override.Conns},
		{&p.Procs, &override.Procs}, {&p.FDs, &override.FDs}, {&p.Shr, &override.Shr},
	} {
		if *o.src >= 0 {
			*o.dst = *o.src
			p.Name = presetName + "-custom"
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "opbench-run-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	bins, notes := build(root, tmp)
	tools := toolList(bins)
	if baseline != "" {
		if !exists(baseline) {
			return fmt.Errorf("-baseline %s: no such file", baseline)
		}
		tools = append(tools, baselineTools(baseline)...)
	}
	if only != "" {
		tools = selectTools(tools, only)
	}
	if len(tools) == 0 {
		return errors.New("no tool to run")
	}
	if _, err := os.Stat(gnuTime); err != nil {
		return fmt.Errorf("peak RSS needs GNU time (apt-get install time): %w", err)
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t.Argv[0]); err != nil {
			return fmt.Errorf("tool %s: %w", t.Name, err)
		}
	}

	sc, ready, err := startScenario(filepath.Join(bins, "scenario"), p)
	if err != nil {
		return err
	}
	defer sc.stop()
	th, err := nsthread.New(ready.NetNSPath)
	if err != nil {
		return err
	}
	defer th.Stop()
	fmt.Fprintf(os.Stderr, "runner: scenario %s ready in %.1fs: %d processes, %d descriptors\n",
		p.Name, ready.SetupSeconds, len(ready.Holders)+len(ready.Children), ready.FDs)

	res := &Results{Preset: p, Ready: ready, Tools: tools, Runs: runs, Warmup: warmup, Notes: notes,
		Start: time.Now(), HostFDs: countHostFDs()}
	// The comparison run: every tool once, output kept.
	res.Verify = make([]Verification, len(tools))
	var ref Holdings
	noEBPF := false
	for i, t := range tools {
		outp, r, err := runTool(th, t, true, timeout)
		res.Verify[i] = Verification{Exit: r.Exit}
		if t.Name == ebpfTool && reportOwnerMethod(outp) != "ebpf-task-file" {
			noEBPF = true
			res.Notes = append(res.Notes, fmt.Sprintf("%s is left out: eBPF owner mapping is not available here (exit %d)", ebpfTool, r.Exit))
			continue
		}
		switch {
		case err != nil:
			res.Verify[i].Err = err.Error()
			continue
		case t.Parse == nil:
			continue
		}
		h, err := t.Parse(outp)
		if err != nil {
			res.Verify[i].Err = err.Error()
			continue
		}
		res.Verify[i].Holdings = h
		if t.Name == refTool {
			ref = h
		}
		if strings.HasPrefix(t.Name, "openports") && res.OpenportsSource == "" {
			res.OpenportsSource = reportSource(outp)
		}
	}
	for i, t := range tools {
		v := &res.Verify[i]
		if ref == nil || v.Holdings == nil {
			continue
		}
		r := ref
		if t.TCPOnly {
			r = ref.Proto("tcp")
		}
		v.Diffs = Compare(r, v.Holdings, t.Owners)
		v.Compared = true
		v.Sockets = len(v.Holdings)
	}
	if noEBPF {
		i := slices.IndexFunc(tools, func(t Tool) bool { return t.Name == ebpfTool })
		tools = slices.Delete(tools, i, i+1)
		res.Verify = slices.Delete(res.Verify, i, i+1)
		res.Tools = tools
	}

	// Timed rounds.
	res.Timed = make([][]Run, len(tools))
	for r := -warmup; r < runs; r++ {
		for _, i := range rotation(len(tools), r+warmup) {
			_, run, err := runTool(th, tools[i], false, timeout)
			if err != nil {
				return fmt.Errorf("round %d: %w", r, err)
			}
			if r >= 0 {
				res.Timed[i] = append(res.Timed[i], run)
			}
		}
		if r >= 0 {
			fmt.Fprintf(os.Stderr, "runner: round %d/%d done\n", r+1, runs)
		}
	}
	res.End = time.Now()

	md := res.Markdown(machineFacts(root))
	if out == "" {
		out = filepath.Join(root, "bench", "results", res.Start.Format("2006-01-02")+"-"+p.Name+".md")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(out), err)
	}
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "runner: wrote %s\n", out)
	return nil
}

// gnuTime is GNU time (Debian package "time"), which reports peak RSS.
const gnuTime = "/usr/bin/time"

// baselineTools are the /proc, eBPF and auto paths and the start-up of
// another openports binary, timed in the same rounds as this tree's for a
// before/after pair.
func baselineTools(bin string) []Tool {
	return []Tool{
		{Name: "baseline openports", Argv: []string{bin, "--all", "--owners", "proc"}, OK: []int{0, 3}},
		{Name: "baseline " + ebpfTool, Argv: []string{bin, "--all", "--owners", "ebpf"}, VerifyArgv: []string{bin, "--all", "--owners", "ebpf", "-o", "json"}, OK: []int{0, 3},
			Parse: parseReport, Owners: AllOwners},
		{Name: "baseline " + autoTool, Argv: []string{bin, "--all"}, OK: []int{0, 3}},
		{Name: "baseline " + helpTool, Argv: []string{bin, "--help"}, OK: []int{0}},
	}
}

// toolList returns the tools in table order. Binaries built by the runner
// are in bins; a binary that failed to build is missing and its tool left
// out (build notes say why).
func toolList(bins string) []Tool {
	ok0 := []int{0}
	var tools []Tool
	op := filepath.Join(bins, "openports")
	if _, err := os.Stat(op); err == nil {
		// --all: list loopback sockets too, as ss does; 3 means an
		// incomplete view (e.g. processes whose descriptors even root
		// may not read), which still times the whole job.
		// "openports" is the /proc path (--owners proc), whose targets
		// the table checks; the eBPF path (--owners ebpf) is timed
		// with the same table output, and its JSON output compared with
		// ss in the untimed run (the JSON writer's cost is that of
		// "openports -o json", whichever owner path). It is left out
		// after the comparison run when eBPF cannot be used.
		tools = append(tools,
			Tool{Name: "openports", Argv: []string{op, "--all", "--owners", "proc"}, OK: []int{0, 3}},
			Tool{Name: "openports -o json", Argv: []string{op, "--all", "--owners", "proc", "-o", "json"}, OK: []int{0, 3},
				Parse: parseReport, Owners: AllOwners},
			Tool{Name: ebpfTool, Argv: []string{op, "--all", "--owners", "ebpf"}, VerifyArgv: []string{op, "--all", "--owners", "ebpf", "-o", "json"}, OK: []int{0, 3},
				Parse: parseReport, Owners: AllOwners},
			// What users run: auto picks the method (and asks the
			// iterator when /proc refuses tables).
			Tool{Name: autoTool, Argv: []string{op, "--all"}, OK: []int{0, 3}},
			// Start-up alone, against a Go program that does nothing.
			Tool{Name: helpTool, Argv: []string{op, "--help"}, OK: ok0})
	}
	if e := filepath.Join(bins, "empty"); exists(e) {
		tools = append(tools, Tool{Name: emptyTool, Argv: []string{e}, OK: ok0})
	}
	tools = append(tools,
		Tool{Name: "ss -tulpn", Argv: []string{"ss", "-tulpn"}, OK: ok0, Parse: parserOf(ss.New()), Owners: AllOwners},
		Tool{Name: "ss -tuln", Argv: []string{"ss", "-tuln"}, OK: ok0, Parse: parserOf(ss.New()), Owners: NoOwners},
		Tool{Name: "netstat -tulpn", Argv: []string{"netstat", "-tulpn"}, OK: ok0, Parse: parserOf(netstat.NewLinux()), Owners: OneOwner},
		// lsof exits 1 when some of what it was asked for is absent. A
		// -s state filter makes lsof list TCP sockets only.
		Tool{Name: "lsof -i -n -P -sTCP:LISTEN", Argv: []string{"lsof", "-i", "-n", "-P", "-sTCP:LISTEN"}, OK: []int{0, 1},
			Parse: parserOf(lsof.Table), Owners: AllOwners, TCPOnly: true},
	)
	if g := filepath.Join(bins, "gopsutil-conns"); exists(g) {
		tools = append(tools, Tool{Name: "gopsutil", Argv: []string{g}, OK: ok0, Parse: ParseGopsutil, Owners: OneOwner})
	}
	if f := filepath.Join(bins, "floor"); exists(f) {
		tools = append(tools,
			Tool{Name: "floor, 1 thread", Argv: []string{f}, OK: ok0, Parse: ParseFloor, Owners: AllOwners},
			Tool{Name: "floor, 2 threads", Argv: []string{f, "-threads", "2"}, OK: ok0, Parse: ParseFloor, Owners: AllOwners})
	}
	return tools
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// parserOf adapts one of openports' own parsers of saved tool output. A
// line it does not understand is an error here: the comparison must not
// pass because a line was skipped.
func parserOf(p parse.Parser) func([]byte) (Holdings, error) {
	return func(b []byte) (Holdings, error) {
		res, err := p.Parse(bytes.NewReader(b), p.Format())
		if err != nil {
			return nil, fmt.Errorf("parse %s output: %w", p.Format(), err)
		}
		if len(res.Problems) > 0 {
			return nil, fmt.Errorf("parse %s output: %d lines not understood, first: %v", p.Format(), len(res.Problems), res.Problems[0])
		}
		return FromSnapshot(res.Snapshot), nil
	}
}

func parseReport(b []byte) (Holdings, error) {
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode openports JSON: %w", err)
	}
	return FromReport(&r), nil
}

// reportOwnerMethod returns the "owner_method" of an openports JSON
// report, "" when it is not JSON.
func reportOwnerMethod(b []byte) string {
	var r struct {
		OwnerMethod string `json:"owner_method"`
	}
	if json.Unmarshal(b, &r) != nil {
		return ""
	}
	return r.OwnerMethod
}

// reportSource returns the "source" of an openports JSON report (which
// collector and owner path ran), "" when it is not JSON.
func reportSource(b []byte) string {
	var r struct {
		Source string `json:"source"`
	}
	if json.Unmarshal(b, &r) != nil {
		return ""
	}
	return r.Source
}

// build compiles openports, the scenario, the floor and the gopsutil
// program into dir/bins. A tool that does not build is left out and noted;
// the scenario must build.
func build(root, dir string) (string, []string) {
	bins := filepath.Join(dir, "bin")
	var notes []string
	for _, b := range []struct{ name, pkgDir, pkg string }{
		{"scenario", root, "./bench/scenario"},
		{"floor", root, "./bench/floor"},
		{"openports", root, "./cmd/openports"},
		{"gopsutil-conns", filepath.Join(root, "bench", "gopsutil-conns"), "."},
		{"empty", root, "./bench/empty"},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bins, b.name), b.pkg)
		cmd.Dir = b.pkgDir
		// As `make build` ships openports: static, without cgo (a cgo
		// build links libc dynamically and looks users up through
		// NSS, about 4 ms more per run). The other Go tools alike.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			n := fmt.Sprintf("%s did not build (%v), so it is not in the table: %s", b.name, err, firstLine(out))
			fmt.Fprintf(os.Stderr, "runner: %s\n", n)
			notes = append(notes, n)
		}
	}
	return bins, notes
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// runTool runs t once from the namespace thread, stdout to /dev/null
// unless keep, and measures it.
func runTool(th *nsthread.Thread, t Tool, keep bool, timeout time.Duration) ([]byte, Run, error) {
	var r Run
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Peak RSS comes from GNU time, not from our own wait4: os/exec
	// starts a child with vfork semantics (CLONE_VM), so the kernel
	// counts the runner's own memory in the child's ru_maxrss. GNU time
	// forks a copy of itself, which is small. Its exec costs every tool
	// the same, about a millisecond.
	rssFile, err := os.CreateTemp("", "opbench-rss-")
	if err != nil {
		return nil, r, fmt.Errorf("temporary file: %w", err)
	}
	rssFile.Close()
	defer os.Remove(rssFile.Name())
	args := t.Argv
	if keep && t.VerifyArgv != nil {
		args = t.VerifyArgv
	}
	argv := append([]string{gnuTime, "-f", "%M", "-o", rssFile.Name()}, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	if keep {
		cmd.Stdout = &stdout
	} else {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, r, fmt.Errorf("open %s: %w", os.DevNull, err)
		}
		defer null.Close()
		cmd.Stdout = null // an *os.File: no copying goroutine in the runner
	}
	cmd.Stderr = &limitWriter{w: &stderr, n: 4096}
	var start time.Time
	if err := th.Do(func() error { start = time.Now(); return cmd.Start() }); err != nil {
		return nil, r, fmt.Errorf("start %s: %w", t.Name, err)
	}
	err = cmd.Wait()
	r.Wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		r.Exit = ps.ExitCode()
		// time's user and system times include the tool's, which
		// it waited for.
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.CPU = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		}
	}
	if b, err := os.ReadFile(rssFile.Name()); err == nil {
		// The last line is %M, in KiB; a line before it may say the
		// command exited non-zero.
		lines := strings.Fields(string(b))
		if len(lines) > 0 {
			kib, perr := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			if perr != nil {
				return nil, r, fmt.Errorf("%s: peak RSS from time: %q", t.Name, b)
			}
			r.MaxRSS = kib * 1024
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, r, fmt.Errorf("%s: %w", t.Name, err)
	}
	if ctx.Err() != nil {
		return nil, r, fmt.Errorf("%s: no result within %v", t.Name, timeout)
	}
	okCode := false
	for _, c := range t.OK {
		okCode = okCode || c == r.Exit
	}
	if !okCode {
		return nil, r, fmt.Errorf("%s exited %d: %s", t.Name, r.Exit, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), r, nil
}

// limitWriter keeps the first n bytes written to it.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(l.n, len(p))
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// scenarioProc is the running scenario.
type scenarioProc struct {
	cmd  *exec.Cmd
	done chan error
}

// startScenario starts the scenario binary for p and waits for its ready
// line.
func startScenario(bin string, p Preset) (*scenarioProc, scenarioReady, error) {
	var ready scenarioReady
	cmd := exec.Command(bin,
		"-listen", fmt.Sprint(p.Listen), "-udp", fmt.Sprint(p.UDP), "-conns", fmt.Sprint(p.Conns),
		"-procs", fmt.Sprint(p.Procs), "-fds", fmt.Sprint(p.FDs), "-shared", fmt.Sprint(p.Shr))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, ready, fmt.Errorf("scenario stdout: %w", err)
	}
	// Its own process group: a terminal's ^C reaches the runner, whose
	// deferred stop then lets the scenario clean up in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, ready, fmt.Errorf("start scenario: %w", err)
	}
	sp := &scenarioProc{cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
		sp.done <- cmd.Wait()
	}()
	line := <-lines // EOF (an empty line) if the scenario fails
	if err := json.Unmarshal([]byte(line), &ready); err != nil || ready.NetNSPath == "" {
		sp.stop()
		return nil, ready, fmt.Errorf("scenario did not get ready (its messages are above): %q", strings.TrimSpace(line))
	}
	return sp, ready, nil
}

// stop asks the scenario to clean up and waits until it has.
func (s *scenarioProc) stop() {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		fmt.Fprintf(os.Stderr, "runner: stop scenario %d: %v\n", s.cmd.Process.Pid, err)
	}
	if err := <-s.done; err != nil {
		fmt.Fprintf(os.Stderr, "runner: scenario %d: %v\n", s.cmd.Process.Pid, err)
	}
}

// moduleRoot finds the openports module from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/openports/openports\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no openports go.mod above %s: run from the repository", dir)
		}
	}
}

// countHostFDs counts the open descriptors of every process on the host:
// the work of any /proc owner scan grows with it.
func countHostFDs() int {
	n := 0
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err == nil {
			n += len(fds)
		}
	}
	return n
}

// machineFacts describes the host for the table.
func machineFacts(root string) []string {
	var f []string
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	var ncpu int
	if out, err := exec.Command("nproc").Output(); err == nil {
		fmt.Sscan(string(out), &ncpu)
	}
	f = append(f, fmt.Sprintf("CPU: %s, %d online", cpu, ncpu))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		f = append(f, "Memory: "+strings.Join(strings.Fields(l)[1:], " "))
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		f = append(f, "Kernel: "+utsString(u.Release[:]))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				f = append(f, "OS: "+strings.Trim(v, `"`))
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f = append(f, "Load average at the end (1, 5, 15 min): "+strings.Join(strings.Fields(string(b))[:3], ", "))
	}
	for _, v := range [][]string{
		{"go", "version"}, {"ss", "-V"}, {"netstat", "--version"}, {"lsof", "-v"},
		{"git", "-C", root, "describe", "--always", "--dirty"},
	} {
		out, _ := exec.Command(v[0], v[1:]...).CombinedOutput()
		line := firstLine(out)
		if v[0] == "lsof" {
			// lsof -v prints a banner; the revision is on its own line.
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "revision:") {
					line = "lsof " + strings.TrimSpace(l)
				}
			}
		}
		if v[0] == "git" {
			line = "openports commit " + line
		}
		f = append(f, line)
	}
	return f
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
