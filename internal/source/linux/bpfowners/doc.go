// Package bpfowners finds the processes that hold sockets on Linux with an
// eBPF iterator over tasks (iter/task), the faster alternative to the /proc
// walk of package fdscan where the kernel and the privileges allow it
// (issue 4).
//
// The iterator program (bpf/task_file.bpf.c, compiled by bpf/generate.sh
// into the taskfile_bpf*.o objects embedded here) visits every task in the
// kernel, reads its descriptor table itself (the open_fds bitmap, then the
// descriptor array 64 slots at a time, under RCU, without taking a
// reference on any file) and writes one fixed-size Record for each
// descriptor that refers to a wanted socket: process id, descriptor,
// socket inode, start time and the thread whose table holds the
// descriptor. A file is known to be a socket by its f_op (the kernel's
// socket_file_ops, learned from the first socket met), so the inode of a
// file that is no socket is not read. Threads that share their leader's
// descriptor table are skipped; a thread with a table of its own
// (unshare(CLONE_FILES)) is reported under its process. A table with more
// wanted sockets than one write of the iterator holds (800 records) is
// reported truncated, and that process is read through /proc. Reading
// the records costs one read(2) per 8 KiB of output instead of one
// readlink(2) per descriptor of the host.
//
// The records then go through the same checks as the /proc scan, while
// the walk goes on (fdscan.Verifier): for every process that holds a
// wanted socket, the verification opens /proc/PID once, reads each
// matching descriptor again, reads the owner's details (command line,
// executable, effective uid and user name) and then /proc/PID/stat, whose
// start time must be the one the iterator saw (the (PID, start time)
// identity). Scan therefore returns the same *fdscan.Result as the /proc scan,
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
// with the established connections of the host. The program still looks
// at every open descriptor of the host once (see Cost below). A wanted set
// larger than the map (4,096 inodes, so that its hash buckets stay in
// cache) turns that filter off; Go then filters, and a process with more
// sockets than one write holds is read through /proc.
//
// Cost (bench/RESULTS.md, BenchmarkScan and BenchmarkLoad): the load
// needs the kernel's BTF for the program's CO-RE field offsets and the BTF
// ID of its attach target; decoding the whole BTF for them (cilium/ebpf's
// loader does, even with KernelTypes given, to find the attach target) is
// slow and large, so everything the load derives from the BTF and from
// the embedded ELF object is derived once per kernel build and program and
// cached as a load plan in a root-only file (see loadPlanned and
// reloc_linux.go). A load from the plan makes the maps, loads the
// program's own small BTF and the program, and attaches it, with bpf(2)
// calls of its own (bpfsys_linux.go) rather than cilium/ebpf's feature
// probes and object-info reads. A scan then
// costs the kernel a few tens of nanoseconds per open descriptor of the
// host, plus the /proc reads of the holders and of the processes the
// iterator did not report. A one-shot run on a host with few open files is
// still faster with the /proc scan; the collector picks the iterator from
// about 1,500 open files on (/proc/sys/fs/file-nr).
//
// Kernel: the program needs bpf_loop (5.17); the variant loaded first
// (task_fds_cast) also bpf_rdonly_cast (6.2), through whose pointers it
// loads the files' and inodes' fields without a helper call each (its
// kfunc's BTF ID is resolved with the rest of the load plan). The object
// also holds the earlier iter/task_file program, which has the kernel
// visit every file (slower, 5.8 on); the load falls back from one to the
// next while the kernel refuses them (programs). On a host with few open
// files (Prepare, below fewFiles) task_file is tried first: the kernel
// verifies it much faster, and its slower walk costs less than that there.
// Kernels older still, or without BTF, make Available fail, and the /proc
// scan is used there.
//
// Limits: the iterator numbers processes in the initial PID namespace, so
// Available refuses to run from any other (a container); the /proc scan is
// used there. The iterator reports only the processes it may look into
// that have a descriptor table: every other PID of /proc (kernel threads, on some
// sandboxes PID 1, a process started since) is read through /proc in the
// same pass (fdscan.Scanner.VerifyAndScanUnseen), so that a process
// neither can read makes the sockets of its uid unknown, as on the /proc
// path. Where /proc refuses to confirm a holding the iterator saw, the
// holding is kept as the kernel showed it, its (PID, start time) identity
// checked through stat.
package bpfowners

//go:generate bash ../../../../bpf/generate.sh . taskfile
