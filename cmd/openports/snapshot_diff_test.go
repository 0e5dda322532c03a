package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// TestDiffFiles runs diff on the recorded snapshots testdata/diff/before.json
// (sshd on 22, dnsmasq on 127.0.0.1:53, http.server on 192.0.2.10:8000) and
// after.json (sshd restarted, dnsmasq moved to 0.0.0.0:53 and [::]:53,
// http.server gone, a UDP socket on an ephemeral port).
func TestDiffFiles(t *testing.T) {
	englishEnv(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte(`{"schema": 1, "sockets": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := filepath.Join("testdata", "diff", "before.json")
	after := filepath.Join("testdata", "diff", "after.json")
	// A snapshot without gaps (its machine-wide gaps were removed when
	// it was recorded, see its PROVENANCE).
	complete := filepath.Join("..", "..", "internal", "analysis", "testdata", "docker-before.snapshot.json")
	tests := []cmdCase{
		{name: "differ, table", args: []string{"diff", before, after}, code: 1, golden: "before-after.table", quiet: true},
		{name: "differ, json", args: []string{"diff", "-o", "json", before, after}, code: 1, golden: "before-after.json", quiet: true},
		{name: "differ, explain", args: []string{"diff", "--explain", before, after}, code: 1, golden: "before-after.explain.table", quiet: true},
		// These snapshots have gaps (this machine's PID 1 is unreadable):
		// no difference is then not proven, exit 3.
		{name: "same, table", args: []string{"diff", before, before}, code: 3, golden: "same.table", quiet: true},
		{name: "same, json", args: []string{"diff", "-o", "json", after, after}, code: 3, golden: "same.json", quiet: true},
		{name: "same and complete", args: []string{"diff", complete, complete}, code: 0, quiet: true},
		{name: "missing file", args: []string{"diff", before, filepath.Join(dir, "absent.json")}, code: 2, errHas: "absent.json"},
		{name: "corrupt file", args: []string{"diff", corrupt, before}, code: 2, errHas: "corrupt.json"},
		{name: "one argument", args: []string{"diff", before}, code: 2, errHas: "accepts 2 arg"},
		{name: "bad output", args: []string{"diff", "-o", "yaml", before, after}, code: 2, errHas: "unknown output format"},
	}
	runCases(t, "diff", tests)
}

// TestSnapshot takes live snapshots through the command: to standard
// output and with --write, both of which must read back as snapshots of
// this host; diffing a written one with itself is exit 0, or 3 when it
// has gaps.
func TestSnapshot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("live snapshots are collected on Linux only (GOOS %s)", runtime.GOOS)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, b []byte) *snapshot.Snapshot {
		t.Helper()
		s, err := snapshot.Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("snapshot does not read back: %v\n%s", err, b)
		}
		if s.Host != host || s.OS != "linux" || s.Kernel == "" || s.Taken.IsZero() || s.Schema != snapshot.SchemaVersion {
			t.Errorf("snapshot header host %q os %q kernel %q taken %v schema %d; want host %q, linux, a kernel, a time, schema %d",
				s.Host, s.OS, s.Kernel, s.Taken, s.Schema, host, snapshot.SchemaVersion)
		}
		if s.Privilege.EUID != os.Geteuid() {
			t.Errorf("privilege euid %d, want %d", s.Privilege.EUID, os.Geteuid())
		}
		return s
	}
	// Exit 3 is allowed: the view may be incomplete (gaps), and the
	// snapshot is written all the same.
	okCode := func(code int) bool { return code == 0 || code == 3 }

	t.Run("stdout", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"snapshot"}, &stdout, &stderr)
		if !okCode(code) {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
		s := check(t, stdout.Bytes())
		if code == 3 && len(s.Gaps) == 0 {
			t.Errorf("exit 3 without a gap in the snapshot")
		}
	})
	t.Run("write", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "snap.json")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"snapshot", "--write", path}, &stdout, &stderr)
		if !okCode(code) {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("--write also wrote to stdout:\n%s", stdout.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := check(t, b)
		ents, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 {
			t.Errorf("directory holds %d files after --write, want only the snapshot (no temporary left)", len(ents))
		}
		stdout.Reset()
		stderr.Reset()
		// No difference proves nothing where the snapshot has gaps: 3.
		want := 0
		if len(s.Gaps) > 0 {
			want = 3
		}
		if code := run(context.Background(), []string{"diff", path, path}, &stdout, &stderr); code != want {
			t.Errorf("diff of a snapshot with itself (%d gaps): exit %d, want %d; stderr:\n%s", len(s.Gaps), code, want, stderr.String())
		}
	})
	t.Run("write to a missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent", "snap.json")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"snapshot", "--write", path}, &stdout, &stderr)
		if code != 4 {
			t.Errorf("exit %d, want 4 (write error)", code)
		}
		if !strings.Contains(stderr.String(), "write snapshot") {
			t.Errorf("stderr %q does not say the snapshot could not be written", stderr.String())
		}
	})
	t.Run("bad flag", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"snapshot", "--owners", "telepathy"}, &stdout, &stderr); code != 2 {
			t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr.String())
		}
	})
}
