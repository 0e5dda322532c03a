package linux

import (
	"os"
	"path/filepath"
	"testing"
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
