package linux

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/snapshot"
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

// TestRawPacketInKernel: a process holding a raw TCP socket and a packet
// socket in a namespace with no listener. The snapshot names both, with
// their holder, and leaves out the send-only one; the render tests show
// the summary of such a snapshot (testdata/rawpacket.snapshot.json). Before, neither was looked at
// and list printed "nothing reachable from other hosts".
func TestRawPacketInKernel(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	env := testenv.New(t)
	holder := env.NS.Start(t, "python3", "-c", rawHolder)
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
	pid, _ := strconv.Atoi(f[0])
	rawIno, _ := strconv.ParseUint(f[1], 10, 64)
	pktIno, _ := strconv.ParseUint(f[2], 10, 64)
	sendIno, _ := strconv.ParseUint(f[3], 10, 64)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := collectIn(t, env.NS.Command(ctx, exe), collectSpec{IgnoreUnreadable: true})

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
