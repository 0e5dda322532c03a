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
)

// TestRootlessVxlanUnheld: a VXLAN device that a rootless user (uid 1000,
// root of its own user namespace) brings up makes a kernel UDP socket of
// uid 1000 that no descriptor table holds. Nothing proves it a kernel
// socket rather than one held out of sight, so it stays unknown (unheld),
// but the reason and the gap name both: before, they said it was in
// flight over SCM_RIGHTS or registered with an io_uring. (From the
// review's TestRootlessVxlanReview, branch rvw-linux 45c1e1b.)
func TestRootlessVxlanUnheld(t *testing.T) {
	needRoot(t, "a rootless user's namespace")
	for _, tool := range []string{"setpriv", "unshare", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	holder := exec.Command("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "unshare", "-Urn", "sh", "-c",
		"ip link add vx0 type vxlan id 1 dstport 4789 local 127.0.0.1 dev lo && ip link set lo up && ip link set vx0 up && echo ok && exec sleep 30")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	holder.Stderr = os.Stderr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	buf := make([]byte, 3)
	if n, _ := out.Read(buf); !strings.HasPrefix(string(buf[:n]), "ok") {
		t.Skipf("vxlan not set up in a rootless user namespace: %q", buf[:n])
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", "--net=/proc/"+strconv.Itoa(holder.Process.Pid)+"/ns/net", "--", exe)
	snap := collectIn(t, cmd, collectSpec{IgnoreUnreadable: true})
	s := findPort(snap, snapshot.UDP, 4789)
	if s == nil {
		t.Fatalf("vxlan socket not listed: %+v", snap.Sockets)
	}
	if s.OwnerState != snapshot.OwnersUnknown || s.OwnerReasonCode != ReasonUnheld {
		t.Errorf("owner %q (%q): want unknown, unheld: nothing proves it a kernel socket", s.OwnerState, s.OwnerReasonCode)
	}
	if !strings.Contains(s.OwnerReason, "tunnel device made in a user namespace") {
		t.Errorf("reason %q does not name a kernel socket of a device made in a user namespace", s.OwnerReason)
	}
	found := false
	for _, g := range snap.Gaps {
		if g.Area == "owners" && g.Reason == ReasonUnheld {
			found = true
			if !strings.Contains(g.Detail, "tunnel devices made in a user namespace") {
				t.Errorf("gap %q does not name kernel sockets of devices made in a user namespace", g.Detail)
			}
		}
	}
	if !found {
		t.Errorf("no owners/%s gap: %+v", ReasonUnheld, snap.Gaps)
	}
}
