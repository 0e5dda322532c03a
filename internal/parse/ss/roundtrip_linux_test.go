//go:build linux

package ss

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/parse/netstat"
	"github.com/openports/openports/internal/snapshot"
)

// The round trip runs the real ss -tulpn and netstat -tulpn inside a
// network namespace the test creates, with listeners a helper process (this
// test binary, re-executed) opens on known ports, one of them shared with a
// child the helper starts, and checks the parsed sockets and owner PIDs.

const (
	helperEnv = "OPENPORTS_PARSE_RT_HELPER" // value: output directory
	childEnv  = "OPENPORTS_PARSE_RT_CHILD"
)

// The helper's listeners (inside its own namespace, so no clash with the
// host's listeners).
var rtWant = []struct {
	proto  snapshot.Proto
	local  netip.AddrPort
	shared bool // held by the helper and its child
}{
	{snapshot.TCP, netip.MustParseAddrPort("0.0.0.0:7001"), true},
	{snapshot.TCP, netip.MustParseAddrPort("[::]:7002"), false},
	{snapshot.UDP, netip.MustParseAddrPort("0.0.0.0:7003"), false},
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// The child holds fd 3 (the shared listener) until its stdin closes.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := rtHelper(dir); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// rtHelper runs inside the new namespace: it listens, starts the child,
// runs the tools into dir, reports "ready PID" and waits for stdin to close.
func rtHelper(dir string) error {
	ln1, err := net.Listen("tcp4", "0.0.0.0:7001")
	if err != nil {
		return err
	}
	ln2, err := net.Listen("tcp6", "[::]:7002")
	if err != nil {
		return err
	}
	pc, err := net.ListenPacket("udp4", "0.0.0.0:7003")
	if err != nil {
		return err
	}
	defer ln1.Close()
	defer ln2.Close()
	defer pc.Close()
	f, err := ln1.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), childEnv+"=1", helperEnv+"=")
	child.ExtraFiles = []*os.File{f}
	childIn, err := child.StdinPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	f.Close()
	defer func() {
		childIn.Close()
		_ = child.Wait()
	}()
	// Wait until the child's descriptor table holds the socket.
	ok := false
	for range 100 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/fd/3", child.Process.Pid)); err == nil {
			ok = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ok {
		return fmt.Errorf("child %d never held fd 3", child.Process.Pid)
	}
	for _, tool := range [][]string{{"ss", "-tulpn"}, {"netstat", "-tulpn"}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			continue
		}
		out, err := exec.Command(tool[0], tool[1:]...).Output()
		if err != nil {
			return fmt.Errorf("%s: %w", tool[0], err)
		}
		if err := os.WriteFile(filepath.Join(dir, tool[0]+".txt"), out, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("ready %d\n", child.Process.Pid)
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

func TestRoundTrip(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace (CLONE_NEWNET)")
	}
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss is not installed (iproute2)")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process in a new network namespace: %v", err)
	}
	helperPID := cmd.Process.Pid
	childPID := 0
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			if childPID > 0 {
				_ = syscall.Kill(childPID, syscall.SIGKILL)
			}
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper did not report ready: %v", err)
	}
	childPID, err = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "ready ")))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}

	t.Run("ss", func(t *testing.T) {
		res := parseFile(t, New(), filepath.Join(dir, "ss.txt"))
		checkRoundTrip(t, res, helperPID, childPID, false)
	})
	t.Run("netstat", func(t *testing.T) {
		path := filepath.Join(dir, "netstat.txt")
		if _, err := os.Stat(path); err != nil {
			t.Skip("netstat is not installed (Debian package net-tools)")
		}
		res := parseFile(t, netstat.NewLinux(), path)
		checkRoundTrip(t, res, helperPID, childPID, true)
	})
}

func parseFile(t *testing.T, p parse.Parser, path string) *parse.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s output:\n%s", p.Format(), data)
	if s := p.Detect(data); s < 50 {
		t.Errorf("%s scores only %d on real output", p.Format(), s)
	}
	res, err := p.Parse(bytes.NewReader(data), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Errorf("problems: %v\n%s", res.Problems, data)
	}
	return res
}

// checkRoundTrip asserts exactly the helper's sockets and their owners.
// netstat shows one process per socket, so for the shared socket either
// holder is right and the owner list is partial.
func checkRoundTrip(t *testing.T, res *parse.Result, helper, child int, onePID bool) {
	t.Helper()
	got := res.Snapshot.Sockets
	if len(got) != len(rtWant) {
		t.Fatalf("%d sockets, want %d: %+v", len(got), len(rtWant), got)
	}
	for _, w := range rtWant {
		i := slices.IndexFunc(got, func(s snapshot.Socket) bool { return s.Proto == w.proto && s.Local == w.local })
		if i < 0 {
			t.Errorf("no %s %v in %+v", w.proto, w.local, got)
			continue
		}
		s := got[i]
		wantState := snapshot.Listen
		if w.proto == snapshot.UDP {
			wantState = snapshot.Unconnected
		}
		if s.State != wantState || s.Remote.IsValid() {
			t.Errorf("%v: state %s remote %v", w.local, s.State, s.Remote)
		}
		var pids []int
		for _, o := range s.Owners {
			pids = append(pids, o.PID)
			if o.Name == "" {
				t.Errorf("%v: owner %d without a name", w.local, o.PID)
			}
		}
		switch {
		case onePID && w.shared:
			if len(pids) != 1 || (pids[0] != helper && pids[0] != child) || s.OwnerState != snapshot.OwnersPartial {
				t.Errorf("%v: owners %v (%s), want one of %d, %d (partial)", w.local, pids, s.OwnerState, helper, child)
			}
		case onePID:
			if !slices.Equal(pids, []int{helper}) || s.OwnerState != snapshot.OwnersPartial {
				t.Errorf("%v: owners %v (%s), want [%d] (partial)", w.local, pids, s.OwnerState, helper)
			}
		case w.shared:
			want := []int{helper, child}
			slices.Sort(want)
			if !slices.Equal(pids, want) || s.OwnerState != snapshot.OwnersComplete {
				t.Errorf("%v: owners %v (%s), want %v (complete)", w.local, pids, s.OwnerState, want)
			}
		default:
			if !slices.Equal(pids, []int{helper}) || s.OwnerState != snapshot.OwnersComplete {
				t.Errorf("%v: owners %v (%s), want [%d] (complete)", w.local, pids, s.OwnerState, helper)
			}
		}
	}
}
