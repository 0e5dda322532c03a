//go:build linux

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/testenv"
)

// holding is one helper's record of holding one socket during [open, close]
// (close is 0 while the helper never said it closed it).
type holding struct {
	pid         int
	inode       uint64
	port        uint16
	open, close int64
}

// TestChurn runs openports in a loop while helper processes open and close
// sockets and exit, and checks every owner it reports against the helpers'
// own records: no socket may ever be attributed to a process that did not
// hold it while openports ran.
func TestChurn(t *testing.T) {
	bin := openports(t)
	env := testenv.New(t)

	const (
		maxRuns    = 40
		maxWaves   = 60
		perWave    = 3
		runTimeout = 30 * time.Second
		loopBudget = 25 * time.Second
	)
	// One socket that stays for the whole test, shared by two processes.
	steady := env.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:7400"), Children: 1})
	var holdings []holding
	for _, pid := range steady.PIDs() {
		holdings = append(holdings, holding{pid: pid, inode: steady.Inode, port: 7400, open: 0, close: 0})
	}

	// openports runs in a loop in the background until the churn is over
	// or its budget is spent.
	var (
		mu      sync.Mutex
		runs    []result
		runErrs []error
	)
	stop := make(chan struct{})
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		deadline := time.Now().Add(loopBudget)
		for i := 0; i < maxRuns && time.Now().Before(deadline); i++ {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
			cmd := env.Command(ctx, bin, "list", "--all", "-o", "json")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			r := result{start: testenv.Monotonic()}
			err := cmd.Run()
			r.end = testenv.Monotonic()
			cancel()
			r.stdout, r.stderr = stdout.String(), stderr.String()
			var exit *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &exit) && exit.ExitCode() >= 0:
				r.code = exit.ExitCode()
			default:
				mu.Lock()
				runErrs = append(runErrs, fmt.Errorf("run %d: %w: %s", i, err, r.stderr))
				mu.Unlock()
				continue
			}
			mu.Lock()
			runs = append(runs, r)
			mu.Unlock()
		}
	}()

	// Waves of churn helpers, each opening and closing sockets on a few
	// ports and exiting, until openports has run enough times.
	waves := 0
	for ; waves < maxWaves; waves++ {
		select {
		case <-loopDone:
		default:
			var procs []*testenv.Proc
			for i := range perWave {
				procs = append(procs, env.StartHelper(t, "churn", testenv.ChurnSpec{
					Iterations: 25, PortBase: 7401, PortSpan: 8, MaxHold: 15 * time.Millisecond,
					Addr: ap("0.0.0.0:0").Addr(), Seed: uint64(waves*perWave + i), Protos: []string{"tcp", "udp"},
				}))
			}
			for _, p := range procs {
				holdings = append(holdings, collectHoldings(t, p)...)
			}
			continue
		}
		break
	}
	close(stop)
	<-loopDone
	steady.Stop()
	for _, err := range runErrs {
		t.Error(err)
	}
	t.Logf("%d waves of %d churn helpers, %d socket holdings recorded, %d openports runs", waves, perWave, len(holdings), len(runs))
	if len(runs) < 5 {
		t.Fatalf("only %d openports runs completed", len(runs))
	}

	byKey := map[[2]uint64][]holding{}
	for _, h := range holdings {
		k := [2]uint64{uint64(h.pid), h.inode}
		byKey[k] = append(byKey[k], h)
	}
	attributed, churnAttributed, incomplete := 0, 0, 0
	for i, r := range runs {
		rep := decode(t, r)
		if r.code != report.ExitOK && r.code != report.ExitIncomplete {
			t.Errorf("run %d: exit %d\nstderr: %s", i, r.code, r.stderr)
			continue
		}
		if r.code == report.ExitIncomplete {
			incomplete++
			if incomplete == 1 {
				t.Logf("run %d incomplete (%v mode): gaps %+v", i, env.Mode, rep.Gaps)
			}
		}
		for _, row := range rep.Rows {
			for _, s := range row.Sockets {
				for _, o := range s.Owners {
					attributed++
					if s.Inode == 0 {
						t.Errorf("run %d: %s %v owned by pid %d has no inode: cannot be checked", i, s.Proto, s.Local, o.PID)
						continue
					}
					ok := false
					for _, h := range byKey[[2]uint64{uint64(o.PID), s.Inode}] {
						held := (h.open == 0 || h.open <= r.end) && (h.close == 0 || h.close >= r.start)
						if held && h.port == s.Local.Port() {
							ok = true
							if h.port != 7400 {
								churnAttributed++
							}
						}
					}
					if !ok {
						t.Errorf("run %d: %s %v (inode %d) attributed to pid %d (%s), which did not hold it while openports ran",
							i, s.Proto, s.Local, s.Inode, o.PID, o.Name)
					}
				}
			}
		}
	}
	t.Logf("%d owner attributions checked, %d of them to churning sockets; %d runs incomplete", attributed, churnAttributed, incomplete)
	if churnAttributed == 0 {
		t.Errorf("no run saw a churning socket with its owner: the test checked nothing about churn")
	}
}

// collectHoldings reads a churn helper's events until it exits.
func collectHoldings(t *testing.T, p *testenv.Proc) []holding {
	t.Helper()
	open := map[uint64]*holding{}
	var order []uint64
	for line := range p.Lines() {
		ev, err := testenv.DecodeChurnEvent(line)
		if err != nil {
			t.Fatal(err)
		}
		if ev.PID != p.PID {
			t.Fatalf("churn event from pid %d, helper is %d", ev.PID, p.PID)
		}
		switch ev.Event {
		case "open":
			open[ev.Inode] = &holding{pid: ev.PID, inode: ev.Inode, port: ev.Local.Port(), open: ev.T}
			order = append(order, ev.Inode)
		case "close":
			h, ok := open[ev.Inode]
			if !ok {
				t.Fatalf("churn helper %d closed inode %d it never opened", p.PID, ev.Inode)
			}
			h.close = ev.T
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("churn helper %d: %v\n%s", p.PID, err, strings.TrimSpace(p.Stderr()))
	}
	out := make([]holding, 0, len(order))
	for _, ino := range order {
		out = append(out, *open[ino])
	}
	return out
}
