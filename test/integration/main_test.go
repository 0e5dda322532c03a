//go:build linux

// Package integration runs the real openports binary against real sockets:
// helper processes and Debian's sshd in a private network namespace made by
// internal/testenv, and checks what it reports against what the helpers
// themselves know, against ss(8), without privileges, and under churn.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/testenv"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	testenv.ServeRole()
	code := m.Run()
	if binDir != "" {
		if err := os.RemoveAll(binDir); err != nil {
			fmt.Fprintf(os.Stderr, "remove %s: %v\n", binDir, err)
		}
	}
	os.Exit(code)
}

// binEnv names a prebuilt openports binary to test instead of building one
// (for runs as a user who cannot use the go build cache).
const binEnv = "OPENPORTS_TEST_BIN"

// openports builds ./cmd/openports once per test run and returns its path.
// The binary sits in a world-readable directory so that it can be run as
// nobody.
func openports(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if prebuilt := os.Getenv(binEnv); prebuilt != "" {
			binPath = prebuilt
			if _, err := os.Stat(prebuilt); err != nil {
				buildErr = fmt.Errorf("%s: %w", binEnv, err)
			}
			return
		}
		root, err := testenv.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		if _, err := os.Stat(filepath.Join(root, "cmd", "openports")); err != nil {
			buildErr = fmt.Errorf("skip: cmd/openports is not in this tree yet: %w", err)
			return
		}
		binDir, buildErr = os.MkdirTemp("", "openports-it-")
		if buildErr != nil {
			return
		}
		if buildErr = os.Chmod(binDir, 0o755); buildErr != nil {
			return
		}
		binPath, buildErr = testenv.Build(binDir, "./cmd/openports")
	})
	if buildErr != nil {
		if strings.HasPrefix(buildErr.Error(), "skip: ") {
			t.Skip(strings.TrimPrefix(buildErr.Error(), "skip: "))
		}
		t.Fatalf("build openports: %v", buildErr)
	}
	return binPath
}

// result is one finished run of a command.
type result struct {
	code           int
	stdout, stderr string
	start, end     int64 // CLOCK_MONOTONIC ns around the run
}

// asNobody drops to uid/gid 65534 with no groups and no capabilities.
var asNobody = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"}

// run runs argv (argv[0] a program) inside ns, or on the host when ns is nil.
func run(t *testing.T, ns *testenv.NS, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if ns == nil {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	} else {
		cmd = ns.Command(ctx, argv[0], argv[1:]...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := result{start: testenv.Monotonic()}
	err := cmd.Run()
	r.end = testenv.Monotonic()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v\n%s", strings.Join(argv, " "), err, r.stderr)
	}
	return r
}

// decode reads a JSON report and checks that its exit_code matches the
// process's.
func decode(t *testing.T, r result) *report.Report {
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
	if rep.Complete != (len(rep.Gaps) == 0) {
		t.Errorf("complete=%v but %d gaps: %+v", rep.Complete, len(rep.Gaps), rep.Gaps)
	}
	if rep.Complete != (rep.ExitCode == report.ExitOK) {
		t.Errorf("complete=%v but exit_code %d", rep.Complete, rep.ExitCode)
	}
	return &rep
}

// sockKey is what the tests compare per socket.
type sockKey struct {
	Proto    string
	Local    string
	Exposure snapshot.Exposure
	Reach    snapshot.Reach
	Iface    string
	PIDs     string
}

func (k sockKey) String() string {
	return fmt.Sprintf("%s %s exposure=%s reach=%s iface=%q pids=[%s]", k.Proto, k.Local, k.Exposure, k.Reach, k.Iface, k.PIDs)
}

func pidList(pids []int) string {
	pids = slices.Clone(pids)
	slices.Sort(pids)
	pids = slices.Compact(pids)
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

// sockets lists every socket of every row of rep as keys, and checks that
// each row's processes are the union of its sockets' owners.
func sockets(t *testing.T, rep *report.Report) []sockKey {
	t.Helper()
	var out []sockKey
	for _, row := range rep.Rows {
		var rowPIDs, ownerPIDs []int
		for _, p := range row.Processes {
			rowPIDs = append(rowPIDs, p.PID)
		}
		for _, s := range row.Sockets {
			var pids []int
			for _, o := range s.Owners {
				pids = append(pids, o.PID)
			}
			ownerPIDs = append(ownerPIDs, pids...)
			out = append(out, sockKey{
				Proto: string(s.Proto), Local: s.Local.String(),
				Exposure: s.Exposure, Reach: s.Reach, Iface: s.Interface, PIDs: pidList(pids),
			})
		}
		if pidList(rowPIDs) != pidList(ownerPIDs) {
			t.Errorf("row %s %s:%d lists processes [%s], its sockets' owners are [%s]", row.Proto, row.Address, row.Port, pidList(rowPIDs), pidList(ownerPIDs))
		}
	}
	slices.SortFunc(out, func(a, b sockKey) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// diffKeys reports the keys only in want and only in got.
func diffKeys(t *testing.T, what string, got, want []sockKey) {
	t.Helper()
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, "  "+w.String())
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, "  "+g.String())
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: sockets differ\nexpected but not reported:\n%s\nreported but not expected:\n%s",
			what, strings.Join(missing, "\n"), strings.Join(extra, "\n"))
	}
}
