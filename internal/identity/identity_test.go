package identity

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Version: "v0.0.0-20261202033800-accc27100000"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "accc271aaaa"},
			{Key: "vcs.time", Value: "2026-12-02T03:38:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  Build
		wantString            string
	}{
		{"ldflags win", "1.2.3", "abc", "2026-12-01T00:00:00Z", info,
			Build{Name: "openports", Version: "1.2.3", Commit: "abc", Date: "2026-12-01T00:00:00Z", GoVersion: "go1.26.8"},
			"openports 1.2.3 (commit abc, built 2026-12-01T00:00:00Z, go1.26.8)"},
		{"build info fallback", "", "", "", info,
			Build{Name: "openports", Version: "v0.0.0-20261202033800-accc27100000", Commit: "accc271aaaa", Date: "2026-12-02T03:38:00Z", Modified: true, GoVersion: "go1.26.8"},
			"openports v0.0.0-20261202033800-accc27100000 (commit accc271aaaa (modified), built 2026-12-02T03:38:00Z, go1.26.8)"},
		{"nothing known", "", "", "", nil,
			Build{Name: "openports", Version: "(devel)"}, "openports (devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.version, tt.commit, tt.date, tt.info)
			if got != tt.want {
				t.Errorf("resolve = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String = %q, want %q", s, tt.wantString)
			}
		})
	}
}

func TestMachineID(t *testing.T) {
	root := t.TempDir()
	if got := MachineID(root); got != "" {
		t.Errorf("no machine id: got %q, want empty", got)
	}
	// The D-Bus location is used when systemd's is missing.
	dbus := filepath.Join(root, "var/lib/dbus/machine-id")
	if err := os.MkdirAll(filepath.Dir(dbus), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbus, []byte("4c4c4544004d4a10804bb4c04f4d4a32\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := MachineID(root)
	// HMAC-SHA256(key="4c4c…4a32", "openports"), first 16 bytes, computed
	// independently with: printf openports | openssl dgst -sha256 -hmac 4c4c4544004d4a10804bb4c04f4d4a32
	const want = "d4e42882eac740503fe9f5917f633623"
	if got != want {
		t.Errorf("MachineID = %q, want %q", got, want)
	}
	// systemd's file wins; "uninitialized" (first boot) does not count.
	etc := filepath.Join(root, "etc/machine-id")
	if err := os.MkdirAll(filepath.Dir(etc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(etc, []byte("uninitialized\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := MachineID(root); got != want {
		t.Errorf("with an uninitialized /etc/machine-id: %q, want the D-Bus one %q", got, want)
	}
	if err := os.WriteFile(etc, []byte("0123456789abcdef0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := MachineID(root); got == want || len(got) != 32 {
		t.Errorf("/etc/machine-id not preferred: %q", got)
	}
}
