// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//
// task_file.bpf.c: an iter/task_file program that lists, for every process,
// the descriptors that refer to wanted sockets, so that openports can map
// socket inodes to their holders without reading every /proc/PID/fd entry.
//
// Output, through the seq_file, is a stream of fixed-size struct record:
// one process record (FLAG_PROCESS) before the first descriptor of each
// process, giving its network namespace, then one record per descriptor that
// refers to a socket whose inode is in the map "wanted" (or to any socket
// when the variable "filter" is 0). A thread with a descriptor table of its
// own (it called unshare(CLONE_FILES)) is visited too, and its records name
// it (tid); the kernel skips the threads that share their leader's table. Filtering in the kernel keeps the output,
// and so the cost in user space, independent of the number of established
// connections on the host.
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

struct task_struct {
	int pid;  /* pid_t: the thread id */
	int tgid; /* pid_t: the process id */
	struct task_struct *group_leader;
	__u64 start_boottime;
	struct nsproxy *nsproxy;
};

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

#pragma clang attribute pop

#define S_IFMT 00170000
#define S_IFSOCK 0140000

// RECORD_VERSION is written into every record (flags bits 16..31) so that
// the decoder can refuse an object built for another layout.
#define RECORD_VERSION 2
#define FLAG_LEADER 1
#define FLAG_PROCESS 2

// Constants of linux/bpf.h (not included: see above).
#define BPF_MAP_TYPE_HASH 1
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

// The process whose files the iteration is in, so that its process record
// is written once: the iterator visits the files of one task after the
// other. last_seq is the meta->seq_num of the object that wrote it: when
// that object's output did not fit in the seq_file buffer, the kernel drops
// the output and runs the program again for the same object, with the same
// seq_num, at the next read(2); the process record is then written again.
// Reads of one iterator are serialised by the Go side.
__u64 last_session;
__u64 last_seq;
__u32 last_tgid;

// record is what the program writes for each process (FLAG_PROCESS set; fd
// and ino 0) and each wanted socket descriptor (netns 0): 40 bytes, in the
// byte order of the object (the host's).
struct record {
	__u32 tgid;           // process id in the initial PID namespace
	__u32 fd;             // descriptor number
	__u64 ino;            // socket inode (as in "socket:[N]")
	__u64 start_boottime; // process (leader) start, ns since boot (CLOCK_BOOTTIME)
	__u32 netns;          // process records: network namespace inode, 0 if gone
	__u32 flags;          // FLAG_LEADER | FLAG_PROCESS | RECORD_VERSION << 16
	__u32 tid;            // the task whose descriptor table holds fd
	__u32 pad;
};

// fill writes what every record says about the task into rec.
static __always_inline void fill(struct record *rec, struct task_struct *task)
{
	// The kernel visits a thread other than the leader only when its
	// descriptor table is not the leader's (task_file's skip_if_dup_files:
	// task->files == task->group_leader->files): such a thread's sockets
	// are in no other table, so it is reported, under its process.
	rec->tgid = task->tgid;
	rec->tid = task->pid;
	// The leader's start_boottime, converted to clock ticks
	// (ns / (1e9 / USER_HZ)), is field 22 of /proc/PID/stat (plus the time
	// namespace's boottime offset of the reader, which the Go side adds).
	rec->start_boottime = task->group_leader->start_boottime;
	rec->flags = RECORD_VERSION << 16;
	if (task->group_leader == task)
		rec->flags |= FLAG_LEADER;
}

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
	// Most files are not wanted sockets: the program reads only what the
	// process check and the socket check need before it knows.
	tgid = task->tgid;
	session = ctx->meta->session_id;
	seq_num = ctx->meta->seq_num;
	if (session != last_session || tgid != last_tgid || seq_num == last_seq) {
		last_session = session;
		last_tgid = tgid;
		last_seq = seq_num;
		__builtin_memset(&rec, 0, sizeof(rec));
		fill(&rec, task);
		nsp = task->nsproxy;
		if (nsp && nsp->net_ns)
			rec.netns = nsp->net_ns->ns.inum;
		rec.flags |= FLAG_PROCESS;
		bpf_seq_write(seq, &rec, sizeof(rec));
	}

	inode = file->f_inode;
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	ino = inode->i_ino;
	if (filter && !bpf_map_lookup_elem(&wanted, &ino))
		return 0;
	__builtin_memset(&rec, 0, sizeof(rec));
	fill(&rec, task);
	rec.fd = ctx->fd;
	rec.ino = ino;
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
