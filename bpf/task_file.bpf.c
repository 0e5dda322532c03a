// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//
// task_file.bpf.c: an iter/task program that lists, for every process,
// the descriptors that refer to wanted sockets, so that openports can map
// socket inodes to their holders without reading every /proc/PID/fd entry.
//
// Output, through the seq_file, is a stream of fixed-size struct record:
// for every process with a descriptor table, one process record
// (FLAG_PROCESS) giving its network namespace, then one record per
// descriptor that refers to a socket whose inode is in the map "wanted"
// (or to any socket when the variable "filter" is 0). A thread with a
// descriptor table of its own (it called unshare(CLONE_FILES)) is visited
// too, and its records name it (tid); a thread that shares its leader's
// table is skipped. Filtering in the kernel keeps the output, and so the
// cost in user space, independent of the number of established
// connections on the host.
//
// Why iter/task and not iter/task_file: the task_file iterator takes a
// reference on every open file of the host (an atomic write to the file's
// cache line, under the task's lock) and runs the program once per file;
// here the program reads each table's descriptor array itself, 64 slots
// at a time, skips the empty ones with the open_fds bitmap, and touches a
// file only to read its f_op (and, for a socket, its inode number). On the
// development machine this walks 126,000 socket descriptors in 17 ms where
// task_file takes 55 (bench/RESULTS.md). Nothing is held: a descriptor
// closed and its file reused during the walk can give a record for a file
// that is no longer there, which is why the Go side reads every reported
// descriptor again through /proc before it believes it.
//
// The records of one process go out in one bpf_seq_write of at most
// MAX_RECORDS; a table with more wanted sockets than fit is reported as
// truncated (FLAG_TRUNCATED on its process record) and Go reads that
// process through /proc instead.
//
// task_fds needs bpf_loop (Linux 5.17). task_fds_cast, the one the Go side
// tries first, is task_fds with the files' and inodes' fields loaded
// through bpf_rdonly_cast pointers (6.2) rather than a helper call each.
// For older kernels (5.8 on) the object also holds task_file, the earlier
// iter/task_file program, which writes the same records one file at a
// time; the Go side loads each in turn until the kernel takes one.
//
// Build with bpf/generate.sh (clang 14, libbpf headers); the objects it
// writes are committed next to the Go code that embeds them
// (internal/source/linux/bpfowners). The Go decoder is
// bpfowners.Decode; keep struct record and its version in step with it.
//
// Kernel types: instead of a vmlinux.h generated from one kernel's BTF, the
// few fields read here are declared below with preserve_access_index, so
// that clang emits CO-RE relocations and the loader resolves every field
// offset against the running kernel's BTF. The object is therefore the same
// bytes whichever kernel it was built on.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

struct nsproxy {
	struct net *net_ns;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
	unsigned long *open_fds;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	int pid;  /* pid_t: the thread id */
	int tgid; /* pid_t: the process id */
	struct task_struct *group_leader;
	__u64 start_boottime;
	struct nsproxy *nsproxy;
	struct files_struct *files;
};

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
};

struct socket {
	struct file *file;
};

struct file {
	const void *f_op;
	void *private_data;
	struct inode *f_inode;
};

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

#pragma clang attribute pop

// bpf_rdonly_cast (Linux 6.2) makes an address a pointer of a kernel type
// that the program may load fields through, each load a plain instruction
// that the kernel guards against faults, instead of a helper call
// (bpf_probe_read_kernel). Only task_fds_cast calls it.
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

#define S_IFMT 00170000
#define S_IFSOCK 0140000

// RECORD_VERSION is written into every record (flags bits 16..31) so that
// the decoder can refuse an object built for another layout.
#define RECORD_VERSION 3
#define FLAG_LEADER 1
#define FLAG_PROCESS 2
#define FLAG_TRUNCATED 4

// Constants of linux/bpf.h (not included: see above).
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_F_NO_PREALLOC 1

// wanted holds the inodes of the sockets to report (value unused). Entries
// are allocated as inserted; the Go side keeps it in step with its wanted
// set and turns filter off when the set is larger than max_entries.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 12);
	__type(key, __u64);
	__type(value, __u8);
} wanted SEC(".maps");

// filter is 1 to report only the sockets in wanted, 0 to report all.
volatile __u32 filter;

// sock_fops is the kernel's socket_file_ops, the f_op of every socket file
// (sock_alloc_file), learned from the first socket the program meets; 0
// until then. Once known, a file whose f_op differs is no socket, and the
// program does not read its inode. The Go side zeroes it before every
// read.
__u64 sock_fops;

// record is what the program writes for each process (FLAG_PROCESS set; fd
// and ino 0) and each wanted socket descriptor (netns 0): 40 bytes, in the
// byte order of the object (the host's).
struct record {
	__u32 tgid;           // process id in the initial PID namespace
	__u32 fd;             // descriptor number
	__u64 ino;            // socket inode (as in "socket:[N]")
	__u64 start_boottime; // process (leader) start, ns since boot (CLOCK_BOOTTIME)
	__u32 netns;          // process records: network namespace inode, 0 if gone
	__u32 flags;          // FLAG_LEADER | FLAG_PROCESS | FLAG_TRUNCATED | RECORD_VERSION << 16
	__u32 tid;            // the task whose descriptor table holds fd
	__u32 pad;
};

// MAX_RECORDS is the most records one process gives: they must fit the
// seq_file's buffer (8 pages) in one write, or the kernel fails the read.
#define MAX_RECORDS 800

// out is where the records of one process are put together, and the
// descriptor slots being looked at. One entry: reads of the iterator are
// serialised by the Go side, and the program runs with migration off.
struct out {
	struct record recs[MAX_RECORDS];
	__u64 slots[64]; // the word's descriptor array entries
	__u64 fops[64];  // their f_op (read_fop)
	__u64 inos[64];  // their inode numbers if sockets (read_ino)
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct out);
} scratch SEC(".maps");

// walk is the state of one table's walk, shared with the bpf_loop
// callbacks walk_word and walk_slot.
struct walk {
	struct out *out;
	struct file **fd;        // the table's descriptor array
	unsigned long *open_fds; // its bitmap of open descriptors
	unsigned long open;      // the bitmap word of slots[]
	__u32 base;              // the descriptor number of slots[0]
	__u32 n;                 // records in out, the process record first
	__u32 full;              // set when out is full: stop
};

// A word of descriptors is looked at in three passes, each a bpf_loop over
// its 64 slots: read_fop reads the f_op of every open file, read_ino the
// inode number of every socket among them, walk_slot writes the records of
// the wanted ones. The first read of a file, and of a socket's inode, is a
// cache miss; with nothing between the reads of a pass that waits for
// their results, the processor has several of them in flight instead of
// one at a time.

// is_socket tells whether file is a socket, until sock_fops is known: a
// socket file's inode is S_IFSOCK and its private_data the struct socket
// whose file it is. An O_PATH descriptor of a socket's path is S_IFSOCK
// too, with neither: learn only from a socket.
static __always_inline int is_socket(struct file *file)
{
	struct inode *inode;
	struct socket *sock;
	unsigned short mode;

	if (bpf_core_read(&inode, sizeof(inode), &file->f_inode) || !inode)
		return 0;
	if (bpf_core_read(&mode, sizeof(mode), &inode->i_mode) || (mode & S_IFMT) != S_IFSOCK)
		return 0;
	if (bpf_core_read(&sock, sizeof(sock), &file->private_data) || !sock)
		return 0;
	return BPF_CORE_READ(sock, file) == file;
}

// read_fop reads the f_op of the file in slots[j] into fops[j] (0 when the
// slot is closed or the read fails); through a bpf_rdonly_cast pointer if
// cast (a plain load, not a helper call: with nothing between them, more
// of the cache misses overlap).
static __always_inline long read_fop(__u32 j, struct walk *w, int cast)
{
	struct out *out = w->out;
	struct file *file;

	j &= 63;
	out->fops[j] = 0;
	if (!(w->open & (1UL << j)))
		return 0;
	if (cast) {
		file = bpf_rdonly_cast((void *)out->slots[j], bpf_core_type_id_kernel(struct file));
		if (file)
			out->fops[j] = (__u64)file->f_op;
	} else {
		file = (struct file *)out->slots[j];
		if (file)
			bpf_core_read(&out->fops[j], sizeof(out->fops[j]), &file->f_op);
	}
	return 0;
}

// read_ino reads into inos[j] the inode number of the file in slots[j] if
// it is a socket (0 otherwise); through bpf_rdonly_cast pointers if cast.
static __always_inline long read_ino(__u32 j, struct walk *w, int cast)
{
	struct out *out = w->out;
	__u64 fop, ino = 0;
	struct file *file;
	struct inode *inode;

	j &= 63;
	out->inos[j] = 0;
	fop = out->fops[j];
	if (!fop || (sock_fops && fop != sock_fops))
		return 0;
	if (!sock_fops) {
		if (!is_socket((struct file *)out->slots[j]))
			return 0;
		sock_fops = fop;
	}
	if (cast) {
		file = bpf_rdonly_cast((void *)out->slots[j], bpf_core_type_id_kernel(struct file));
		inode = file->f_inode;
		if (!inode)
			return 0;
		inode = bpf_rdonly_cast(inode, bpf_core_type_id_kernel(struct inode));
		ino = inode->i_ino;
	} else {
		file = (struct file *)out->slots[j];
		if (bpf_core_read(&inode, sizeof(inode), &file->f_inode) || !inode)
			return 0;
		if (bpf_core_read(&ino, sizeof(ino), &inode->i_ino))
			return 0;
	}
	out->inos[j] = ino;
	return 0;
}

// The bpf_loop callbacks of both ways of reading.
static long read_fop_probe(__u32 j, struct walk *w) { return read_fop(j, w, 0); }
static long read_fop_cast(__u32 j, struct walk *w) { return read_fop(j, w, 1); }
static long read_ino_probe(__u32 j, struct walk *w) { return read_ino(j, w, 0); }
static long read_ino_cast(__u32 j, struct walk *w) { return read_ino(j, w, 1); }

// walk_slot writes the record of descriptor base+j if it is a wanted
// socket.
static long walk_slot(__u32 j, struct walk *w)
{
	struct out *out = w->out;
	__u64 ino;
	__u32 n;

	j &= 63;
	ino = out->inos[j];
	if (!ino)
		return 0;
	if (filter && !bpf_map_lookup_elem(&wanted, &ino))
		return 0;
	n = w->n;
	if (n >= MAX_RECORDS) {
		out->recs[0].flags |= FLAG_TRUNCATED;
		w->full = 1;
		return 1;
	}
	out->recs[n] = out->recs[0];
	out->recs[n].flags &= ~FLAG_PROCESS;
	out->recs[n].netns = 0;
	out->recs[n].fd = w->base + j;
	out->recs[n].ino = ino;
	w->n = n + 1;
	return 0;
}

// look_at_word looks at descriptors 64*i to 64*i+63, reading the files'
// and inodes' fields through bpf_rdonly_cast pointers if cast.
static __always_inline long look_at_word(__u32 i, struct walk *w, int cast)
{
	if (bpf_probe_read_kernel(&w->open, sizeof(w->open), w->open_fds + i))
		return 1;
	if (!w->open)
		return 0;
	if (bpf_probe_read_kernel(w->out->slots, sizeof(w->out->slots), w->fd + (__u64)i * 64))
		return 1;
	w->base = i * 64;
	if (cast) {
		bpf_loop(64, read_fop_cast, w, 0);
		bpf_loop(64, read_ino_cast, w, 0);
	} else {
		bpf_loop(64, read_fop_probe, w, 0);
		bpf_loop(64, read_ino_probe, w, 0);
	}
	bpf_loop(64, walk_slot, w, 0);
	return w->full;
}

static long walk_word(__u32 i, struct walk *w)
{
	return look_at_word(i, w, 0);
}

static long walk_word_cast(__u32 i, struct walk *w)
{
	return look_at_word(i, w, 1);
}

// walk_task writes the records of one task (see task_fds).
static __always_inline int walk_task(struct bpf_iter__task *ctx, int cast)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task, *leader;
	struct files_struct *files;
	struct fdtable *fdt;
	struct record *rec;
	struct walk w = {};
	__u32 zero = 0, n;

	if (!task)
		return 0;
	// Every field is read with bpf_probe_read_kernel (BPF_CORE_READ),
	// not loaded through the trusted task pointer: the verifier answers
	// each such load with lookups by name in the whole kernel BTF (its
	// __safe_trusted and __safe_rcu types), which cost the load of this
	// small program milliseconds.
	files = BPF_CORE_READ(task, files);
	if (!files)
		return 0;
	leader = BPF_CORE_READ(task, group_leader);
	// A thread other than the leader is looked at only when its
	// descriptor table is not the leader's (as task_file's
	// skip_if_dup_files): its sockets are then in no other table, so it
	// is reported, under its process.
	if (task != leader && files == BPF_CORE_READ(leader, files))
		return 0;
	fdt = BPF_CORE_READ(files, fdt);
	if (!fdt)
		return 0;
	w.out = bpf_map_lookup_elem(&scratch, &zero);
	if (!w.out)
		return 0;
	rec = &w.out->recs[0];
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->tid = BPF_CORE_READ(task, pid);
	// The leader's start_boottime, converted to clock ticks
	// (ns / (1e9 / USER_HZ)), is field 22 of /proc/PID/stat (plus the time
	// namespace's boottime offset of the reader, which the Go side adds).
	rec->start_boottime = BPF_CORE_READ(leader, start_boottime);
	rec->flags = RECORD_VERSION << 16 | FLAG_PROCESS;
	if (leader == task)
		rec->flags |= FLAG_LEADER;
	rec->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	w.n = 1;
	w.fd = BPF_CORE_READ(fdt, fd);
	w.open_fds = BPF_CORE_READ(fdt, open_fds);
	// max_fds is a multiple of BITS_PER_LONG: one bitmap word per call.
	if (cast)
		bpf_loop(BPF_CORE_READ(fdt, max_fds) / 64, walk_word_cast, &w, 0);
	else
		bpf_loop(BPF_CORE_READ(fdt, max_fds) / 64, walk_word, &w, 0);
	n = w.n;
	if (n > MAX_RECORDS)
		n = MAX_RECORDS;
	if (n < 1)
		n = 1;
	bpf_seq_write(seq, w.out->recs, n * sizeof(struct record));
	return 0;
}

// task_fds_cast is task_fds with the files' and inodes' fields loaded
// through bpf_rdonly_cast pointers (Linux 6.2); the Go side loads task_fds
// where the kernel refuses it.
SEC("iter/task")
int task_fds_cast(struct bpf_iter__task *ctx)
{
	return walk_task(ctx, 1);
}

SEC("iter/task")
int task_fds(struct bpf_iter__task *ctx)
{
	return walk_task(ctx, 0);
}

// The process whose files task_file is in, so that its process record is
// written once: the iterator visits the files of one task after the
// other. last_seq is the meta->seq_num of the object that wrote it: when
// that object's output did not fit in the seq_file buffer, the kernel drops
// the output and runs the program again for the same object, with the same
// seq_num, at the next read(2); the process record is then written again.
__u64 last_session;
__u64 last_seq;
__u32 last_tgid;

// task_file is the program for kernels without bpf_loop: the kernel
// visits every open file of every task (skipping the threads that share
// their leader's table) and runs it once per file.
SEC("iter/task_file")
int task_file(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct inode *inode;
	struct nsproxy *nsp;
	struct record rec;
	__u64 session, seq_num, ino;
	__u32 tgid;

	if (!task || !file)
		return 0;
	tgid = task->tgid;
	session = ctx->meta->session_id;
	seq_num = ctx->meta->seq_num;
	__builtin_memset(&rec, 0, sizeof(rec));
	rec.tgid = tgid;
	rec.tid = task->pid;
	rec.start_boottime = task->group_leader->start_boottime;
	rec.flags = RECORD_VERSION << 16;
	if (task->group_leader == task)
		rec.flags |= FLAG_LEADER;
	if (session != last_session || tgid != last_tgid || seq_num == last_seq) {
		last_session = session;
		last_tgid = tgid;
		last_seq = seq_num;
		nsp = task->nsproxy;
		if (nsp && nsp->net_ns)
			rec.netns = nsp->net_ns->ns.inum;
		rec.flags |= FLAG_PROCESS;
		bpf_seq_write(seq, &rec, sizeof(rec));
		rec.netns = 0;
		rec.flags &= ~FLAG_PROCESS;
	}
	inode = file->f_inode;
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	ino = inode->i_ino;
	if (filter && !bpf_map_lookup_elem(&wanted, &ino))
		return 0;
	rec.fd = ctx->fd;
	rec.ino = ino;
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
