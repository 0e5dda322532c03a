package linux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/testenv"
)

// TestOwnNamespaceReadsThreadRelative: every file the collector reads of
// its own namespace through the ProcReader is thread-relative: /proc/net
// and /proc/self/net show the thread-group leader's namespace, which a
// goroutine locked to the main thread may have entered elsewhere.
func TestOwnNamespaceReadsThreadRelative(t *testing.T) {
	f := newFixture()
	f.proc.files["thread-self/net/sctp"] = ""
	f.opt.Raw = true
	f.run(t)
	f.opt.Raw = false
	f.run(t)
	for name := range f.proc.fileReads {
		if strings.HasPrefix(name, "net/") || strings.HasPrefix(name, "self/net") || strings.HasPrefix(name, "self/ns") {
			t.Errorf("read %q: the thread-group leader's namespace, not this thread's", name)
		}
	}
	for _, want := range []string{"thread-self/net/sctp", "thread-self/net/packet"} {
		if f.proc.fileReads[want] == 0 {
			t.Errorf("reads %v, want %s", f.proc.fileReads, want)
		}
	}
}

// TestLiveNetNSSelfThreadRelative: the collector's own namespace is the
// one of proc/thread-self, not proc/self (a proc root holding only the
// former must do).
func TestLiveNetNSSelfThreadRelative(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "thread-self/ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/thread-self/ns/net", filepath.Join(dir, "thread-self/ns/net")); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread() // so that /proc/thread-self below is the same thread's
	defer runtime.UnlockOSThread()
	l := &liveNetNS{proc: dir, run: t.TempDir()}
	got, err := l.Self()
	want, werr := nsInode("/proc/thread-self/ns/net")
	if err != nil || werr != nil || got != want {
		t.Errorf("Self() = %d, %v; want %d (%v)", got, err, want, werr)
	}
	if _, ok := l.nsfsDev(); !ok {
		t.Error("nsfsDev: not found through thread-self")
	}
}

// mainThreadEnv makes the test binary a role that calls readInNamespace
// from the main thread, into the namespace at the path it names, and
// prints the interface names of proc/self/net/dev (the leader's namespace:
// must stay its own) and of proc/thread-self/net/dev (the entered one).
const mainThreadEnv = "OPENPORTS_TEST_MAIN_THREAD_NETNS"

func init() {
	if os.Getenv(mainThreadEnv) != "" {
		runtime.LockOSThread() // keeps the main goroutine on the main thread until mainThreadRole
	}
}

type mainThreadResult struct {
	Self, Entered [][]string
}

func mainThreadRole(path string) error {
	if unix.Gettid() != unix.Getpid() {
		return fmt.Errorf("not on the main thread")
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	// Still on the main thread, now free to run the goroutines
	// readInNamespace starts: the runtime schedules a new one on the
	// thread that started it when this one waits.
	runtime.UnlockOSThread()
	c := New(source.Options{})
	var res mainThreadResult
	for range 20 {
		vals, errs := c.readInNamespace(&namespace{fd: fd}, []string{"self/net/dev", "thread-self/net/dev"})
		if errs[0] != nil || errs[1] != nil {
			return fmt.Errorf("read: %v, %v", errs[0], errs[1])
		}
		res.Self = append(res.Self, devNames(vals[0]))
		res.Entered = append(res.Entered, devNames(vals[1]))
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// devNames are the interface names of a /proc/net/dev.
func devNames(b []byte) []string {
	var out []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if name, _, ok := bytes.Cut(line, []byte(":")); ok {
			out = append(out, strings.TrimSpace(string(name)))
		}
	}
	slices.Sort(out)
	return out
}

// TestReadInNamespaceNeverEntersMainThread: readInNamespace called from
// the main thread does not enter the namespace on it, since every
// /proc/self of the process (firewall, own namespace, /proc/net) would
// meanwhile show the entered namespace.
func TestReadInNamespaceNeverEntersMainThread(t *testing.T) {
	needRoot(t, "entering a network namespace")
	env := testenv.New(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainThreadEnv+"="+env.NS.NetNSPath())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("role: %v: %s", err, exitStderr(err))
	}
	var res mainThreadResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("role output %q: %v", out, err)
	}
	own, err := os.ReadFile("/proc/thread-self/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	ownNames := devNames(own)
	for i := range res.Self {
		if slices.Equal(res.Entered[i], ownNames) {
			t.Fatalf("thread-self/net/dev %v is this namespace's: the role did not enter its namespace", res.Entered[i])
		}
		if slices.Equal(res.Self[i], res.Entered[i]) {
			t.Errorf("call %d: self/net/dev %v is the entered namespace's: the main thread entered it", i, res.Self[i])
		}
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestUnlistedGaps: NSIDs that could not be read, with none found, are no
// "namespaces found neither through a process nor ip netns" (nothing was
// found) but a gap of their own, netns-nsid-unreadable.
func TestUnlistedGaps(t *testing.T) {
	for _, tt := range []struct {
		found, failed []string
		want          []string
	}{
		{nil, nil, nil},
		{nil, []string{"own namespace: EPERM"}, []string{ReasonNSIDUnreadable}},
		{[]string{"NSID 3 in 1234"}, nil, []string{ReasonNetNSUnlisted}},
		{[]string{"NSID 3 in 1234"}, []string{"5678: EPERM"}, []string{ReasonNetNSUnlisted, ReasonNSIDUnreadable}},
	} {
		var got []string
		for _, g := range unlistedGaps(tt.found, tt.failed) {
			got = append(got, g.Reason)
			if g.Reason == ReasonNSIDUnreadable && (strings.Contains(g.Detail, "found neither") || g.Args["error"] != strings.Join(tt.failed, "; ")) {
				t.Errorf("%v/%v: %+v", tt.found, tt.failed, g)
			}
			if g.Reason == ReasonNetNSUnlisted && strings.Contains(g.Args["nsids"], "unreadable") {
				t.Errorf("%v/%v: unlisted gap names the unreadable: %+v", tt.found, tt.failed, g)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("unlistedGaps(%v, %v) reasons %v, want %v", tt.found, tt.failed, got, tt.want)
		}
	}
}
