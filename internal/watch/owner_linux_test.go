package watch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
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
	fd, port, err := listenTCP(testenv.MainAddr4)
	if err != nil {
		return err
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
	fmt.Printf("listen %d %d\n", port, st.Ino)
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
	w := startWatch(t, Options{Mode: ModePoll, NetNSPath: env.NetNSPath(), Interval: handoffHold / 2, RescanEvery: -1})
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
	// The retries, within OwnerRetries polls of the first sighting.
	var newEv, changed *Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		newEv, changed = w.Find(inode, New), w.Find(inode, OwnerChanged)
		if changed != nil || (newEv != nil && len(newEv.Owners) > 0) {
			break
		}
	}
	w.Stop(t)
	local := netip.AddrPortFrom(testenv.MainAddr4, port)
	switch {
	case newEv == nil:
		t.Fatalf("listener %v (inode %d) never reported new: %+v", local, inode, w.Events())
	case len(newEv.Owners) > 0:
		t.Skipf("the first poll to see %v came after the hand-off (a loaded machine): nothing to look for again", local)
	case changed == nil:
		t.Fatalf("new %v without owner (%s), and no owner-changed once the helper held it: %+v", local, newEv.OwnerReason, w.Events())
	}
	if len(changed.Owners) != 1 || changed.Owners[0].PID != cmd.Process.Pid || changed.SeenBy != SeenPoll {
		t.Errorf("owner-changed %+v: want the helper (PID %d), seen by a poll", changed, cmd.Process.Pid)
	}
}
