package nsthread

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestThreadEntersNamespace creates a namespace and checks that the
// thread, and a process it starts, are in it while the caller is not.
func TestThreadEntersNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	name := "opbench-nsthread-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete: %v: %s", err, out)
		}
	})
	path := filepath.Join("/run/netns", name)
	var want unix.Stat_t
	if err := unix.Stat(path, &want); err != nil {
		t.Fatal(err)
	}
	th, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Stop()

	var onThread unix.Stat_t
	if err := th.Do(func() error {
		return unix.Stat("/proc/thread-self/ns/net", &onThread)
	}); err != nil {
		t.Fatal(err)
	}
	if onThread.Ino != want.Ino {
		t.Errorf("thread in netns %d, want %d", onThread.Ino, want.Ino)
	}
	var started string
	if err := th.Do(func() error {
		out, err := exec.Command("readlink", "/proc/self/ns/net").Output()
		started = strings.TrimSpace(string(out))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if wantLink := "net:[" + itoa(want.Ino) + "]"; started != wantLink {
		t.Errorf("started process in %s, want %s", started, wantLink)
	}
	var here unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &here); err != nil {
		t.Fatal(err)
	}
	if here.Ino == want.Ino {
		t.Errorf("the test process itself moved into the namespace")
	}
	if _, err := New(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("New on a missing path succeeded")
	}
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}
