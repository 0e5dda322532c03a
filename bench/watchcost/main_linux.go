// Command watchcost measures what openports watch costs: its CPU time at the
// default interval on a quiet host, and with N socket events per second
// (bind and close of UDP sockets on loopback by a child process), and its
// heap over a bounded soak under churn. It runs the watcher in-process, so
// getrusage(RUSAGE_SELF) is the watcher's CPU alone; the churn runs in a
// child (this binary with -churner).
//
//	go run ./bench/watchcost -quiet 30s -churn 30s -rate 1000 -soak 2m
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
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/watch"
)

func main() {
	quiet := flag.Duration("quiet", 20*time.Second, "length of the quiet run")
	churn := flag.Duration("churn", 20*time.Second, "length of the churn run")
	soak := flag.Duration("soak", time.Minute, "length of the soak run (heap sampled every 5s)")
	rate := flag.Int("rate", 1000, "socket events per second in the churn and soak runs")
	mode := flag.String("mode", watch.ModeAuto, "watch mode: auto, ebpf or poll")
	churner := flag.Int("churner", 0, "internal: bind and close this many UDP sockets per second until killed")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of each measured run (not its start-up) to FILE.<run>")
	flag.Parse()
	if *churner > 0 {
		churnLoop(*churner)
		return
	}
	profile = *cpuprofile
	fmt.Printf("| run | mode | length | CPU (user+sys) | %% of one core | events | events/s | polls | /proc scans | heap start → end (MiB) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		d    time.Duration
		rate int
	}{{"quiet", *quiet, 0}, {"churn", *churn, *rate}, {"soak", *soak, *rate}} {
		if r.d <= 0 {
			continue
		}
		if err := measure(r.name, r.d, r.rate, *mode); err != nil {
			fmt.Fprintln(os.Stderr, "watchcost:", err)
			os.Exit(1)
		}
	}
}

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

func measure(name string, d time.Duration, rate int, mode string) error {
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
			return fmt.Errorf("find own binary: %w", err)
		}
		child = exec.Command(exe, "-churner", strconv.Itoa(rate))
		if err := child.Start(); err != nil {
			cancel()
			return fmt.Errorf("start churner: %w", err)
		}
	}
	h0 := heapMiB()
	if profile != "" {
		f, err := os.Create(profile + "." + name)
		if err != nil {
			cancel()
			return fmt.Errorf("create CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			cancel()
			return fmt.Errorf("start CPU profile %s: %w", f.Name(), err)
		}
		defer pprof.StopCPUProfile()
	}
	c0, t0, e0 := cpu(), time.Now(), events.Load()
	hmax := h0
	for end := t0.Add(d); time.Now().Before(end); {
		time.Sleep(min(5*time.Second, time.Until(end)))
		if h := heapMiB(); h > hmax {
			hmax = h
		}
	}
	c1, t1, e1 := cpu(), time.Now(), events.Load()
	h1 := heapMiB()
	if child != nil {
		_ = child.Process.Kill()
		_ = child.Wait()
	}
	cancel()
	if err := <-done; err != nil {
		return err
	}
	used, span := c1-c0, t1.Sub(t0)
	fmt.Printf("| %s | %s | %s | %s | %.2f%% | %d | %.0f | %d | %d | %.1f → %.1f (max %.1f) |\n", name, sum.Mode+"/"+sum.OwnerMethod, span.Round(time.Second),
		used.Round(time.Millisecond), 100*used.Seconds()/span.Seconds(), e1-e0, float64(e1-e0)/span.Seconds(),
		sum.Polls, sum.OwnerScans, h0, h1, hmax)
	return nil
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
