// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//
// watch.bpf.c: the moment a socket takes a local port, record who did it.
//
// openports watch follows listening and bound sockets. Polling sock_diag and
// scanning /proc misses a socket that lives shorter than the poll interval,
// and even when the poll sees it, the process may be gone before /proc is
// read. These programs run in the kernel at the moment the port is taken,
// in the context of the process that takes it, and write one fixed-size
// struct event per change into a ring buffer:
//
//   fexit/udp_lib_get_port    a UDP or UDP-Lite socket got its port: bind(),
//                             or the automatic bind of connect() or the
//                             first sendto() (EV_BIND)
//   fexit/inet_csk_get_port   a TCP socket got its port: bind(), or listen()
//                             on an unbound socket (EV_BIND)
//   tp_btf/inet_sock_set_state  a TCP socket starts listening (EV_LISTEN)
//                             or stops (EV_CLOSE, from LISTEN to CLOSE)
//   fentry/udp_lib_unhash     a bound UDP socket is closed or unbound
//                             (EV_CLOSE)
//
// Each event has the socket cookie (the key sock_diag reports too), the
// time (CLOCK_MONOTONIC), the thread and process ids, comm, the uid of the
// caller and of the socket, the network namespace, the family, protocol,
// local address and port, and the socket inode.
//
// Build with bpf/watch-generate.sh (clang 14, libbpf headers); the objects
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
	__u8 s6_addr[16];
};

typedef struct {
	unsigned int val;
} kuid_t;

struct sock_common {
	__be32 skc_rcv_saddr;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_rcv_saddr;
	__u16 skc_num;
	int skc_bound_dev_if;
};

struct inode {
	unsigned long i_ino;
};

struct file {
	struct inode *f_inode;
};

struct socket {
	struct file *file;
};

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

#define BPF_MAP_TYPE_RINGBUF 27

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
	__u32 old_state; // EV_LISTEN, EV_CLOSE from the tracepoint
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

// lost counts events the ring buffer had no room for.
__u64 lost;

static __always_inline void emit(struct sock *sk, __u8 kind, __u32 old_state)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	e->cookie = bpf_get_socket_cookie(sk);
	e->time_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ug;
	e->sock_uid = BPF_CORE_READ(sk, sk_uid.val);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->version = EVENT_VERSION;
	e->kind = kind;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->ifindex = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr.s6_addr);
	} else {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->addr, &a, 4);
	}
	e->inode = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->old_state = old_state;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

SEC("fexit/udp_lib_get_port")
int BPF_PROG(udp_bind, struct sock *sk, unsigned short snum, unsigned int hash2_nulladdr, int ret)
{
	if (ret == 0)
		emit(sk, EV_BIND, 0);
	return 0;
}

SEC("fexit/inet_csk_get_port")
int BPF_PROG(tcp_bind, struct sock *sk, unsigned short snum, int ret)
{
	if (ret == 0)
		emit(sk, EV_BIND, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate == TCP_LISTEN)
		emit(sk, EV_LISTEN, oldstate);
	else if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE)
		emit(sk, EV_CLOSE, oldstate);
	return 0;
}

SEC("fentry/udp_lib_unhash")
int BPF_PROG(udp_unhash, struct sock *sk)
{
	// Called for every UDP socket on close; only a socket with a port
	// was ever reported.
	if (BPF_CORE_READ(sk, __sk_common.skc_num) != 0)
		emit(sk, EV_CLOSE, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
