// Package bpfowners finds the processes that hold sockets on Linux with an
// eBPF iterator over task files (iter/task_file), the faster alternative to
// the /proc walk of package fdscan where the kernel and the privileges allow
// it (issue 4).
//
// The iterator program (bpf/task_file.bpf.c, compiled by bpf/generate.sh
// into the taskfile_bpf*.o objects embedded here) visits every open file of
// every process in the kernel and writes one fixed-size Record for each
// descriptor that refers to a wanted socket: process id, descriptor, socket
// inode, start time and the thread whose table holds the descriptor. The
// kernel skips the threads that share their leader's descriptor table; a
// thread with a table of its own (unshare(CLONE_FILES)) is reported under
// its process. Reading those records costs one read(2) per 8 pages of output
// instead of one readlink(2) per descriptor of the host.
//
// The records then go through the same checks as the /proc scan: for every
// process that holds a wanted socket, fdscan.Scanner.Verify reads
// /proc/PID/stat to confirm the (PID, start time) identity, reads each
// matching descriptor again, reads the owner's details (command line,
// executable, effective uid and user name) and confirms the identity once
// more. Scan therefore returns the same *fdscan.Result as the /proc scan,
// and the collector may use either:
//
//	if bpfowners.Available() == nil {
//		res, err = bpfowners.Scan(wanted, "/proc")  // owner_method "ebpf-task-file"
//	} else {
//		res, err = scanner.Scan(wanted)             // owner_method "proc-fd"
//	}
//
// Start time: the program reports task_struct.start_boottime, in
// nanoseconds of CLOCK_BOOTTIME. The kernel prints field 22 of
// /proc/PID/stat as that value plus the boot-time offset of the reader's
// time namespace, divided by NSEC_PER_SEC/USER_HZ (nsec_to_clock_t); Scan
// does the same conversion (USER_HZ from the auxiliary vector's AT_CLKTCK,
// the offset from /proc/self/timens_offsets), so the identities compare
// exactly. start_time (CLOCK_MONOTONIC) would differ by the time spent in
// suspend.
//
// The wanted inodes are copied into a BPF hash map, and the program reports
// only descriptors of those sockets (plus one record per process, for its
// network namespace): the output and the work in user space do not grow
// with the established connections of the host. The kernel still visits
// every open file of the host once (see Cost below). A wanted set larger
// than the map (4,096 inodes, so that its hash buckets stay in cache) turns
// that filter off; Go then filters.
//
// Cost (measured on the 2-core development machine, shared with other
// jobs, load average 6 to 13; BenchmarkScan and BenchmarkLoad): loading and
// attaching the program, which Available does once per process, needs the
// kernel's BTF for the program's CO-RE field offsets and for the BTF ID of
// its attach target. Decoding the whole BTF for them (cilium/ebpf's loader
// does, even with KernelTypes given, to find the attach target) takes 30 to
// 50 ms and 4 MB; so they are derived that way once per kernel and program
// and cached in a root-only file keyed by the BTF's checksum (see
// loadProgram and reloc_linux.go), and a load from the cache takes about
// 1.5 ms (BenchmarkLoad/cached). A scan then costs the kernel about 0.3 µs per open file of
// the host for the iterator itself and as much again for the program, plus
// the /proc reads of the holders: 2 to 3 ms with 3,000 descriptors on the
// host (the /proc scan: 17 ms), 80 to 140 ms with 100,000 socket
// descriptors (/proc: 0.5 to 0.7 s), 30 to 60 ms with 1,000 processes of 50
// descriptors (/proc: 0.4 s). A one-shot run on a host with few open files
// is therefore faster with the /proc scan; the collector picks the iterator
// from about 8,000 open files on (/proc/sys/fs/file-nr).
//
// Limits: the iterator numbers processes in the initial PID namespace, so
// Available refuses to run from any other (a container); the /proc scan is
// used there. The iterator reports only the processes it may look into
// that have an open file: every other PID of /proc (kernel threads, on some
// sandboxes PID 1, a process started since) is read through /proc in the
// same pass (fdscan.Scanner.VerifyAndScanUnseen, counted in
// Result.Unseen), so that a process neither can read makes the sockets of
// its uid unknown, as on the /proc path. Where /proc refuses to confirm a
// holding the iterator saw, the holding is kept as the kernel showed it,
// its (PID, start time) identity checked through stat (Result.Adopted).
package bpfowners

//go:generate bash ../../../../bpf/generate.sh . taskfile
