package procpriv

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
)

// TestPIDNamespaceHidden decides from the namespace inodes (as the kernel
// gives them in Stat_t) and the NSpid levels whether /proc shows a PID
// namespace other than the initial one.
func TestPIDNamespaceHidden(t *testing.T) {
	ns := func(ino uint64) *fstest.MapFile { return &fstest.MapFile{Sys: &syscall.Stat_t{Ino: ino}} }
	const child = 4026532500
	tests := []struct {
		name   string
		self   *fstest.MapFile
		one    *fstest.MapFile
		levels int
		want   bool
	}{
		{"initial namespace", ns(InitPIDNamespaceInode), ns(InitPIDNamespaceInode), 1, false},
		{"unshare -p --mount-proc", ns(child), ns(child), 1, true},
		{"child namespace, host /proc", ns(child), ns(InitPIDNamespaceInode), 2, false},
		{"child namespace, ancestor /proc of unknown PID 1", ns(child), nil, 2, true},
		{"child namespace, intermediate /proc", ns(child), ns(child - 1), 2, true},
		{"no namespace files", nil, nil, 0, false},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		if tt.self != nil {
			fsys["self/ns/pid"] = tt.self
		}
		if tt.one != nil {
			fsys["1/ns/pid"] = tt.one
		}
		if got := pidNamespaceHidden(fsys, tt.levels); got != tt.want {
			t.Errorf("%s: pidNamespaceHidden = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestParseStatusNSpid counts the NSpid levels of a real status file.
func TestParseStatusNSpid(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	st, err := ParseStatus(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "NSpid:") {
		t.Skip("kernel prints no NSpid (before 4.1)")
	}
	if st.NSpidLevels < 1 {
		t.Errorf("NSpid levels %d, want at least 1", st.NSpidLevels)
	}
	two, err := ParseStatus(strings.NewReader("Uid:\t0\t0\t0\t0\nCapEff:\t0\nNSpid:\t4242\t7\n"))
	if err != nil || two.NSpidLevels != 2 {
		t.Errorf("two levels: %+v, %v", two, err)
	}
}

// TestDetectPIDNamespace: the running process's Detect agrees with its
// own namespace inode.
func TestDetectPIDNamespace(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &st); err != nil {
		t.Skipf("no PID namespace file: %v", err)
	}
	info, _ := Detect("/proc")
	if st.Ino == InitPIDNamespaceInode && info.PIDNS {
		t.Error("PIDNS set in the initial PID namespace")
	}
	if info.PIDNS && info.ReasonCode() != CodePIDNamespace {
		t.Errorf("reason code %q, want %q", info.ReasonCode(), CodePIDNamespace)
	}
}
