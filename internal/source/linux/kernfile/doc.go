// Package kernfile reads the small files the Linux kernel generates
// (/proc, /sys) with plain system calls. os.ReadFile first registers each
// file with the runtime's network poller, which fails for these files and
// costs five more system calls (fcntl, epoll_ctl, fstat) per file; the
// collector reads dozens of them on every run, where system calls are the
// cost (bench/RESULTS.md).
package kernfile
