// Package containers names a process's container from what the process
// itself says — its cgroup path — and the container engine's own state
// files under a root directory, without talking to an engine's API:
// Docker's /var/lib/docker/containers/ID/config.v2.json, Podman's
// containers.json in its storage, and the Kubernetes pod (namespace and
// name) from /var/log/pods/NAMESPACE_NAME_UID. The kubelet's pod
// directories (/var/lib/kubelet/pods/UID) are not read: no file there
// names the pod for certain (docs/design.md, containers).
package containers

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/openports/openports/internal/snapshot"
)

// Engines as snapshot.Container.Engine names them.
const (
	Docker     = "docker"
	Podman     = "podman"
	Containerd = "containerd"
	CRIO       = "cri-o"
)

// Ref is what a cgroup path says about a container.
type Ref struct {
	Engine string
	ID     string
	// PodUID is the Kubernetes pod's UID (with dashes), when the path
	// lies under kubepods.
	PodUID string
}

// The patterns are compiled on first use (lazyRegexp): a package-level
// regexp.MustCompile would compile them at the start of every command.
var (
	// systemd cgroup driver: docker-ID.scope, libpod-ID.scope,
	// cri-containerd-ID.scope, crio-ID.scope (conmon's
	// libpod-conmon-ID.scope is not the container).
	scopeRE = lazyRegexp(`^(docker|libpod|cri-containerd|crio)-([0-9a-f]{64})\.scope$`)
	// cgroupfs driver: /docker/ID, /libpod_parent/libpod-ID,
	// /kubepods/burstable/podUID/ID.
	bareIDRE = lazyRegexp(`^(?:libpod-)?([0-9a-f]{64})$`)
	// kubepods-burstable-pod0f1e..._.slice or pod0f1e-...
	podRE = lazyRegexp(`pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$`)
)

// ParseCgroup reads a cgroup path (the unified hierarchy's line of
// /proc/PID/cgroup, without "0::"). ok is false when it names no
// container.
func ParseCgroup(path string) (ref Ref, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	kube := false
	for i, p := range parts {
		if strings.HasPrefix(p, "kubepods") {
			kube = true
		}
		// Each pattern is tried only on a part it could match (cheap
		// necessary conditions), so that a host whose cgroups name no
		// container never compiles them.
		if kube && len(p) >= len("pod")+36 && strings.Contains(p, "pod") {
			if m := podRE().FindStringSubmatch(p); m != nil {
				ref.PodUID = strings.ReplaceAll(m[1], "_", "-")
			}
		}
		if len(p) < 64 {
			continue
		}
		if strings.HasSuffix(p, ".scope") {
			if m := scopeRE().FindStringSubmatch(p); m != nil {
				ref.ID = m[2]
				ref.Engine = map[string]string{"docker": Docker, "libpod": Podman, "cri-containerd": Containerd, "crio": CRIO}[m[1]]
				continue
			}
		}
		if len(p) != 64 && len(p) != len("libpod-")+64 || i == 0 {
			continue
		}
		if m := bareIDRE().FindStringSubmatch(p); m != nil {
			ref.ID = m[1]
			switch parent := parts[i-1]; {
			case parent == "docker":
				ref.Engine = Docker
			case parent == "libpod_parent" || strings.HasPrefix(p, "libpod-"):
				ref.Engine = Podman
			case kube:
				ref.Engine = "" // the runtime is not in the path
			default:
				ref.ID = ""
			}
		}
	}
	if ref.ID == "" && ref.PodUID == "" {
		return Ref{}, false
	}
	return ref, true
}

// Namer reads engine state files under Root ("/" on a live host).
type Namer struct {
	Root string
	// pods maps pod UIDs to "namespace/name", read once.
	pods map[string]string
	// podman maps container IDs to "name\x00file", from the storage
	// roots read so far (podmanRead).
	podman     map[string]string
	podmanRead map[string]bool
}

// Name fills a snapshot.Container for ref, with the readable name when the
// engine's state files give one. cgroup is the path ref came from, kept as
// evidence.
func (n *Namer) Name(ref Ref, cgroup string) *snapshot.Container {
	c := &snapshot.Container{Engine: ref.Engine, ID: ref.ID, Cgroup: cgroup, PodUID: ref.PodUID}
	switch ref.Engine {
	case Docker:
		if name, file := n.docker(ref.ID); name != "" {
			c.Name, c.StateFile = name, file
		}
	case Podman:
		if name, file := n.podmanName(ref.ID, rootlessHome(cgroup)); name != "" {
			c.Name, c.StateFile = name, file
		}
	}
	if ref.PodUID != "" {
		if full, file := n.pod(ref.PodUID); full != "" {
			c.PodNamespace, c.PodName, _ = strings.Cut(full, "/")
			if c.StateFile == "" {
				c.StateFile = file
			}
		}
	}
	return c
}

// docker reads the container's name from config.v2.json ("Name": "/web").
func (n *Namer) docker(id string) (name, file string) {
	file = filepath.Join("/var/lib/docker/containers", id, "config.v2.json")
	b, err := os.ReadFile(filepath.Join(n.Root, file))
	if err != nil {
		return "", ""
	}
	var cfg struct {
		Name string `json:"Name"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return "", ""
	}
	return strings.TrimPrefix(cfg.Name, "/"), file
}

// podmanStorage is where, under a storage root, Podman (and CRI-O) keep
// their list of containers: containers.json, and volatile-containers.json
// for those run with --rm; for the overlay driver, then vfs.
var podmanStorage = []string{
	"overlay-containers/containers.json",
	"overlay-containers/volatile-containers.json",
	"vfs-containers/containers.json",
	"vfs-containers/volatile-containers.json",
}

// lazyRegexp returns a function compiling expr once, on first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// userSliceRE finds the user of a rootless container in its cgroup path
// (/user.slice/user-1000.slice/user@1000.service/...).
var userSliceRE = lazyRegexp(`/user@(\d+)\.service/`)

// rootlessHome is the home directory of the user whose systemd instance
// holds a cgroup path, "" when it is not a user's (rootful) or unknown.
func rootlessHome(cgroup string) string {
	m := userSliceRE().FindStringSubmatch(cgroup)
	if m == nil {
		return ""
	}
	u, err := user.LookupId(m[1])
	if err != nil {
		return ""
	}
	return u.HomeDir
}

// podmanName names a Podman container from rootful storage, or, for a
// rootless one, from the storage in its user's home.
func (n *Namer) podmanName(id, home string) (name, file string) {
	if n.podman == nil {
		n.podman = map[string]string{}
	}
	if home != "" {
		n.readPodman(filepath.Join(home, ".local/share/containers/storage"))
	}
	n.readPodman("/var/lib/containers/storage")
	v, ok := n.podman[id]
	if !ok {
		return "", ""
	}
	name, file, _ = strings.Cut(v, "\x00")
	return name, file
}

// readPodman reads the container lists of one storage root once.
func (n *Namer) readPodman(storage string) {
	if n.podmanRead == nil {
		n.podmanRead = map[string]bool{}
	}
	if n.podmanRead[storage] {
		return
	}
	n.podmanRead[storage] = true
	for _, f := range podmanStorage {
		f = filepath.Join(storage, f)
		b, err := os.ReadFile(filepath.Join(n.Root, f))
		if err != nil {
			continue
		}
		var list []struct {
			ID    string   `json:"id"`
			Names []string `json:"names"`
		}
		if json.Unmarshal(b, &list) != nil {
			continue
		}
		for _, c := range list {
			if _, seen := n.podman[c.ID]; !seen && len(c.Names) > 0 {
				n.podman[c.ID] = c.Names[0] + "\x00" + f
			}
		}
	}
}

// pod names a pod UID "namespace/name" from /var/log/pods, whose
// directories the kubelet names NAMESPACE_NAME_UID.
func (n *Namer) pod(uid string) (full, file string) {
	if n.pods == nil {
		n.pods = map[string]string{}
		entries, _ := os.ReadDir(filepath.Join(n.Root, "/var/log/pods"))
		for _, e := range entries {
			// Namespaces and pod names cannot hold "_"; the UID is last.
			f := strings.Split(e.Name(), "_")
			if len(f) == 3 {
				n.pods[f[2]] = f[0] + "/" + f[1]
			}
		}
	}
	if full = n.pods[uid]; full != "" {
		return full, filepath.Join("/var/log/pods", strings.ReplaceAll(full, "/", "_")+"_"+uid)
	}
	return "", ""
}

// Label is how the table names a namespace that a container owns:
// "pod default/nginx", "container web (docker 3f2a1b2c3d4e)", or without a
// name "container (containerd 3f2a1b2c3d4e)".
func Label(c *snapshot.Container) string {
	if c.PodName != "" {
		return fmt.Sprintf("pod %s/%s", c.PodNamespace, c.PodName)
	}
	id := c.ID
	if len(id) > 12 {
		id = id[:12]
	}
	engine := c.Engine
	if engine == "" {
		engine = "kubernetes"
	}
	if id == "" && c.PodUID != "" {
		return fmt.Sprintf("pod %s", c.PodUID)
	}
	if c.Name != "" {
		return fmt.Sprintf("container %s (%s %s)", c.Name, engine, id)
	}
	return fmt.Sprintf("container (%s %s)", engine, id)
}
