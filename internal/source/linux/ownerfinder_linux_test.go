package linux

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/fdscan"
)

// TestBlindSpots: the per-boot memory of processes neither owner method
// could read is believed only for this boot, and only from a file no one
// but root may write.
func TestBlindSpots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the memory of blind spots is root's alone")
	}
	dir := t.TempDir()
	bootID := filepath.Join(dir, "boot_id")
	if err := os.WriteFile(bootID, []byte("3b705d3b-c13c-4e72-8c6c-d339decd03ce\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	b := blindSpots{path: filepath.Join(dir, "run", "owners-blind"), bootID: bootID}
	pid1 := []process{{pid: 1, start: 25}}
	if b.covers(pid1) {
		t.Fatal("covers before anything was remembered")
	}
	b.remember(pid1)
	if st, err := os.Lstat(b.path); err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
		t.Errorf("remembered in %v (%v), want a regular file 0600", st, err)
	}
	if ents, err := os.ReadDir(filepath.Dir(b.path)); err != nil || len(ents) != 1 {
		t.Errorf("directory holds %v (%v), want the file alone", ents, err)
	}
	tests := []struct {
		name string
		ps   []process
		want bool
	}{
		{"the same process", pid1, true},
		{"nothing refused", nil, true},
		{"PID reused", []process{{pid: 1, start: 26}}, false},
		{"another process too", []process{{pid: 1, start: 25}, {pid: 812, start: 90}}, false},
		{"start time unknown", []process{{pid: 1}}, false},
	}
	for _, tt := range tests {
		if got := b.covers(tt.ps); got != tt.want {
			t.Errorf("%s: covers = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Another boot.
	if err := os.WriteFile(bootID, []byte("00000000-0000-0000-0000-000000000000\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if b.covers(pid1) {
		t.Error("covers after a reboot")
	}
	b.remember(pid1)
	if !b.covers(pid1) {
		t.Error("not remembered again in the new boot")
	}
	// A file others may write is not believed.
	if err := os.Chmod(b.path, 0o666); err != nil {
		t.Fatal(err)
	}
	if b.covers(pid1) {
		t.Error("believed a world-writable file")
	}
}

// TestHiddenAndUnreported: only processes still present count as refused,
// and the permission gap (only it) says the iterator did not report them.
func TestHiddenAndUnreported(t *testing.T) {
	uid := uint32(0)
	res := &fdscan.Result{
		Unreadable: []fdscan.Unreadable{
			{PID: 1, UID: &uid, Name: "process_api", StartTime: 25, Reason: fdscan.ReasonPermission},
			{PID: 812, Reason: fdscan.ReasonVanished},
			{PID: 900, StartTime: 77, Reason: fdscan.ReasonError},
		},
		Gaps: []snapshot.Gap{
			{Area: "owners", Reason: "permission", Detail: "could not read the descriptor tables of pid 1 process_api (uid 0)", Args: map[string]string{"count": "1"}},
			{Area: "processes", Reason: "vanished", Detail: "1 processes exited"},
		},
	}
	if got, want := hiddenProcesses(res), []process{{1, 25}, {900, 77}}; !slices.Equal(got, want) {
		t.Errorf("hiddenProcesses = %v, want %v", got, want)
	}
	markUnreported(res)
	if g := res.Gaps[0]; g.Args["ebpf"] != "unreported" || !strings.HasSuffix(g.Detail, "the eBPF iterator does not report them either") {
		t.Errorf("permission gap not marked: %+v", g)
	}
	if g := res.Gaps[1]; g.Args != nil || strings.Contains(g.Detail, "eBPF") {
		t.Errorf("another gap was marked: %+v", g)
	}
}
