package linux

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/testenv"
)

// rawHolder is a python3 that opens what BPFDoor waits on: a raw TCP
// socket (socket(AF_INET, SOCK_RAW, IPPROTO_TCP)) and an AF_PACKET socket
// of ETH_P_ALL, plus a send-only IPPROTO_RAW socket (which receives
// nothing), prints its PID and the three inodes and waits for stdin to
// close.
const rawHolder = `
import os, socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
print(os.getpid(), *(os.fstat(x.fileno()).st_ino for x in (r, p, s)), flush=True)
sys.stdin.read()
`

// startRawHolder starts rawHolder in ns and returns its PID and the
// inodes of its raw, packet and send-only sockets.
func startRawHolder(t *testing.T, ns *testenv.NS) (pid int, raw, packet, sendOnly uint64) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	holder := ns.Start(t, "python3", "-c", rawHolder)
	var line string
	select {
	case line = <-holder.Lines():
	case <-time.After(30 * time.Second):
		t.Fatalf("raw socket holder not ready: %s", holder.Stderr())
	}
	f := strings.Fields(line)
	if len(f) != 4 {
		t.Fatalf("holder said %q (stderr %s)", line, holder.Stderr())
	}
	pid, _ = strconv.Atoi(f[0])
	raw, _ = strconv.ParseUint(f[1], 10, 64)
	packet, _ = strconv.ParseUint(f[2], 10, 64)
	sendOnly, _ = strconv.ParseUint(f[3], 10, 64)
	return pid, raw, packet, sendOnly
}

// TestRawPacketOtherNamespaceInKernel: with --netns all, the raw and
// packet sockets of a namespace other than the collector's are read from
// a thread that entered it (/proc/thread-self/net) and carry its inode.
func TestRawPacketOtherNamespaceInKernel(t *testing.T) {
	needRoot(t, "entering every network namespace")
	env := testenv.New(t)
	testNS, err := env.NS.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}
	_, rawIno, pktIno, _ := startRawHolder(t, env.NS)
	c := New(source.Options{AllNamespaces: true})
	c.findOwners = fakeOwners(nil, nil) // owners: TestRawPacketInKernel
	snap, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := map[uint64]uint64{}
	for _, r := range snap.RawSockets {
		found[r.Inode] = r.NetNS
	}
	for _, ino := range []uint64{rawIno, pktIno} {
		if ns, ok := found[ino]; !ok || ns != testNS {
			t.Errorf("socket %d: found %v in namespace %d, want namespace %d; raw_sockets %+v", ino, ok, ns, testNS, snap.RawSockets)
		}
	}
}

// TestRawPacketInKernel: a process holding a raw TCP socket and a packet
// socket in a namespace with no listener. The snapshot names both, with
// their holder, and leaves out the send-only one; the render tests show
// the summary of such a snapshot (testdata/rawpacket.snapshot.json). Before, neither was looked at
// and list printed "nothing reachable from other hosts".
func TestRawPacketInKernel(t *testing.T) {
	env := testenv.New(t)
	pid, rawIno, pktIno, sendIno := startRawHolder(t, env.NS)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := collectIn(t, env.NS.Command(ctx, exe), collectSpec{IgnoreUnreadable: true})
	if !snap.RawTablesRead {
		t.Error("raw_tables_read unset after the tables were read: the summary could not tell them from a parsed output's")
	}

	byInode := map[uint64]snapshot.RawSocket{}
	for _, r := range snap.RawSockets {
		byInode[r.Inode] = r
	}
	check := func(ino uint64, kind string, proto uint16) {
		t.Helper()
		r, ok := byInode[ino]
		if !ok {
			t.Errorf("%s socket %d missing from raw_sockets %+v", kind, ino, snap.RawSockets)
			return
		}
		if r.Kind != kind || r.Protocol != proto {
			t.Errorf("socket %d: kind %q protocol %d, want %q %d", ino, r.Kind, r.Protocol, kind, proto)
		}
		if len(r.Owners) != 1 || r.Owners[0].PID != pid || r.Owners[0].Name != "python3" || r.OwnerState != snapshot.OwnersComplete {
			t.Errorf("socket %d: owners %+v (%s), want python3 (%d)", ino, r.Owners, r.OwnerState, pid)
		}
	}
	check(rawIno, "raw", 6)
	check(pktIno, "packet", 3)
	if _, ok := byInode[sendIno]; ok {
		t.Errorf("the send-only IPPROTO_RAW socket %d is listed: it receives nothing", sendIno)
	}
	for _, s := range snap.Sockets {
		if s.Proto == snapshot.Raw {
			t.Errorf("raw socket %d is a row without --raw", s.Inode)
		}
	}

}

// TestRawPacketNamedNamespaceInKernel: a namespace only `ip netns` names,
// with no process inside, whose packet socket a thread of this test made
// there and holds from its own namespace: --netns all reads its table from
// a thread that enters it, and the owner scan names this test as holder.
func TestRawPacketNamedNamespaceInKernel(t *testing.T) {
	needRoot(t, "ip netns add, and entering every network namespace")
	name := fmt.Sprintf("oprp-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	var nsIno uint64
	var fd int
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(own)
		target, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(target)
		var st unix.Stat_t
		if err := unix.Fstat(target, &st); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		nsIno = st.Ino
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter %s: %w", name, err)
			return
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if serr := unix.Setns(own, unix.CLONE_NEWNET); serr != nil {
			errc <- fmt.Errorf("back to own namespace: %w", serr) // the thread stays locked, and ends
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	c := New(source.Options{AllNamespaces: true, Owners: source.OwnersProc})
	snap, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range snap.RawSockets {
		if r.Inode != st.Ino {
			continue
		}
		if r.NetNS != nsIno || r.Kind != "packet" || r.Protocol != unix.ETH_P_ALL {
			t.Errorf("socket %+v, want a packet socket of ETH_P_ALL in namespace %d", r, nsIno)
		}
		if len(r.Owners) != 1 || r.Owners[0].PID != os.Getpid() {
			t.Errorf("owners %+v, want this test (%d)", r.Owners, os.Getpid())
		}
		return
	}
	t.Errorf("packet socket %d of namespace %s (%d) missing from raw_sockets %+v", st.Ino, name, nsIno, snap.RawSockets)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// TestRawPacketUnreadable: a /proc/net/packet that cannot be read is a gap
// (sockets/raw-unreadable): nothing then says no packet socket receives
// packets, so the summary may not give the all-clear. A table the kernel
// does not have (ENOENT: no AF_PACKET, no IPv6) is none.
func TestRawPacketUnreadable(t *testing.T) {
	f := newFixture()
	f.proc.fileErrs = map[string]error{"thread-self/net/packet": unix.EACCES}
	snap := f.run(t)
	if !hasGap(snap, "sockets", ReasonRawUnreadable) {
		t.Errorf("gaps %v, want sockets/%s", gapReasons(snap), ReasonRawUnreadable)
	}
	f = newFixture()
	if snap := f.run(t); len(snap.Gaps) != 0 || len(snap.RawSockets) != 0 {
		t.Errorf("without the tables: gaps %v, raw sockets %+v; want none", gapReasons(snap), snap.RawSockets)
	} else if !snap.RawTablesRead {
		t.Error("absent tables hold no socket: raw_tables_read should be set")
	}
	if f.proc.fileReads["thread-self/net/packet"] != 1 || f.proc.fileReads["thread-self/net/raw"] != 1 || f.proc.fileReads["thread-self/net/raw6"] != 1 {
		t.Errorf("reads %v, want net/packet, net/raw and net/raw6 once each", f.proc.fileReads)
	}
}
