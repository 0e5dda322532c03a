package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Env is a private network for one test: the test namespace (NS) with lo up
// and VethMain addressed 192.0.2.1/24 and 2001:db8::1/64, and a peer
// namespace holding VethPeer with 192.0.2.2/24 and 2001:db8::2/64. The test
// process itself stays where it was; commands enter the namespaces through
// nsenter.
type Env struct {
	// NS is the test namespace. It has its own mount namespace too, in
	// which /run/sshd is a private tmpfs so that sshd can run there.
	*NS
	// Peer is the namespace at the other end of the veth pair.
	Peer *NS
	// Mode says whether the namespaces were made as root or in an
	// unprivileged user namespace.
	Mode Mode
}

// NS is one network namespace kept alive by a holder process.
type NS struct {
	env    *Env
	holder *Proc
	// enter is the nsenter argument list that enters this namespace.
	enter []string
}

// HolderPID is the PID of the process that keeps the namespace alive; its
// /proc/PID/ns/net is the namespace.
func (n *NS) HolderPID() int { return n.holder.PID }

// NetNSPath is the namespace's /proc path, for nsenter --net= or setns.
func (n *NS) NetNSPath() string { return fmt.Sprintf("/proc/%d/ns/net", n.holder.PID) }

// NetNSInode is the namespace's inode number: the ID openports reports.
func (n *NS) NetNSInode() (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(n.NetNSPath(), &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", n.NetNSPath(), err)
	}
	return st.Ino, nil
}

// Mode is how the namespaces were made.
func (n *NS) Mode() Mode { return n.env.Mode }

// Command returns a command that runs name with args inside the namespace.
// The caller owns it: run it, or start it and wait for it.
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, n.enter...), "--", name), args...)
	return exec.CommandContext(ctx, "nsenter", argv...)
}

// Run runs name with args in the namespace and returns its stdout; a failure
// ends the test with the command's stderr.
func (n *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := n.Command(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("in namespace: %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// Start starts name with args in the namespace as a long-running process in
// its own process group, killed with its group when the test ends.
func (n *NS) Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	p, err := startProc(t, n.Command(context.Background(), name, args...))
	if err != nil {
		t.Fatalf("in namespace: %v", err)
	}
	return p
}

// New makes the private network for t, or skips t with the reason when this
// machine cannot. Everything it starts is removed when t ends.
func New(t testing.TB) *Env {
	t.Helper()
	for _, tool := range []string{"unshare", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run make test-deps", tool)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	mode := ModeRoot
	if os.Geteuid() != 0 || os.Getenv(ForceUserNSEnv) == "1" {
		mode = ModeUserNS
		probe := exec.Command("unshare", "--user", "--map-root-user", "--net", "--mount", "true")
		if out, err := probe.CombinedOutput(); err != nil {
			t.Skipf("needs root or unprivileged user namespaces: %v: %s", err, bytes.TrimSpace(out))
		}
	}
	env := &Env{Mode: mode}

	// The test namespace: network and mount, in a new user namespace
	// when unprivileged.
	mainArgs := []string{"--net", "--mount", "--propagation", "private"}
	if mode == ModeUserNS {
		mainArgs = append([]string{"--user", "--map-root-user"}, mainArgs...)
	}
	holder, err := startHolder(t, exe, holderSpec{PrivateSSHDir: true}, "unshare", append(mainArgs, "--", exe)...)
	if err != nil {
		t.Skipf("needs root or unprivileged user namespaces: %v", err)
	}
	env.NS = &NS{env: env, holder: holder}
	hp := holder.PID
	env.NS.enter = []string{fmt.Sprintf("--net=/proc/%d/ns/net", hp), fmt.Sprintf("--mount=/proc/%d/ns/mnt", hp)}
	if mode == ModeUserNS {
		env.NS.enter = append([]string{fmt.Sprintf("--user=/proc/%d/ns/user", hp), "--preserve-credentials"}, env.NS.enter...)
	}

	// The peer namespace: network only, owned by the same user namespace.
	var peer *Proc
	if mode == ModeUserNS {
		// --preserve-credentials: the user namespace denies setgroups,
		// and the caller's uid is already root in it.
		peer, err = startHolder(t, exe, holderSpec{}, "nsenter", fmt.Sprintf("--user=/proc/%d/ns/user", hp), "--preserve-credentials", "--", "unshare", "--net", "--", exe)
	} else {
		peer, err = startHolder(t, exe, holderSpec{}, "unshare", "--net", "--", exe)
	}
	if err != nil {
		t.Fatalf("peer namespace: %v", err)
	}
	env.Peer = &NS{env: env, holder: peer}
	env.Peer.enter = []string{fmt.Sprintf("--net=/proc/%d/ns/net", peer.PID)}
	if mode == ModeUserNS {
		env.Peer.enter = append([]string{fmt.Sprintf("--user=/proc/%d/ns/user", hp), "--preserve-credentials"}, env.Peer.enter...)
	}

	env.NS.Run(t, "ip", "link", "set", "lo", "up")
	env.Peer.Run(t, "ip", "link", "set", "lo", "up")
	env.NS.Run(t, "ip", "link", "add", VethMain, "type", "veth", "peer", "name", VethPeer, "netns", strconv.Itoa(peer.PID))
	for _, side := range []struct {
		ns     *NS
		dev    string
		v4, v6 string
	}{
		{env.NS, VethMain, MainAddr4.String() + "/24", MainAddr6.String() + "/64"},
		{env.Peer, VethPeer, PeerAddr4.String() + "/24", PeerAddr6.String() + "/64"},
	} {
		side.ns.Run(t, "ip", "addr", "add", side.v4, "dev", side.dev)
		// nodad: the address is usable at once instead of after
		// duplicate address detection.
		side.ns.Run(t, "ip", "-6", "addr", "add", side.v6, "dev", side.dev, "nodad")
		side.ns.Run(t, "ip", "link", "set", side.dev, "up")
	}
	return env
}

// AddPeer makes one more network namespace, joined to the test namespace
// by a veth pair (mainDev in NS with mainAddr, peerDev in the new namespace
// with peerAddr), for tests that need a third party: a client that reaches
// NS from outside, as another host would. It is removed when t ends.
func (e *Env) AddPeer(t testing.TB, mainDev, peerDev string, mainAddr, peerAddr netip.Prefix) *NS {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	hp := e.NS.holder.PID
	var p *Proc
	if e.Mode == ModeUserNS {
		p, err = startHolder(t, exe, holderSpec{}, "nsenter", fmt.Sprintf("--user=/proc/%d/ns/user", hp), "--preserve-credentials", "--", "unshare", "--net", "--", exe)
	} else {
		p, err = startHolder(t, exe, holderSpec{}, "unshare", "--net", "--", exe)
	}
	if err != nil {
		t.Fatalf("namespace for %s: %v", peerDev, err)
	}
	ns := &NS{env: e, holder: p, enter: []string{fmt.Sprintf("--net=/proc/%d/ns/net", p.PID)}}
	if e.Mode == ModeUserNS {
		ns.enter = append([]string{fmt.Sprintf("--user=/proc/%d/ns/user", hp), "--preserve-credentials"}, ns.enter...)
	}
	ns.Run(t, "ip", "link", "set", "lo", "up")
	e.NS.Run(t, "ip", "link", "add", mainDev, "type", "veth", "peer", "name", peerDev, "netns", strconv.Itoa(p.PID))
	e.NS.Run(t, "ip", "addr", "add", mainAddr.String(), "dev", mainDev)
	e.NS.Run(t, "ip", "link", "set", mainDev, "up")
	ns.Run(t, "ip", "addr", "add", peerAddr.String(), "dev", peerDev)
	ns.Run(t, "ip", "link", "set", peerDev, "up")
	return ns
}

// holderSpec configures the holder role.
type holderSpec struct {
	// PrivateSSHDir mounts a private tmpfs at /run/sshd (over /run when
	// /run/sshd does not exist) in the holder's mount namespace.
	PrivateSSHDir bool `json:"private_ssh_dir,omitempty"`
}

// startHolder starts the holder role of exe under the given launcher
// (unshare or nsenter) and waits until it is ready.
func startHolder(t testing.TB, exe string, spec holderSpec, launcher string, args ...string) (*Proc, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode holder spec: %w", err)
	}
	cmd := exec.Command(launcher, args...)
	cmd.Env = append(os.Environ(), roleEnv+"=holder", specEnv+"="+string(js))
	p, err := startProc(t, cmd)
	if err != nil {
		return nil, err
	}
	line, err := p.readLine(readyTimeout)
	if err != nil {
		return nil, err
	}
	if line != "ready" {
		return nil, fmt.Errorf("namespace holder: %s; stderr: %s", line, p.Stderr())
	}
	return p, nil
}

// Listen starts a helper process in the namespace that opens the socket
// described by spec (and forks spec.Children children that inherit it), and
// returns once every holder is in place.
func (n *NS) Listen(t testing.TB, spec ListenSpec) *Listener {
	t.Helper()
	l, err := n.listen(t, spec)
	if err != nil {
		t.Fatalf("listen %s %v: %v", spec.Proto, spec.Addr, err)
	}
	return l
}

// ListenAs is Listen with the helper running under the command name comm
// (a symlink to the test binary), for tests about programs known by name,
// such as docker-proxy.
func (n *NS) ListenAs(t testing.TB, comm string, spec ListenSpec) *Listener {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	link := filepath.Join(t.TempDir(), comm)
	if err := os.Symlink(exe, link); err != nil {
		t.Fatalf("name the helper %s: %v", comm, err)
	}
	l, err := n.listenExe(t, link, spec)
	if err != nil {
		t.Fatalf("listen %s %v as %s: %v", spec.Proto, spec.Addr, comm, err)
	}
	return l
}

func (n *NS) listen(t testing.TB, spec ListenSpec) (*Listener, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find test binary: %w", err)
	}
	return n.listenExe(t, exe, spec)
}

func (n *NS) listenExe(t testing.TB, exe string, spec ListenSpec) (*Listener, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode listen spec: %w", err)
	}
	cmd := n.Command(context.Background(), exe)
	cmd.Env = append(os.Environ(), roleEnv+"=listen", specEnv+"="+string(js))
	p, err := startProc(t, cmd)
	if err != nil {
		return nil, err
	}
	line, err := p.readLine(readyTimeout)
	if err != nil {
		return nil, err
	}
	var r readyLine
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return nil, fmt.Errorf("helper ready line %q: %w; stderr: %s", line, err, p.Stderr())
	}
	if r.Error != "" {
		return nil, errors.New(r.Error)
	}
	if r.PID != p.PID {
		return nil, fmt.Errorf("helper says pid %d, started pid %d", r.PID, p.PID)
	}
	return &Listener{Spec: spec, Local: r.Local, Inode: r.Inode, PID: r.PID, Children: r.Children, TID: r.TID, proc: p}, nil
}

// StartHelper starts the test binary in the namespace playing role with the
// JSON form of spec, for roles beyond Listen (see Churn).
func (n *NS) StartHelper(t testing.TB, role string, spec any) *Proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatalf("encode %s spec: %v", role, err)
	}
	cmd := n.Command(context.Background(), exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+role, specEnv+"="+string(js))
	p, err := startProc(t, cmd)
	if err != nil {
		t.Fatalf("start %s helper: %v", role, err)
	}
	return p
}
