package procpriv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtureFS builds a proc-like tree from testdata files; an empty name
// leaves the file out.
func fixtureFS(t *testing.T, status, mountinfo, uidMap string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, file := range map[string]string{"self/status": status, "self/mountinfo": mountinfo, "self/uid_map": uidMap} {
		if file == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	return fsys
}

const allCaps = "CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_NET_ADMIN CAP_SYS_PTRACE CAP_SYS_ADMIN"

func TestDetectFS(t *testing.T) {
	tests := []struct {
		name                      string
		status, mountinfo, uidMap string
		mountPoint                string
		euid                      int
		caps                      string
		procMount                 bool
		hidepid, gid, subset      string
		userNS                    bool
		canReadAll, hides         bool
		reasonHas                 string
		codes                     string
	}{
		{"root on the host", "status-root", "mountinfo-host", "uid_map-initial", "/proc",
			0, allCaps, true, "", "", "", false, true, false, "security module", "refused"},
		{"nobody on the host", "status-nobody", "mountinfo-host", "uid_map-initial", "/proc",
			65534, "", true, "", "", "", false, false, false, "needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (run as root)", "no-capability"},
		{"nobody, hidepid=invisible", "status-nobody", "mountinfo-hidepid-invisible", "uid_map-initial", "/tmp/pp-invisible",
			65534, "", true, "invisible", "", "pid", false, false, true, "hidepid=invisible: other users' processes are hidden", "hidepid"},
		{"nobody, hidepid=noaccess", "status-nobody", "mountinfo-hidepid-noaccess", "uid_map-initial", "/tmp/pp-noaccess",
			65534, "", true, "noaccess", "", "pid", false, false, false, "hidepid=noaccess: other users' /proc/PID directories cannot be read", "hidepid"},
		{"nobody, hidepid=ptraceable", "status-nobody", "mountinfo-hidepid-ptraceable", "uid_map-initial", "/tmp/pp-ptraceable",
			65534, "", true, "ptraceable", "", "pid", false, false, true, "hidepid=ptraceable", "hidepid"},
		{"root, hidepid=invisible", "status-root", "mountinfo-hidepid-invisible", "uid_map-initial", "/tmp/pp-invisible",
			0, allCaps, true, "invisible", "", "pid", false, true, false, "security module", "refused"},
		{"host /proc remounted hidepid=2", "status-nobody", "mountinfo-remount-hidepid2", "uid_map-initial", "/proc",
			65534, "", true, "invisible", "", "", false, false, true, "hidepid=invisible", "hidepid"},
		{"old kernel, numeric hidepid", "status-nobody", "mountinfo-old-kernel", "uid_map-initial", "/proc",
			65534, "", true, "invisible", "3009", "", false, false, true, "hidepid=invisible", "hidepid"},
		{"stacked mounts: the last one counts", "status-nobody", "mountinfo-stacked", "uid_map-initial", "/proc",
			65534, "", true, "noaccess", "", "", false, false, false, "hidepid=noaccess", "hidepid"},
		{"escaped mount point", "status-nobody", "mountinfo-stacked", "uid_map-initial", "/srv/my proc/",
			65534, "", true, "ptraceable", "", "pid", false, false, true, "hidepid=ptraceable", "hidepid"},
		{"proc mount shadowed by tmpfs", "status-nobody", "mountinfo-stacked", "uid_map-initial", "/srv/shadowed",
			65534, "", false, "", "", "", false, false, false, "needs CAP_SYS_PTRACE", "no-capability"},
		{"mount not found", "status-root", "mountinfo-host", "uid_map-initial", "/elsewhere",
			0, allCaps, false, "", "", "", false, true, false, "security module", "refused"},
		{"user namespace", "status-userns", "mountinfo-host", "uid_map-userns", "/proc",
			0, allCaps, true, "", "", "", true, false, false, "user namespace", "user-namespace"},
		{"no uid_map (no user namespaces)", "status-root", "mountinfo-host", "", "/proc",
			0, allCaps, true, "", "", "", false, true, false, "security module", "refused"},
		{"ptrace without dac", "status-partial-caps", "mountinfo-host", "uid_map-initial", "/proc",
			1000, "CAP_SYS_PTRACE", true, "", "", "", false, false, false, "needs CAP_DAC_READ_SEARCH (run as root)", "no-capability"},
	}
	var golden bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := DetectFS(fixtureFS(t, tt.status, tt.mountinfo, tt.uidMap), tt.mountPoint)
			if err != nil {
				t.Fatalf("DetectFS: %v", err)
			}
			if info.EUID != tt.euid {
				t.Errorf("EUID = %d, want %d", info.EUID, tt.euid)
			}
			if got := strings.Join(info.Caps(), " "); got != tt.caps {
				t.Errorf("Caps = %q, want %q", got, tt.caps)
			}
			if info.ProcMount != tt.procMount || info.HidePID != tt.hidepid || info.HidePIDGID != tt.gid || info.Subset != tt.subset {
				t.Errorf("mount = %v %q %q %q, want %v %q %q %q", info.ProcMount, info.HidePID, info.HidePIDGID, info.Subset, tt.procMount, tt.hidepid, tt.gid, tt.subset)
			}
			if info.UserNS != tt.userNS {
				t.Errorf("UserNS = %v, want %v", info.UserNS, tt.userNS)
			}
			if info.CanReadAll() != tt.canReadAll || info.ProcessesHidden() != tt.hides {
				t.Errorf("CanReadAll, HidesProcesses = %v, %v; want %v, %v", info.CanReadAll(), info.ProcessesHidden(), tt.canReadAll, tt.hides)
			}
			reason := info.Reason(new(uint32), "root")
			if !strings.Contains(reason, tt.reasonHas) || !strings.Contains(reason, "uid 0 (root)") {
				t.Errorf("reason %q lacks %q or the uid", reason, tt.reasonHas)
			}
			if code := info.ReasonCode(); !strings.Contains(tt.codes, code) || code == "" {
				t.Errorf("ReasonCode = %q, want one of %q", code, tt.codes)
			}
			if !strings.HasSuffix(reason, info.Advice()) {
				t.Errorf("reason %q does not end with Advice %q", reason, info.Advice())
			}
			p := info.Snapshot()
			if p.EUID != tt.euid || p.HidePID != tt.hidepid || p.UserNamespace != tt.userNS || !slices.Equal(p.Capabilities, info.Caps()) {
				t.Errorf("Privilege() = %+v", p)
			}
			fmt.Fprintf(&golden, "%s: %s\n", tt.name, reason)
		})
	}
	path := filepath.Join("testdata", "reasons.golden")
	if *update {
		if err := os.WriteFile(path, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(golden.Bytes(), want) {
		t.Errorf("reasons differ from %s (go test -update rewrites it):\n%s", path, golden.Bytes())
	}
}

func TestReasonWithoutName(t *testing.T) {
	info := Info{EUID: 1000}
	uid := uint32(106)
	tests := []struct {
		uid  *uint32
		want string
	}{
		{&uid, "socket owned by uid 106; reading other users' /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (run as root)"},
		{nil, "socket of unknown uid; reading other users' /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (run as root)"},
	}
	for _, tt := range tests {
		if got := info.Reason(tt.uid, ""); got != tt.want {
			t.Errorf("got %q\nwant %q", got, tt.want)
		}
	}
}

func TestDetectFSErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no status", fstest.MapFS{"self/mountinfo": {Data: []byte("")}}, "read self/status"},
		{"bad status", fstest.MapFS{"self/status": {Data: []byte("Uid:\t1\t2\n")}, "self/mountinfo": {Data: nil}}, "parse self/status"},
		{"no cap line", fstest.MapFS{"self/status": {Data: []byte("Uid:\t1\t2\t3\t4\n")}, "self/mountinfo": {Data: nil}}, "CapEff"},
		{"bad mountinfo", fstest.MapFS{"self/status": {Data: []byte("Uid:\t1\t2\t3\t4\nCapEff:\t0\n")}, "self/mountinfo": {Data: []byte("1 2 3\n")}}, "parse self/mountinfo: line 1"},
		{"no mountinfo", fstest.MapFS{"self/status": {Data: []byte("Uid:\t1\t2\t3\t4\nCapEff:\t0\n")}}, "read self/mountinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DetectFS(tt.fsys, "/proc")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if info, _ := DetectFS(fstest.MapFS{}, "/proc"); info.EUID != -1 {
		t.Errorf("EUID = %d without a status file, want -1", info.EUID)
	}
	// What could be read is kept.
	info, err := DetectFS(fstest.MapFS{"self/status": {Data: []byte("Uid:\t1\t2\t3\t4\nCapEff:\t0000000000080000\n")}}, "/proc")
	if err == nil || info.EUID != 2 || !info.Has(CapSysPtrace) {
		t.Errorf("partial DetectFS = %+v, %v; want EUID 2 with CAP_SYS_PTRACE and an error", info, err)
	}
}

func TestIsInitialUIDMap(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"         0          0 4294967295\n", true},
		{"0 0 4294967295", true},
		{"         0          0          1\n", false},
		{"0 100000 65536\n", false},
		{"0 0 4294967295\n1 1 1\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsInitialUIDMap([]byte(tt.in)); got != tt.want {
			t.Errorf("IsInitialUIDMap(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := map[string]string{
		`/srv/my\040proc`:  "/srv/my proc",
		`a\011b\012c\134d`: "a\tb\nc\\d",
		`\0`:               `\0`,
		`\777`:             `\777`,
		`\08`:              `\08`,
		`plain`:            "plain",
		`end\`:             `end\`,
	}
	for in, want := range tests {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCapString(t *testing.T) {
	if got := CapSysPtrace.String(); got != "CAP_SYS_PTRACE" {
		t.Errorf("got %q", got)
	}
	if got := Cap(40).String(); got != "CAP_40" {
		t.Errorf("got %q", got)
	}
	if (Info{CapEff: ^uint64(0)}).Has(Cap(64)) {
		t.Error("Has(64) = true")
	}
}

// TestDetectLive checks Detect against the running process.
func TestDetectLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no procfs: %v", err)
	}
	info, err := Detect("/proc")
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	if info.EUID != os.Geteuid() {
		t.Errorf("EUID = %d, want %d", info.EUID, os.Geteuid())
	}
	if !info.ProcMount {
		t.Error("the mount of /proc was not found")
	}
	t.Logf("live: %+v caps %v", info, info.Caps())
}

func FuzzParseMountinfo(f *testing.F) {
	for _, name := range []string{"mountinfo-host", "mountinfo-stacked", "mountinfo-old-kernel"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, err := ParseMountinfo(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, m := range mounts {
			_ = m.SuperOption("hidepid")
			FindMount(mounts, m.MountPoint)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "status-root"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseStatus(bytes.NewReader(b))
		_ = IsInitialUIDMap(b)
		if u := unescape(string(b)); len(u) > len(b) {
			t.Errorf("unescape grew %d bytes to %d", len(b), len(u))
		}
	})
}
