// Package linux is the live collector for Linux: it lists sockets through
// NETLINK_SOCK_DIAG with kernel-side state filters (falling back to
// /proc/net when netlink is refused), finds every process holding each one
// with a single pass over /proc/PID/fd, covers every network namespace on
// request, and records what it could not see as snapshot gaps.
//
// The pieces live in sub-packages, each with one job: sockdiag (netlink
// request and decode), procnet (/proc/net parser), fdscan (owners),
// procpriv (what this run may see), netif (interfaces and addresses).
package linux
