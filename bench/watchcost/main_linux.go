// Command watchcost measures what openports watch costs: its CPU time at the
// default interval on a quiet host, and with N socket events per second
// (bind and close of UDP sockets on loopback by a child process), and its
// heap over a bounded soak under churn. It runs the watcher in-process, so
// getrusage(RUSAGE_SELF) is the watcher's CPU alone; the churn runs in a
// child (this binary with -churner). Every -sample the heap (after a GC)
// and the resident set are recorded; the series of each run is printed
// after the table, so that a plateau (or a leak) shows.
//
//	go run ./bench/watchcost -quiet 30s -churn 30s -rate 500 -soak 8m
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/watch"
)

func main() {
	quiet := flag.Duration("quiet", 20*time.Second, "length of the quiet run")
	churn := flag.Duration("churn", 20*time.Second, "length of the churn run")
	soak := flag.Duration("soak", time.Minute, "length of the soak run")
	rate := flag.Int("rate", 500, "UDP sockets bound and closed per second in the churn and soak runs (two events each: new, gone)")
	sample := flag.Duration("sample", 5*time.Second, "interval of the heap and RSS samples")
	mode := flag.String("mode", watch.ModeAuto, "watch mode: auto, ebpf or poll")
	churner := flag.Int("churner", 0, "internal: bind and close this many UDP sockets per second until killed")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of each measured run (not its start-up) to FILE.<run>")
	flag.Parse()
	if *churner > 0 {
		churnLoop(*churner)
		return
	}
	profile = *cpuprofile
	sampleEvery = max(*sample, 100*time.Millisecond)
	fmt.Printf("| run | mode / owner lookups | length | CPU (user+sys) | %% of one core | events | events/s | polls | owner lookups | heap start → end (MiB) | RSS start → end (MiB) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	var series []string
	for _, r := range []struct {
		name string
		d    time.Duration
		rate int
	}{{"quiet", *quiet, 0}, {"churn", *churn, *rate}, {"soak", *soak, *rate}} {
		if r.d <= 0 {
			continue
		}
		ser, err := measure(r.name, r.d, r.rate, *mode)
		if err != nil {
			fmt.Fprintln(os.Stderr, "watchcost:", err)
			os.Exit(1)
		}
		series = append(series, ser)
	}
	for _, ser := range series {
		fmt.Print(ser)
	}
}

// sampleEvery is the interval of the heap and RSS samples.
var sampleEvery time.Duration

// profile is the prefix of the CPU profile files ("" for none).
var profile string

func cpu() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// rssMiB is the resident set of this process (the watcher and the
// benchmark's small loop), from /proc/self/statm.
func rssMiB() (float64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("read RSS: /proc/self/statm has %d fields", len(f))
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	return float64(pages*uint64(os.Getpagesize())) / (1 << 20), nil
}

// sample is one point of a run's memory series.
type sample struct {
	at        time.Duration
	heap, rss float64
	cpu       time.Duration // CPU used since the run's start
}

// measure runs the watcher for d (after a 2 s start-up) with rate sockets
// a second of churn, prints its table row and returns its sample series,
// formatted.
func measure(name string, d time.Duration, rate int, mode string) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	var events atomic.Int64
	done := make(chan error, 1)
	var sum watch.Summary
	go func() {
		var err error
		sum, err = watch.Run(ctx, watch.Options{Mode: mode}, func(watch.Event) { events.Add(1) })
		done <- err
	}()
	time.Sleep(2 * time.Second) // start-up (first poll, eBPF load) is not counted
	var child *exec.Cmd
	if rate > 0 {
		exe, err := os.Executable()
		if err != nil {
			cancel()
			return "", fmt.Errorf("find own binary: %w", err)
		}
		child = exec.Command(exe, "-churner", strconv.Itoa(rate))
		if err := child.Start(); err != nil {
			cancel()
			return "", fmt.Errorf("start churner: %w", err)
		}
	}
	h0 := heapMiB()
	if profile != "" {
		f, err := os.Create(profile + "." + name)
		if err != nil {
			cancel()
			return "", fmt.Errorf("create CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			cancel()
			return "", fmt.Errorf("start CPU profile %s: %w", f.Name(), err)
		}
		defer pprof.StopCPUProfile()
	}
	c0, t0, e0 := cpu(), time.Now(), events.Load()
	r0, err := rssMiB()
	if err != nil {
		cancel()
		return "", err
	}
	samples := []sample{{0, h0, r0, 0}}
	for end := t0.Add(d); time.Now().Before(end); {
		time.Sleep(min(sampleEvery, time.Until(end)))
		c := cpu()
		h := heapMiB()
		r, err := rssMiB()
		if err != nil {
			cancel()
			return "", err
		}
		samples = append(samples, sample{time.Since(t0), h, r, c - c0})
	}
	c1, t1, e1 := cpu(), time.Now(), events.Load()
	last := samples[len(samples)-1]
	h1, r1 := last.heap, last.rss
	hmax, rmax := h0, r0
	for _, p := range samples {
		hmax, rmax = max(hmax, p.heap), max(rmax, p.rss)
	}
	if child != nil {
		_ = child.Process.Kill()
		_ = child.Wait()
	}
	cancel()
	if err := <-done; err != nil {
		return "", err
	}
	used, span := c1-c0, t1.Sub(t0)
	fmt.Printf("| %s | %s | %s | %s | %.2f%% | %d | %.0f | %d | %d | %.1f → %.1f (max %.1f) | %.1f → %.1f (max %.1f) |\n", name, sum.Mode+"/"+string(sum.OwnerMethod), span.Round(time.Second),
		used.Round(time.Millisecond), 100*used.Seconds()/span.Seconds(), e1-e0, float64(e1-e0)/span.Seconds(),
		sum.Polls, sum.OwnerScans, h0, h1, hmax, r0, r1, rmax)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s: heap (MiB, after GC) and RSS (MiB) every %s; CPU %% of one core over each interval\n\n| t (s) | heap | RSS | CPU %% |\n|---|---|---|---|\n", name, sampleEvery)
	for i, p := range samples {
		pct := "—"
		if i > 0 {
			q := samples[i-1]
			pct = fmt.Sprintf("%.2f", 100*(p.cpu-q.cpu).Seconds()/(p.at-q.at).Seconds())
		}
		fmt.Fprintf(&b, "| %.0f | %.2f | %.1f | %s |\n", p.at.Seconds(), p.heap, p.rss, pct)
	}
	return b.String(), nil
}

// churnLoop binds a UDP socket on 127.0.0.1 (ephemeral port) and closes it,
// rate times a second: two socket events (new, gone) each. It keeps to the
// rate by counting against the clock rather than one socket per tick, so
// that a late wake-up (a loaded host) is made up at the next tick.
func churnLoop(rate int) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start, done := time.Now(), 0
	for range tick.C {
		due := int(time.Since(start).Seconds() * float64(rate))
		for n := 0; done < due && n < rate/10+1; n++ {
			churnOne()
			done++
		}
		if due-done > rate {
			// More than a second behind: give up that backlog
			// rather than burst.
			done = due - rate
		}
	}
}

func churnOne() {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "churner:", err)
		os.Exit(1)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		fmt.Fprintln(os.Stderr, "churner:", err)
		os.Exit(1)
	}
	unix.Close(fd)
}
