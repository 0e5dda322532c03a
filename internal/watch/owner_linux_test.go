package watch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/testenv"
)

// handoffEnv makes the re-executed test binary hand a TCP listener to
// itself through a Unix socket (SCM_RIGHTS), as a socket-activating
// supervisor hands one to a service: it listens on an ephemeral port of
// MainAddr4, sends the descriptor, closes its own and prints "listen PORT
// INODE"; handoffHold later it receives the descriptor back and prints
// "received"; it exits when its standard input closes. While the
// descriptor is in flight no process's table holds the listener.
const handoffEnv = "OPENPORTS_WATCH_HANDOFF"

// handoffHold is how long the listener is in flight: two poll intervals of
// TestOwnerFoundLater, within the OwnerRetries polls that look again.
const handoffHold = 400 * time.Millisecond

func handoff() error {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: testenv.MainAddr4.As4()}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fstat: %w", err)
	}
	if err := unix.Sendmsg(pair[0], []byte("x"), unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send the listener: %w", err)
	}
	if err := unix.Close(fd); err != nil {
		return err
	}
	fmt.Printf("listen %d %d\n", sa.(*unix.SockaddrInet4).Port, st.Ino)
	time.Sleep(handoffHold)
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(pair[1], buf, oob, 0)
	if err != nil {
		return fmt.Errorf("receive the listener: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return fmt.Errorf("control message: %v", err)
	}
	if _, err := unix.ParseUnixRights(&msgs[0]); err != nil {
		return fmt.Errorf("rights: %w", err)
	}
	fmt.Println("received")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// TestOwnerFoundLater: a listener that no process holds when the poll
// first sees it (its descriptor in flight between two processes, or in a
// process forked after /proc was listed) is looked up again at the next
// polls, and its owner reported as owner-changed once a process holds it.
// Before, the owner stayed unknown until the rescan, 30 polls later, and
// `watch --policy` filed the listener under an unknown program.
func TestOwnerFoundLater(t *testing.T) {
	env := testenv.New(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var events []Event
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Options{Mode: ModePoll, NetNSPath: env.NetNSPath(), Interval: handoffHold / 2, RescanEvery: -1,
			Ready: func() { close(ready) }}, func(ev Event) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		})
		done <- err
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("watch ended before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("watch not ready after 30 s")
	}
	cmd := env.NS.Command(context.Background(), exe)
	cmd.Env = append(os.Environ(), handoffEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	var port uint16
	var inode uint64
	if !lines.Scan() {
		t.Fatalf("helper said nothing: %v", lines.Err())
	}
	if _, err := fmt.Sscanf(lines.Text(), "listen %d %d", &port, &inode); err != nil {
		t.Fatalf("helper line %q: %v", lines.Text(), err)
	}
	if !lines.Scan() || lines.Text() != "received" {
		t.Fatalf("helper did not take the listener back: %q %v", lines.Text(), lines.Err())
	}
	find := func() (newEv, changed *Event) {
		mu.Lock()
		defer mu.Unlock()
		for i := range events {
			if events[i].Inode != inode {
				continue
			}
			switch events[i].Kind {
			case New:
				newEv = &events[i]
			case OwnerChanged:
				changed = &events[i]
			}
		}
		return newEv, changed
	}
	// The retries, within OwnerRetries polls of the first sighting.
	var newEv, changed *Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if newEv, changed = find(); changed != nil || (newEv != nil && len(newEv.Owners) > 0) {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	local := netip.AddrPortFrom(testenv.MainAddr4, port)
	switch {
	case newEv == nil:
		t.Fatalf("listener %v (inode %d) never reported new: %+v", local, inode, events)
	case len(newEv.Owners) > 0:
		t.Skipf("the first poll to see %v came after the hand-off (a loaded machine): nothing to look for again", local)
	case changed == nil:
		t.Fatalf("new %v without owner (%s), and no owner-changed once the helper held it: %+v", local, newEv.OwnerReason, events)
	}
	if len(changed.Owners) != 1 || changed.Owners[0].PID != cmd.Process.Pid || changed.SeenBy != SeenPoll {
		t.Errorf("owner-changed %+v: want the helper (PID %d), seen by a poll", changed, cmd.Process.Pid)
	}
}
