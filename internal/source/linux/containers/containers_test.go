package containers

import (
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

const (
	dockerID = "8ad700d1f7115aba42de87ce088d3f16808a1ac54e2d7f562c499bdef8d0a0d4"
	podmanID = "579635db3532e954d07927bdc32bd435bd082f03a0696ded072f04d762a18775"
	otherID  = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"
)

// The cgroup paths each engine and cgroup driver gives its containers
// (systemd driver: NAME-ID.scope; cgroupfs driver: a directory per ID).
func TestParseCgroup(t *testing.T) {
	cases := []struct {
		path string
		want Ref
		ok   bool
	}{
		{"/system.slice/docker-" + dockerID + ".scope", Ref{Engine: Docker, ID: dockerID}, true},
		{"/docker/" + dockerID, Ref{Engine: Docker, ID: dockerID}, true},
		{"/machine.slice/libpod-" + otherID + ".scope", Ref{Engine: Podman, ID: otherID}, true},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + otherID + ".scope/container", Ref{Engine: Podman, ID: otherID}, true},
		{"/libpod_parent/libpod-" + otherID, Ref{Engine: Podman, ID: otherID}, true},
		{"/machine.slice/libpod-conmon-" + otherID + ".scope", Ref{}, false},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" + otherID + ".scope",
			Ref{Engine: Containerd, ID: otherID, PodUID: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, true},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/crio-" + otherID + ".scope",
			Ref{Engine: CRIO, ID: otherID, PodUID: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, true},
		{"/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/" + otherID,
			Ref{ID: otherID, PodUID: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, true},
		{"/user.slice/user-0.slice/session-1.scope", Ref{}, false},
		{"/system.slice/ssh.service", Ref{}, false},
		{"/" + otherID, Ref{}, false},
		{"", Ref{}, false},
	}
	for _, tc := range cases {
		got, ok := ParseCgroup(tc.path)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseCgroup(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCgroupPath(t *testing.T) {
	hybrid := "12:pids:/system.slice/docker-" + dockerID + ".scope\n1:name=systemd:/system.slice/docker-" + dockerID + ".scope\n0::/\n"
	if got := snapshot.CgroupPath([]byte(hybrid)); got != "/system.slice/docker-"+dockerID+".scope" {
		t.Errorf("hybrid: %q", got)
	}
	if got := snapshot.CgroupPath([]byte("0::/system.slice/ssh.service\n")); got != "/system.slice/ssh.service" {
		t.Errorf("unified: %q", got)
	}
}

// writeRoot lays out a host's engine state under a temporary root.
func writeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	cfg, err := os.ReadFile("testdata/docker/config.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "var/lib/docker/containers", dockerID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.v2.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	pm, err := os.ReadFile("testdata/podman/containers.json")
	if err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(root, "var/lib/containers/storage/overlay-containers")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(storage, "containers.json"), pm, 0o600); err != nil {
		t.Fatal(err)
	}
	// The kubelet names each pod's log directory NAMESPACE_NAME_UID.
	if err := os.MkdirAll(filepath.Join(root, "var/log/pods", "default_nginx-7c5ddbdf54-8x2lq_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestNamer(t *testing.T) {
	n := &Namer{Root: writeRoot(t)}
	cases := []struct {
		ref   Ref
		label string
		file  string
	}{
		{Ref{Engine: Docker, ID: dockerID}, "container custom-nginx-t2 (docker 8ad700d1f711)", "/var/lib/docker/containers/" + dockerID + "/config.v2.json"},
		{Ref{Engine: Docker, ID: otherID}, "container (docker 3f2a9c1b7d4e)", ""},
		{Ref{Engine: Containerd, ID: otherID, PodUID: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, "pod default/nginx-7c5ddbdf54-8x2lq", "/var/log/pods/default_nginx-7c5ddbdf54-8x2lq_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"},
		{Ref{Engine: Podman, ID: otherID}, "container (podman 3f2a9c1b7d4e)", ""},
		{Ref{Engine: Podman, ID: podmanID}, "container contenedor1 (podman 579635db3532)", "/var/lib/containers/storage/overlay-containers/containers.json"},
	}
	for _, tc := range cases {
		c := n.Name(tc.ref, "/cgroup")
		if got := Label(c); got != tc.label {
			t.Errorf("Label(%+v) = %q, want %q", tc.ref, got, tc.label)
		}
		if c.StateFile != tc.file {
			t.Errorf("%+v: state file %q, want %q", tc.ref, c.StateFile, tc.file)
		}
	}
	if got := Label(&snapshot.Container{PodUID: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5c"}); got != "pod 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5c" {
		t.Errorf("unnamed pod: %q", got)
	}
}

// A rootless Podman container's cgroup lies under its user's systemd
// instance; its list is in that user's home.
func TestNamerRootlessPodman(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skipf("no home directory for the current user: %v", err)
	}
	root := t.TempDir()
	pm, err := os.ReadFile("testdata/podman/containers.json")
	if err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(root, u.HomeDir, ".local/share/containers/storage/overlay-containers")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(storage, "volatile-containers.json"), pm, 0o600); err != nil {
		t.Fatal(err)
	}
	cg := "/user.slice/user-" + u.Uid + ".slice/user@" + u.Uid + ".service/user.slice/libpod-" + podmanID + ".scope/container"
	ref, ok := ParseCgroup(cg)
	if !ok {
		t.Fatalf("ParseCgroup(%q) names no container", cg)
	}
	c := (&Namer{Root: root}).Name(ref, cg)
	if got := Label(c); got != "container contenedor1 (podman 579635db3532)" {
		t.Errorf("label %q (state file %q)", got, c.StateFile)
	}
}
