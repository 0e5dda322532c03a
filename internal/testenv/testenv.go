// Package testenv gives tests of every openports package a private, real
// network to observe: a network namespace with lo up and a veth pair into a
// second namespace carrying documentation addresses, helper processes that
// hold real sockets (the test binary re-executed in a role), a real sshd, an
// ss(8) output parser for cross-checks, and a way to build the openports
// binary once per test run.
//
// Everything a test starts is cleaned up by PID through t.Cleanup. When the
// machine cannot make namespaces (not root and no unprivileged user
// namespaces) or a needed tool is missing, the test is skipped with the
// reason.
//
// A package that uses helpers must route its TestMain through Main (or call
// ServeRole first thing in its own TestMain), so that a re-executed test
// binary plays its role instead of running the tests.
package testenv

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
)

// Environment variables through which a re-executed test binary learns its
// role.
const (
	roleEnv = "OPENPORTS_TESTENV_ROLE"
	specEnv = "OPENPORTS_TESTENV_SPEC"
	// ForceUserNSEnv, when set to 1, makes New use an unprivileged user
	// namespace even when running as root, to exercise that path.
	ForceUserNSEnv = "OPENPORTS_TESTENV_USERNS"
)

// The veth pair New creates: VethMain lives in the test namespace and
// VethPeer in the peer namespace, each with one address of
// 192.0.2.0/24 and one of 2001:db8::/64.
const (
	VethMain = "veth-op0"
	VethPeer = "veth-op1"
)

// Documentation addresses assigned to the veth pair.
var (
	MainAddr4 = netip.MustParseAddr("192.0.2.1")
	PeerAddr4 = netip.MustParseAddr("192.0.2.2")
	MainAddr6 = netip.MustParseAddr("2001:db8::1")
	PeerAddr6 = netip.MustParseAddr("2001:db8::2")
)

// Mode says how the namespaces were made.
type Mode int

const (
	// ModeRoot means the test runs as real root: namespaces are made
	// directly and commands may switch to other users (setpriv).
	ModeRoot Mode = iota + 1
	// ModeUserNS means the namespaces are owned by an unprivileged user
	// namespace in which only the caller's uid is mapped (to 0).
	ModeUserNS
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ModeRoot:
		return "root"
	case ModeUserNS:
		return "userns"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Main runs a re-executed helper role when one is requested, and the tests
// of m otherwise. Use it as the body of TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	ServeRole()
	os.Exit(m.Run())
}

// ServeRole plays the helper role named in the environment, if any, and
// exits the process when done. It returns at once when no role is set.
// Call it first in a TestMain that does more than Main.
func ServeRole() {
	role := os.Getenv(roleEnv)
	if role == "" {
		return
	}
	os.Exit(runRole(role, os.Getenv(specEnv)))
}

// ListenSpec describes one socket a helper process opens.
type ListenSpec struct {
	// Proto is "tcp" or "udp".
	Proto string `json:"proto"`
	// Addr is the local address and port to bind; port 0 lets the kernel
	// choose (see Listener.Local).
	Addr netip.AddrPort `json:"addr"`
	// V6Only sets IPV6_V6ONLY on an IPv6 socket; nil leaves the
	// namespace's default (net.ipv6.bindv6only, 0 in a new namespace).
	V6Only *bool `json:"v6only,omitempty"`
	// Children is how many child processes inherit the socket and keep it
	// open alongside the parent.
	Children int `json:"children,omitempty"`
	// OwnThread opens the socket in a thread that first called
	// unshare(CLONE_FILES): only that thread's descriptor table holds it,
	// not the process's /proc/PID/fd (Listener.TID names the thread). No
	// children with it.
	OwnThread bool `json:"own_thread,omitempty"`
}

// Listener is a running helper process holding one socket.
type Listener struct {
	// Spec is what was asked for.
	Spec ListenSpec
	// Local is the address the socket is bound to, with the real port.
	Local netip.AddrPort
	// Inode is the socket's inode number.
	Inode uint64
	// PID is the process that opened the socket.
	PID int
	// Children are the PIDs of the children that inherited it.
	Children []int
	// TID is the thread that holds the socket with ListenSpec.OwnThread,
	// 0 otherwise.
	TID int

	proc *Proc
}

// PIDs returns every process that holds the socket, sorted.
func (l *Listener) PIDs() []int {
	pids := append([]int{l.PID}, l.Children...)
	slices.Sort(pids)
	return pids
}

// Stop kills the helper and its children and waits for the helper.
func (l *Listener) Stop() { l.proc.Stop() }

// readyLine is what a listen helper prints once its socket and children are
// in place.
type readyLine struct {
	PID      int            `json:"pid"`
	Inode    uint64         `json:"inode"`
	Local    netip.AddrPort `json:"local"`
	Children []int          `json:"children,omitempty"`
	TID      int            `json:"tid,omitempty"`
	Error    string         `json:"error,omitempty"`
}
