package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/testenv"
)

// TestRawPacketSummary: in a namespace with no listener, a python3 holds
// what BPFDoor waits on: a raw TCP socket and an AF_PACKET socket. list
// and check must not give the all-clear ("nothing reachable ...") and must
// name the holder; with --raw the raw socket is a row and only the packet
// socket is left to the summary. Before, both said "nothing reachable"
// and nothing of either socket.
func TestRawPacketSummary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux network namespaces")
	}
	if testing.Short() {
		t.Skip("builds the binary and makes namespaces")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	env := testenv.New(t)
	bin, err := testenv.Build(t.TempDir(), "./cmd/openports")
	if err != nil {
		t.Fatal(err)
	}
	holder := env.NS.Start(t, "python3", "-c", `
import os, socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
print(os.getpid(), flush=True)
sys.stdin.read()
`)
	var pid string
	select {
	case pid = <-holder.Lines():
	case <-time.After(30 * time.Second):
		t.Fatalf("holder not ready: %s", holder.Stderr())
	}
	who := "python3 (" + strings.TrimSpace(pid) + ")"
	if _, err := strconv.Atoi(strings.TrimSpace(pid)); err != nil {
		t.Fatalf("holder said %q", pid)
	}
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := env.Command(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, stdout.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), stdout.String()
		}
		t.Fatalf("run %v: %v: %s", args, err, stderr.String())
		return 0, ""
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "2 raw/packet sockets receive packets from other machines before any port: " + who},
		{[]string{"check"}, "2 raw/packet sockets receive packets from other machines before any port: " + who},
		{[]string{"list", "--raw"}, "1 packet socket receives packets from other machines before any port: " + who},
	} {
		code, out := run(tc.args...)
		// The sockets are no gap and no finding: the exit code is what
		// the rest of the view makes it (README, exit codes): 1 for a
		// check problem (the test namespace has no default route), else
		// 3 when incomplete (here PID 1's descriptors are unreadable),
		// else 0.
		want := 0
		switch {
		case tc.args[0] == "check" && strings.Contains(out, "\n  problem "):
			want = 1
		case strings.Contains(out, "incomplete"):
			want = 3
		}
		if code != want {
			t.Errorf("%v exits %d, want %d:\n%s", tc.args, code, want, out)
		}
		if strings.Contains(out, "nothing reachable") {
			t.Errorf("%v (exit %d) gives the all-clear beside a raw and a packet socket:\n%s", tc.args, code, out)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%v (exit %d) does not say %q:\n%s", tc.args, code, tc.want, out)
		}
	}
}
