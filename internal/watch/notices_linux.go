package watch

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// noticeBufSize is the user-space buffer one recvmsg of destroy notices
// reads into. The kernel sends each notice as its own datagram (about
// 100 bytes) and a read returns one datagram, so the buffer only has to
// hold the largest one; it is reused for every read.
const noticeBufSize = 8 << 10

// maxNoticeReads bounds how many datagrams one drain of one socket reads
// before it lets the loop take its other work (a poll, the ring buffer).
const maxNoticeReads = 4096

// openNoticeSocket opens a non-blocking NETLINK_SOCK_DIAG socket in the
// network namespace nsFD refers to and joins it to the socket-destroy
// groups. The namespace is entered by a locked thread that returns to its
// own namespace before it is unlocked (a thread that cannot return is left
// locked, so that the runtime ends it).
func openNoticeSocket(nsFD int) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fd, err, back := openInNamespace(nsFD)
		if back {
			runtime.UnlockOSThread()
		}
		ch <- result{fd, err}
	}()
	r := <-ch
	if r.err != nil {
		return -1, r.err
	}
	for _, g := range destroyGroups {
		if err := unix.SetsockoptInt(r.fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(g)); err != nil {
			unix.Close(r.fd)
			return -1, fmt.Errorf("subscribe to sock_diag destroy notices (needs CAP_NET_ADMIN): join group %d: %w", g, err)
		}
	}
	// A larger buffer only lowers the chance of ENOBUFS in a burst; the
	// default one works too. SO_RCVBUFFORCE passes rmem_max (root).
	if err := unix.SetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, destroyReadBuffer); err != nil {
		_ = unix.SetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, destroyReadBuffer)
	}
	return r.fd, nil
}

// openInNamespace runs on a locked thread: it enters nsFD's namespace
// unless the thread is already in it, opens the socket and returns. back
// is false when the thread could not return to its own namespace.
func openInNamespace(nsFD int) (fd int, err error, back bool) {
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open own network namespace: %w", err), true
	}
	defer unix.Close(self)
	var a, b unix.Stat_t
	if err := unix.Fstat(self, &a); err != nil {
		return -1, fmt.Errorf("stat own network namespace: %w", err), true
	}
	if err := unix.Fstat(nsFD, &b); err != nil {
		return -1, fmt.Errorf("stat network namespace: %w", err), true
	}
	enter := a.Ino != b.Ino || a.Dev != b.Dev
	if enter {
		if err := unix.Setns(nsFD, unix.CLONE_NEWNET); err != nil {
			return -1, fmt.Errorf("enter network namespace: %w", err), true
		}
	}
	fd, serr := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_SOCK_DIAG)
	if enter {
		if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
			if serr == nil {
				unix.Close(fd)
			}
			return -1, fmt.Errorf("return to own network namespace: %w", err), false
		}
	}
	if serr != nil {
		return -1, fmt.Errorf("open sock_diag socket: %w", serr), true
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind sock_diag socket: %w", err), true
	}
	return fd, nil, true
}

// noticeReader reads destroy notices of every watched namespace into one
// reused buffer and decodes them in place into a reused slice.
type noticeReader struct {
	buf   []byte
	batch []snapshot.Socket
}

// drain reads every datagram waiting on fd (up to maxNoticeReads),
// appending the decoded sockets, tagged with ino, to r.batch. A read or
// decode failure is passed to fail and the drain goes on where it can
// (ENOBUFS: notices were lost, the next poll finds those sockets gone).
func (r *noticeReader) drain(fd int, ino uint64, fail func(error)) {
	if r.buf == nil {
		r.buf = make([]byte, noticeBufSize)
	}
	for range maxNoticeReads {
		n, err := unix.Read(fd, r.buf)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				return
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.ENOBUFS) {
				fail(fmt.Errorf("destroy notices: %w", err))
				continue
			}
			fail(fmt.Errorf("destroy notices: %w", err))
			return
		}
		if n == 0 {
			return
		}
		start := len(r.batch)
		r.batch, err = sockdiag.DecodeStream(r.batch, r.buf[:n], snapshot.UDP)
		if err != nil {
			fail(fmt.Errorf("decode destroy notice: %w", err))
		}
		for i := start; i < len(r.batch); i++ {
			r.batch[i].NetNS = ino
		}
	}
}
