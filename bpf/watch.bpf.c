// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//
// watch.bpf.c: the moment a socket takes a local port, record who did it.
//
// openports watch follows listening and bound sockets. Polling sock_diag and
// scanning /proc misses a socket that lives shorter than the poll interval,
// and even when the poll sees it, the process may be gone before /proc is
// read. These programs run in the kernel when bind(2) or listen(2) returns,
// in the context of the process that called it, and write one fixed-size
// struct event per successful call on an internet socket into a ring buffer:
//
//   tp_btf/sys_enter   remembers the descriptor of a bind or listen call
//                      (per thread, in the map "pending")
//   tp_btf/sys_exit    when that call succeeded, follows the descriptor to
//                      its socket and reports it: EV_BIND or EV_LISTEN
//   tp_btf/inet_sock_set_state   a TCP listener closes (EV_CLOSE)
//
// The syscall tracepoints are used, not fexit on udp_lib_get_port or
// inet_csk_get_port, because kernels may refuse fentry/fexit programs (the
// trampolines need ftrace direct calls) where BTF raw tracepoints load.
// What this cannot see: the automatic bind of a UDP socket's first
// sendto(2) or connect(2) without bind (docs/watch.md).
//
// Each event has the socket cookie (0 when nobody asked for it yet), the
// inode, the time (CLOCK_MONOTONIC), the thread and process ids, comm, the
// uid of the caller and of the socket, the network namespace, the family,
// protocol, local address and port.
//
// The syscall numbers and where the first argument sits in struct pt_regs
// differ by architecture: the loader sets the constants nr_bind, nr_listen
// and arg0_off (internal/source/linux/bpfwatch).
//
// Build with bpf/generate.sh (clang 14, libbpf headers); the objects
// are committed in internal/source/linux/bpfwatch, whose decoder
// (ParseEvent) must stay in step with struct event and EVENT_VERSION.
//
// Kernel types are declared below with preserve_access_index (CO-RE), as in
// task_file.bpf.c: no vmlinux.h, the same bytes whichever kernel built them.

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
typedef _Bool bool;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	long long counter;
} atomic64_t;

struct sock_common {
	__be32 skc_rcv_saddr;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_rcv_saddr;
	__u16 skc_num;
	int skc_bound_dev_if;
	atomic64_t skc_cookie;
};

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct socket {
	struct file *file;
	struct sock *sk;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	struct files_struct *files;
};

struct pt_regs;

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	struct socket *sk_socket;
	kuid_t sk_uid;
};

#pragma clang attribute pop

#define EVENT_VERSION 1

#define EV_BIND 1
#define EV_LISTEN 2
#define EV_CLOSE 3

#define AF_INET 2
#define AF_INET6 10
#define TCP_CLOSE 7
#define TCP_LISTEN 10

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_RINGBUF 27
#define S_IFMT 00170000
#define S_IFSOCK 0140000

// struct event is 96 bytes, without holes; ParseEvent decodes it.
struct event {
	__u64 cookie;
	__u64 time_ns;   // bpf_ktime_get_ns: CLOCK_MONOTONIC
	__u64 inode;     // 0 when the socket has no file (kernel sockets)
	__u32 pid;       // tgid of the caller: the process
	__u32 tid;       // pid of the caller: the thread
	__u32 uid;       // the caller's uid (init user namespace)
	__u32 sock_uid;  // sk_uid: the socket's owner uid
	__u32 netns;     // inode of the socket's network namespace
	__u16 version;   // EVENT_VERSION
	__u8 kind;       // EV_*
	__u8 family;     // AF_INET or AF_INET6
	__u16 protocol;  // IPPROTO_*
	__u16 port;      // local port, host byte order
	__u32 ifindex;   // bound device, 0 when none
	__u8 addr[16];   // local address: 4 bytes for AF_INET, 16 for AF_INET6
	char comm[16];
	__u32 old_state; // EV_CLOSE: the state the listener left
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

// pending holds, per thread (pid_tgid), the descriptor of a bind or
// listen call in progress.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u64);
	__type(value, __s32);
} pending SEC(".maps");

// Set by the loader before loading (see the header comment).
volatile const __s64 nr_bind = -1;
volatile const __s64 nr_listen = -1;
volatile const __u32 arg0_off = 0;

// lost counts events the ring buffer had no room for.
__u64 lost;

static __always_inline void emit(struct sock *sk, __u64 inode, __u8 kind, __u32 old_state)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	e->cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	e->time_ns = bpf_ktime_get_ns();
	e->inode = inode;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ug;
	e->sock_uid = BPF_CORE_READ(sk, sk_uid.val);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->version = EVENT_VERSION;
	e->kind = kind;
	e->family = family;
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->ifindex = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	} else {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->addr, &a, 4);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->old_state = old_state;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long nr)
{
	if (nr != nr_bind && nr != nr_listen)
		return 0;
	unsigned long arg0 = 0;
	bpf_probe_read_kernel(&arg0, sizeof(arg0), (char *)regs + arg0_off);
	__s32 fd = (__s32)arg0;
	__u64 id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &id, &fd, 0);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s32 *fdp = bpf_map_lookup_elem(&pending, &id);
	if (!fdp)
		return 0;
	__s32 fd = *fdp;
	bpf_map_delete_elem(&pending, &id);
	if (ret != 0 || fd < 0)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return 0;
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(ino, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	emit(sk, BPF_CORE_READ(ino, i_ino), state == TCP_LISTEN ? EV_LISTEN : EV_BIND, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, struct sock *sk, int oldstate, int newstate)
{
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE)
		emit(sk, 0, EV_CLOSE, oldstate);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
