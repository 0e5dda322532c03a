//go:build linux

package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
)

// recvBufSize is the user-space receive buffer. The kernel caps one dump
// datagram at about 32 KiB (SKB_WITH_OVERHEAD(32768)), so a buffer of this
// size is reused for every datagram instead of peeking at each one.
const recvBufSize = 32 << 10

// Conn is a NETLINK_SOCK_DIAG socket in one network namespace. A Conn is
// not safe for concurrent use.
type Conn struct {
	nl *netlink.Conn
	// record, when set (by tests), receives every reply message of every
	// request, header included, before it is decoded.
	record func(Request, netlink.Message)
}

// Open opens a sock_diag socket in the network namespace netnsFD refers to
// (an open /proc/PID/ns/net or /run/netns/NAME), or in the calling
// thread's namespace when netnsFD < 0. Entering another namespace needs
// CAP_SYS_ADMIN. An error for which IsRefused is true means sock_diag
// cannot be used here.
func Open(netnsFD int) (*Conn, error) {
	if netnsFD == 0 {
		// netlink.Config treats NetNS 0 as "the calling thread's", so a
		// namespace file opened as fd 0 would be silently ignored.
		return nil, errors.New("open sock_diag: network namespace fd 0 is not supported; pass -1 for the current namespace")
	}
	cfg := &netlink.Config{MessageBufferSize: recvBufSize}
	if netnsFD > 0 {
		cfg.NetNS = netnsFD
	}
	nl, err := netlink.Dial(unix.NETLINK_SOCK_DIAG, cfg)
	if err != nil {
		return nil, classify("open sock_diag socket", err)
	}
	return &Conn{nl: nl}, nil
}

// Close closes the netlink socket.
func (c *Conn) Close() error {
	if err := c.nl.Close(); err != nil {
		return fmt.Errorf("close sock_diag socket: %w", err)
	}
	return nil
}

// Dump lists the sockets q asks for, one kernel dump per protocol and
// family. Sockets are decoded straight from the received datagrams. An
// optional protocol (SCTP, raw) whose handler the kernel lacks is reported
// in Result.Unavailable; every other failure is an error, and IsRefused
// tells whether it means sock_diag is unusable here.
func (c *Conn) Dump(q Query) (*Result, error) {
	reqs, err := q.Requests()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	var uids uidSlab
	var payload [ReqSize]byte
	for _, r := range reqs {
		data, err := r.AppendBinary(payload[:0])
		if err != nil {
			return nil, err
		}
		sent, err := c.nl.Send(netlink.Message{
			Header: netlink.Header{Type: MsgSockDiagByFamily, Flags: netlink.Request | netlink.Dump},
			Data:   data,
		})
		if err != nil {
			return nil, classify("send sock_diag dump request for "+r.String(), err)
		}
		var rerr error
		for m, err := range c.nl.ReceiveIter() {
			if err != nil {
				rerr = err
				break
			}
			if m.Header.Sequence != sent.Header.Sequence {
				rerr = fmt.Errorf("reply has sequence %d, want %d", m.Header.Sequence, sent.Header.Sequence)
				break
			}
			if m.Header.Type != MsgSockDiagByFamily {
				rerr = fmt.Errorf("reply of unexpected type %d", m.Header.Type)
				break
			}
			if c.record != nil {
				c.record(r, m)
			}
			s, err := decode(m.Data, r.Proto, binary.NativeEndian, &uids)
			if err != nil {
				rerr = err
				break
			}
			res.Sockets = append(res.Sockets, s)
			if !res.Sockopt {
				res.Sockopt = carriesAttr(m.Data, binary.NativeEndian, attrSockopt)
			}
		}
		if rerr == nil {
			continue
		}
		if errors.Is(rerr, unix.ENOENT) && (r.Proto == snapshot.SCTP || r.Proto == snapshot.Raw) {
			res.Unavailable = append(res.Unavailable, Unavailable{Request: r, Err: unwrapErrno(rerr)})
			continue
		}
		if errors.Is(rerr, unix.ENOENT) {
			return nil, fmt.Errorf("dump %s: %w: the kernel has no sock_diag handler for it: %w", r, ErrRefused, rerr)
		}
		return nil, classify("dump "+r.String(), rerr)
	}
	return res, nil
}

// classify wraps err with op, marking the errors that mean sock_diag is
// unusable here with ErrRefused.
func classify(op string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPROTONOSUPPORT) {
		return fmt.Errorf("%s: %w: %w", op, ErrRefused, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unwrapErrno returns the errno inside err when there is one, for a
// shorter message in a gap.
func unwrapErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
