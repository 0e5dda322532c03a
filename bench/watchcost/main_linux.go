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
	"strconv"
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
	flag.Parse()
	if *churner > 0 {
		churnLoop(*churner)
		return
	}
	fmt.Printf("| run | mode | length | CPU (user+sys) | %% of one core | events | heap start → end (MiB) |\n|---|---|---|---|---|---|---|\n")
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
	var events int
	done := make(chan error, 1)
	var sum watch.Summary
	go func() {
		var err error
		sum, err = watch.Run(ctx, watch.Options{Mode: mode}, func(watch.Event) { events++ })
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
	c0, t0 := cpu(), time.Now()
	hmax := h0
	for end := t0.Add(d); time.Now().Before(end); {
		time.Sleep(min(5*time.Second, time.Until(end)))
		if h := heapMiB(); h > hmax {
			hmax = h
		}
	}
	c1, t1 := cpu(), time.Now()
	h1 := heapMiB()
	if child != nil {
		_ = child.Process.Kill()
		_ = child.Wait()
	}
	cancel()
	if err := <-done; err != nil {
		return err
	}
	used := c1 - c0
	fmt.Printf("| %s | %s | %s | %s | %.2f%% | %d | %.1f → %.1f (max %.1f) |\n", name, sum.Mode, t1.Sub(t0).Round(time.Second),
		used.Round(time.Millisecond), 100*used.Seconds()/t1.Sub(t0).Seconds(), events, h0, h1, hmax)
	return nil
}

// churnLoop binds a UDP socket on 127.0.0.1 (ephemeral port) and closes it,
// rate times a second: two socket events (new, gone) each.
func churnLoop(rate int) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for range tick.C {
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
}
