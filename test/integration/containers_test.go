//go:build linux

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/testenv"
)

// The Docker container the test plays: its ID and name come from the real
// config.v2.json fixture.
const (
	dockerID    = "8ad700d1f7115aba42de87ce088d3f16808a1ac54e2d7f562c499bdef8d0a0d4"
	dockerLabel = "container custom-nginx-t2 (docker 8ad700d1f711)"
)

// dockerHost makes a host shaped as Docker leaves it with the userland
// proxy off: the test namespace holds Docker's iptables nat rules for
// "-p 8080:80" (real rules, loaded with iptables-nft-restore) and a bridge
// named bridge1; the peer namespace is the container, its listener in a
// cgroup named as Docker's systemd driver names it, with Docker's state
// file at /var/lib/docker in the test namespace's private mounts. A client
// in a third namespace connects through the published port, proving the
// rules real.
func dockerHost(t *testing.T) (*testenv.Env, *testenv.Listener) {
	t.Helper()
	env, web, client := dockerHostWithoutRules(t)
	loadDockerRules(t, env, client)
	return env, web
}

// dockerHostWithoutRules is dockerHost before Docker writes its nat rules:
// the container listens, nothing is published yet. It returns the client
// namespace for loadDockerRules.
func dockerHostWithoutRules(t *testing.T) (*testenv.Env, *testenv.Listener, *testenv.NS) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroups, iptables and a tmpfs over /var/lib in a private mount namespace")
	}
	if _, err := exec.LookPath("iptables-nft-restore"); err != nil {
		t.Skip("iptables-nft-restore not installed (Debian package iptables: scripts/test-deps.sh)")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs real root for cgroups")
	}
	client := env.BridgeHost(t)

	web := dockerContainer(t, env, ap("192.0.2.2:80"))
	return env, web, client
}

// loadDockerRules loads Docker's nat rules for "-p 8080:80" into env's
// test namespace and proves them real by a connection from client
// through the published port.
func loadDockerRules(t *testing.T, env *testenv.Env, client *testenv.NS) {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join(root, "internal/source/linux/natrules/testdata/docker-iptables.rules"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := env.NS.Command(ctx, "iptables-nft-restore")
	load.Stdin = strings.NewReader(string(rules))
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	if err := client.Command(ctx, "bash", "-c", "exec 3<>/dev/tcp/198.51.100.1/8080").Run(); err != nil {
		t.Fatalf("the published port does not reach the container: %v", err)
	}
}

// dockerContainer makes the peer namespace a Docker container: a listener
// on addr in a cgroup named as Docker's systemd driver names it, and
// Docker's state file at /var/lib/docker in the test namespace's private
// mounts (a tmpfs over /var/lib there).
func dockerContainer(t *testing.T, env *testenv.Env, addr netip.AddrPort) *testenv.Listener {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	env.NS.Run(t, "mount", "-t", "tmpfs", "openports-test", "/var/lib")
	cfg := filepath.Join(root, "internal/source/linux/containers/testdata/docker/config.v2.json")
	dir := "/var/lib/docker/containers/" + dockerID
	env.NS.Run(t, "mkdir", "-p", dir)
	env.NS.Run(t, "cp", cfg, dir+"/config.v2.json")
	l := env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: addr})
	intoCgroup(t, l.PID, "system.slice/docker-"+dockerID+".scope")
	return l
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// intoCgroup moves pid into a private cgroup v2 subtree ending in leaf,
// and moves it back and removes the subtree when t ends.
func intoCgroup(t *testing.T, pid int, leaf string) {
	t.Helper()
	base := "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
		base = "/sys/fs/cgroup"
	}
	top := filepath.Join(base, fmt.Sprintf("openports-it-%d", os.Getpid()))
	dir := filepath.Join(top, leaf)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup v2 subtree under %s: %v", base, err)
	}
	t.Cleanup(func() {
		// Back to the root, then remove the subtree, deepest first.
		os.WriteFile(filepath.Join(base, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
		for d := dir; len(d) >= len(top); d = filepath.Dir(d) {
			if err := os.Remove(d); err != nil {
				t.Errorf("remove cgroup %s: %v", d, err)
			}
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Skipf("cannot move pid %d into %s: %v", pid, dir, err)
	}
}

// publishedRow finds the host row of tcp/port in rep.
func publishedRow(rep *report.Report, port uint16) *report.Row {
	for i := range rep.Rows {
		if r := &rep.Rows[i]; r.Proto == snapshot.TCP && r.Port == port && r.Published != nil {
			return r
		}
	}
	return nil
}

func TestDockerPublishedPort(t *testing.T) {
	bin := openports(t)
	env, web := dockerHost(t)
	// A second listener of the container that no rule publishes.
	env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:9090")})
	peerNS, err := env.Peer.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("published port with no host socket", func(t *testing.T) {
		rep := decode(t, run(t, env.NS, bin, "-o", "json"))
		row := publishedRow(rep, 8080)
		if row == nil {
			t.Fatalf("no row for the published port 8080: %+v", rep.Rows)
		}
		if row.Exposure != report.ExposureAll || row.Address != "*" || len(row.Sockets) != 0 {
			t.Errorf("8080: exposure %s address %s, %d sockets; want all, *, none", row.Exposure, row.Address, len(row.Sockets))
		}
		p := row.Published
		if p.Target != "192.0.2.2:80" || p.TargetNetNS != peerNS || p.Container != dockerLabel || p.Backend != "nftables" || p.Chain != "DOCKER" {
			t.Errorf("published %+v; want target 192.0.2.2:80 in netns %d, %q, nftables DOCKER", p, peerNS, dockerLabel)
		}
		if !hasNote(*row, "published.dnat") {
			t.Errorf("8080 has no published.dnat note: %+v", row.Notes)
		}
		table := run(t, env.NS, bin, "list").stdout
		for _, want := range []string{"→ " + dockerLabel, "published by DNAT to 192.0.2.2:80 (" + dockerLabel + "): not filtered by INPUT rules (ufw, firewalld)"} {
			if !strings.Contains(table, want) {
				t.Errorf("table lacks %q:\n%s", want, table)
			}
		}
		t.Logf("openports list:\n%s", table)
	})

	if path := os.Getenv(recordEnv); path != "" {
		recordSnapshot(t, env, bin, path)
	}

	t.Run("--netns all lists the container's listeners under its name", func(t *testing.T) {
		rep := decode(t, run(t, env.NS, bin, "--netns", "all", "-o", "json"))
		var name string
		for _, ns := range rep.Namespaces {
			if ns.ID == peerNS {
				name = ns.Name
				if ns.Container == nil || ns.Container.ID != dockerID || ns.Container.Name != "custom-nginx-t2" {
					t.Errorf("namespace %d container %+v", peerNS, ns.Container)
				}
			}
		}
		if name != dockerLabel {
			t.Errorf("namespace %d is named %q, want %q", peerNS, name, dockerLabel)
		}
		seen := map[uint16]report.Row{}
		for _, r := range rep.Rows {
			if r.NetNS == peerNS {
				seen[r.Port] = r
			}
		}
		if r, ok := seen[80]; !ok || !hasNote(r, "published.target") || r.Processes[0].PID != web.PID {
			t.Errorf("container port 80: %+v (want the listener, noted as published)", r)
		}
		if r, ok := seen[9090]; !ok || !hasNote(r, "netns.container-only") {
			t.Errorf("container port 9090: %+v (want a container-network-only note)", r)
		}
		table := run(t, env.NS, bin, "--netns", "all", "list").stdout
		if !strings.Contains(table, dockerLabel+"  tcp") || !strings.Contains(table, "container network only ("+dockerLabel+")") {
			t.Errorf("table does not list the container's listeners under its name:\n%s", table)
		}
	})

	t.Run("NAT rules in both backends are said", func(t *testing.T) {
		if _, err := exec.LookPath("iptables-legacy-restore"); err != nil {
			t.Skip("iptables-legacy-restore not installed (Debian package iptables)")
		}
		root, err := testenv.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		rules, err := os.ReadFile(filepath.Join(root, "internal/source/linux/natrules/testdata/kube-proxy.rules"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		load := env.NS.Command(ctx, "iptables-legacy-restore")
		load.Stdin = strings.NewReader(string(rules))
		if out, err := load.CombinedOutput(); err != nil {
			t.Fatalf("iptables-legacy-restore: %v\n%s", err, out)
		}
		t.Cleanup(func() { env.NS.Command(context.Background(), "iptables-legacy", "-t", "nat", "-F").Run() })
		rep := decode(t, run(t, env.NS, bin, "-o", "json"))
		if !slices.Equal(rep.NATBackends, []string{"nftables", "iptables-legacy"}) {
			t.Errorf("nat_backends %v, want both", rep.NATBackends)
		}
		// kube-proxy's NodePort 3001 comes from the legacy table.
		if row := publishedRow(rep, 3001); row == nil || row.Published.Backend != "iptables-legacy" || row.Published.Target != "10.180.0.2:80" {
			t.Errorf("NodePort 3001: %+v", row)
		}
		if table := run(t, env.NS, bin, "list").stdout; !strings.Contains(table, "NAT rules in both nftables and iptables-legacy") {
			t.Errorf("table does not say both backends hold NAT rules:\n%s", table)
		}
	})

	t.Run("loopback docker-proxy with a wider DNAT rule is shown", func(t *testing.T) {
		proxy := env.NS.ListenAs(t, "docker-proxy", testenv.ListenSpec{Proto: "tcp", Addr: ap("127.0.0.1:8080")})
		rep := decode(t, run(t, env.NS, bin, "-o", "json"))
		row := publishedRow(rep, 8080)
		if row == nil || len(row.Processes) != 1 || row.Processes[0].PID != proxy.PID {
			t.Fatalf("8080 row %+v; want the docker-proxy (pid %d) joined to the DNAT rule", row, proxy.PID)
		}
		if row.Exposure != report.ExposureAll || !hasNote(*row, "published.wider") {
			t.Errorf("loopback docker-proxy: exposure %s, notes %+v; want all and published.wider", row.Exposure, row.Notes)
		}
	})
}

// TestSlirp4netnsForwarder: rootless Podman's slirp4netns forwards a host
// port into the container's namespace from user space, with no NAT rule;
// its socket is joined to that namespace's container.
func TestSlirp4netnsForwarder(t *testing.T) {
	bin := openports(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroups and a tmpfs over /var/lib in a private mount namespace")
	}
	if _, err := exec.LookPath("slirp4netns"); err != nil {
		t.Skip("slirp4netns not installed (Debian package slirp4netns: scripts/test-deps.sh)")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs real root for cgroups")
	}
	client := env.AddPeer(t, "op-cli0", "op-cli1", pfx("198.51.100.1/24"), pfx("198.51.100.2/24"))
	dockerContainer(t, env, ap("0.0.0.0:80"))

	api := filepath.Join(t.TempDir(), "slirp.sock")
	slirp := env.NS.Start(t, "slirp4netns", "--configure", "--mtu=65520", "--api-socket", api, strconv.Itoa(env.Peer.HolderPID()), "tap0")
	// Podman adds each published port through the API socket.
	var reply string
	for i := 0; i < 50; i++ {
		if reply = slirpAPI(api, `{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"0.0.0.0","host_port":18080,"guest_port":80}}`); strings.Contains(reply, "return") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(reply, `"return"`) {
		t.Fatalf("slirp4netns add_hostfwd: %q; stderr: %s", reply, slirp.Stderr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Command(ctx, "bash", "-c", "exec 3<>/dev/tcp/198.51.100.1/18080 && sleep 0.2").Run(); err != nil {
		t.Fatalf("connect through slirp4netns's port: %v", err)
	}

	forwardedRow(t, env, bin, 18080, "slirp4netns")
}

// forwarderHost is the test host of a rootless forwarder: the peer
// namespace is a container listening on port 80.
func forwarderHost(t *testing.T) *testenv.Env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroups and a tmpfs over /var/lib in a private mount namespace")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs real root for cgroups")
	}
	dockerContainer(t, env, ap("0.0.0.0:80"))
	return env
}

// connectLoopback connects to 127.0.0.1:port in ns until it succeeds, for
// up to 5 seconds (a forwarder starting in the background).
func connectLoopback(ns *testenv.NS, port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	for i := 0; i < 50; i++ {
		if err = ns.Command(ctx, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+strconv.Itoa(port)+" && sleep 0.2").Run(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// forwardedRow checks that the row of port in env's host namespace is held
// by the forwarder named comm (a prefix) and joined to the container
// dockerContainer made.
func forwardedRow(t *testing.T, env *testenv.Env, bin string, port uint16, comm string) {
	t.Helper()
	rep := decode(t, run(t, env.NS, bin, "--all", "-o", "json"))
	var row *report.Row
	for i := range rep.Rows {
		if rep.Rows[i].Port == port {
			row = &rep.Rows[i]
		}
	}
	if row == nil || len(row.Processes) == 0 || !strings.HasPrefix(row.Processes[0].Name, comm) {
		t.Fatalf("no %s row for %d: %+v", comm, port, rep.Rows)
	}
	if row.Published == nil || row.Published.Container != dockerLabel || row.Published.Backend != row.Processes[0].Name || !hasNote(*row, "published.forwarded") {
		t.Errorf("%s row not joined to its container: %+v", comm, row.Published)
	}
}

// TestKubernetesPodName: a pod's namespace is named from the kubepods
// cgroup of its processes and the kubelet's /var/log/pods directory.
func TestKubernetesPodName(t *testing.T) {
	bin := openports(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroups and a tmpfs over /var/log in a private mount namespace")
	}
	env := testenv.New(t)
	if env.Mode != testenv.ModeRoot {
		t.Skip("needs real root for cgroups")
	}
	const uid = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	const id = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd"
	env.NS.Run(t, "mount", "-t", "tmpfs", "openports-test", "/var/log")
	env.NS.Run(t, "mkdir", "-p", "/var/log/pods/default_nginx-7c5ddbdf54-8x2lq_"+uid+"/nginx")
	l := env.Peer.Listen(t, testenv.ListenSpec{Proto: "tcp", Addr: ap("0.0.0.0:8080")})
	intoCgroup(t, l.PID, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"+strings.ReplaceAll(uid, "-", "_")+".slice/cri-containerd-"+id+".scope")
	peer, err := env.Peer.NetNSInode()
	if err != nil {
		t.Fatal(err)
	}
	rep := decode(t, run(t, env.NS, bin, "--netns", "all", "-o", "json"))
	for _, ns := range rep.Namespaces {
		if ns.ID != peer {
			continue
		}
		if ns.Name != "pod default/nginx-7c5ddbdf54-8x2lq" || ns.Container == nil || ns.Container.Engine != "containerd" || ns.Container.PodUID != uid {
			t.Errorf("pod namespace %q, container %+v", ns.Name, ns.Container)
		}
		return
	}
	t.Errorf("namespace %d of the pod is not in the report", peer)
}

// slirpAPI sends one request to a slirp4netns API socket and returns the
// reply ("" when the socket is not there yet).
func slirpAPI(path, req string) string {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		return ""
	}
	conn.(*net.UnixConn).CloseWrite()
	b, _ := io.ReadAll(conn)
	return string(b)
}

// recordEnv names a file to which TestDockerPublishedPort writes the
// snapshot of its Docker-shaped host (--netns all, kept to the test's own
// two namespaces), the fixture of the analysis and render tests.
const recordEnv = "OPENPORTS_RECORD_DOCKER_SNAPSHOT"

func recordSnapshot(t *testing.T, env *testenv.Env, bin, path string) {
	t.Helper()
	r := run(t, env.NS, bin, "snapshot", "--netns", "all")
	var snap snapshot.Snapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	host, _ := env.NS.NetNSInode()
	peer, _ := env.Peer.NetNSInode()
	keep := func(id uint64) bool { return id == host || id == peer }
	snap.Namespaces = slices.DeleteFunc(snap.Namespaces, func(n snapshot.Namespace) bool { return !keep(n.ID) })
	snap.Interfaces = slices.DeleteFunc(snap.Interfaces, func(i snapshot.Interface) bool { return !keep(i.NetNS) })
	snap.Sockets = slices.DeleteFunc(snap.Sockets, func(s snapshot.Socket) bool { return !keep(s.NetNS) })
	// Gaps about the rest of the machine (other namespaces, processes
	// root cannot read) say nothing about this host.
	snap.Gaps = nil
	out, err := json.MarshalIndent(&snap, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// TestRealDockerEngine publishes a port with a real Docker engine where
// one runs; where none can run, it says so and skips.
func TestRealDockerEngine(t *testing.T) {
	bin := openports(t)
	out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		t.Skipf("no Docker engine runs here (docker info: %v: %s); TestDockerPublishedPort covers the rules Docker writes", err, strings.TrimSpace(string(out)))
	}
	name := fmt.Sprintf("openports-it-%d", os.Getpid())
	out, err = exec.Command("docker", "run", "-d", "--rm", "--name", name, "-p", "127.0.0.1:18080:80", "busybox", "httpd", "-f", "-p", "80").CombinedOutput()
	if err != nil {
		t.Skipf("cannot start a busybox container (no image or no network?): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	rep := decode(t, run(t, nil, bin, "--all", "-o", "json"))
	row := publishedRow(rep, 18080)
	if row == nil || !strings.Contains(row.Published.Container, name) {
		t.Errorf("no published row for 127.0.0.1:18080 naming container %s: %+v", name, row)
	}
}

// pairEnv names a directory to which TestDockerPublishedDiffAndPolicy
// writes its before and after snapshots (the fixtures of internal/diff and
// internal/policy).
const pairEnv = "OPENPORTS_RECORD_DOCKER_PAIR"

// TestDockerPublishedDiffAndPolicy: a port that only a DNAT rule
// publishes (no host socket) is a change for diff, a rule for baseline,
// and a violation for --policy when the policy lacks it.
func TestDockerPublishedDiffAndPolicy(t *testing.T) {
	bin := openports(t)
	env, _, client := dockerHostWithoutRules(t)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "docker-before.snapshot.json"), filepath.Join(dir, "docker-after.snapshot.json")
	recordSnapshot(t, env, bin, before)
	policyBefore := filepath.Join(dir, "before.yaml")
	run(t, env.NS, bin, "baseline", "--write", policyBefore)

	loadDockerRules(t, env, client)
	recordSnapshot(t, env, bin, after)
	if out := os.Getenv(pairEnv); out != "" {
		for _, f := range []string{before, after} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("diff shows the newly published port", func(t *testing.T) {
		r := run(t, nil, bin, "diff", before, after, "-o", "json")
		if r.code != int(report.ExitFindings) {
			t.Errorf("diff exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		var res struct {
			Changes []struct {
				Kind   string
				Socket struct {
					Proto     string
					Local     string
					Published bool
				}
				After *struct {
					Exposure string
					Target   *struct{ Address, Container string }
				}
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 1 {
			t.Fatalf("%d changes, want the published port only:\n%s", len(res.Changes), r.stdout)
		}
		c := res.Changes[0]
		if c.Kind != "new" || !c.Socket.Published || c.Socket.Local != "0.0.0.0:8080" || c.After == nil || c.After.Exposure != "all" ||
			c.After.Target == nil || c.After.Target.Container != "custom-nginx-t2" || c.After.Target.Address != "192.0.2.2:80" {
			t.Errorf("change %+v; want new published 0.0.0.0:8080, all, to custom-nginx-t2 at 192.0.2.2:80", c)
		}
		table := run(t, nil, bin, "diff", before, after).stdout
		if !strings.Contains(table, "→ "+dockerLabel) || !strings.Contains(table, "published by DNAT (nftables nat/DOCKER)") {
			t.Errorf("diff table lacks the published port:\n%s", table)
		}
	})

	t.Run("the policy of before lacks it; the baseline of after has it", func(t *testing.T) {
		rep := decode(t, run(t, env.NS, bin, "list", "--policy", policyBefore, "-o", "json"))
		found := false
		for _, v := range rep.Policy.Violations {
			if v.Kind == report.PolicyNew && v.Port == 8080 && v.Published && v.Container == "custom-nginx-t2" {
				found = true
			}
		}
		if !found {
			t.Errorf("no policy-new violation for the published 8080: %+v", rep.Policy.Violations)
		}
		policyAfter := filepath.Join(dir, "after.yaml")
		run(t, env.NS, bin, "baseline", "--write", policyAfter)
		b, err := os.ReadFile(policyAfter)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "port: 8080\n    exposure: all\n    published: true\n    container: custom-nginx-t2\n") {
			t.Errorf("baseline lacks the published port:\n%s", b)
		}
		rep = decode(t, run(t, env.NS, bin, "list", "--policy", policyAfter, "-o", "json"))
		if len(rep.Policy.Violations) != 0 {
			t.Errorf("violations against the baseline just written: %+v", rep.Policy.Violations)
		}
	})
}

// TestPastaForwarder: Podman's pasta forwards a host port into the
// container's namespace from user space, with no NAT rule, joining the
// namespace its command line names with --netns PATH (as Podman starts
// it); its socket is joined to that namespace's container. pasta is
// Debian's passt package, run as root with --runas 0 (it otherwise drops
// to nobody, who cannot join a namespace root made).
func TestPastaForwarder(t *testing.T) {
	bin := openports(t)
	if _, err := exec.LookPath("pasta"); err != nil {
		t.Skip("pasta not installed (Debian package passt: scripts/test-deps.sh)")
	}
	env := forwarderHost(t)
	env.Peer.Run(t, "ip", "link", "set", "lo", "up")
	// pasta wants an interface with a default route to copy.
	env.NS.Run(t, "ip", "route", "add", "default", "via", testenv.PeerAddr4.String())
	env.NS.Run(t, "ip", "-6", "route", "add", "default", "via", testenv.PeerAddr6.String())
	// Podman names the container's namespace by a bind mount of it
	// (/run/user/UID/netns/netns-UUID); here one under the private /var/lib.
	nsFile := "/var/lib/netns/op-peer"
	env.NS.Run(t, "mkdir", "-p", "/var/lib/netns")
	env.NS.Run(t, "touch", nsFile)
	env.NS.Run(t, "mount", "--bind", env.Peer.NetNSPath(), nsFile)
	t.Cleanup(func() { env.NS.Command(context.Background(), "umount", nsFile).Run() })
	pasta := env.NS.Start(t, "pasta", "--foreground", "--quiet", "--runas", "0", "-t", "18081:80", "-u", "none", "-T", "none", "-U", "none",
		"--netns", nsFile)
	// pasta splices a connection to the host's loopback into the
	// namespace's loopback.
	if err := connectLoopback(env.NS, 18081); err != nil {
		t.Fatalf("connect through pasta's port: %v; stderr: %s", err, pasta.Stderr())
	}

	forwardedRow(t, env, bin, 18081, "passt")
}

// TestRootlessportForwarder: Podman's rootlessport takes its configuration
// on standard input and listens on the host; it re-executes itself as
// "rootlessport-child" inside the container's namespace (podman's
// cmd/rootlessport/main.go), and that child names the namespace. No Podman
// runs here, so the test builds that process shape from real processes: a
// process named rootlessport (the test's listener helper, exec'd by a shell
// of that name after it started the child) whose child, argv[0]
// rootlessport-child, runs in the container's namespace.
func TestRootlessportForwarder(t *testing.T) {
	bin := openports(t)
	env := forwarderHost(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shell, listener := filepath.Join(t.TempDir(), "rootlessport"), filepath.Join(t.TempDir(), "rootlessport")
	if err := os.Symlink("/bin/bash", shell); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, listener); err != nil {
		t.Fatal(err)
	}
	// The child keeps the parent's PID as its parent across the exec;
	// both die with the test's process group.
	script := `nsenter --net="$1" -- bash -c 'exec -a rootlessport-child sleep 60' 3>&- &
export OPENPORTS_TESTENV_ROLE=listen OPENPORTS_TESTENV_SPEC='{"proto":"tcp","addr":"0.0.0.0:18083"}'
exec "$2"`
	p := env.NS.Start(t, shell, "-c", script, "rootlessport", env.Peer.NetNSPath(), listener)
	if err := connectLoopback(env.NS, 18083); err != nil {
		t.Fatalf("the rootlessport-shaped listener does not listen: %v; stderr: %s", err, p.Stderr())
	}

	forwardedRow(t, env, bin, 18083, "rootlessport")
}
