package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/openports/openports/internal/snapshot"
)

// ErrRefused marks errors that mean sock_diag cannot be used here at all:
// the netlink socket or a dump was refused (EPERM, EACCES), the kernel has
// no NETLINK_SOCK_DIAG (EPROTONOSUPPORT), or it has no handler for TCP, UDP
// or UDP-Lite. A collector falls back to /proc/net and says so.
var ErrRefused = errors.New("sock_diag refused")

// IsRefused reports whether err means sock_diag is unusable, so that the
// caller should fall back to /proc/net.
func IsRefused(err error) bool { return errors.Is(err, ErrRefused) }

// ReasonUnavailable is the snapshot.Gap reason for a protocol whose
// sock_diag handler the kernel lacks.
const ReasonUnavailable = "sock-diag-unavailable"

// Result is what a dump found.
type Result struct {
	// Sockets are the sockets of every request that succeeded.
	Sockets []snapshot.Socket
	// Unavailable lists the optional requests (SCTP, raw) that the kernel
	// has no sock_diag handler for (ENOENT): their sockets were not seen.
	Unavailable []Unavailable
	// Sockopt is set when a reply carried INET_DIAG_SOCKOPT (Linux 5.10
	// on): only then was Socket.Transparent (IP_TRANSPARENT) read; false
	// with sockets means it was not, on this kernel.
	Sockopt bool
}

// Unavailable is an optional request the kernel could not answer.
type Unavailable struct {
	Request Request
	// Err is the kernel's answer, e.g. "no such file or directory".
	Err error
}

// Gap describes u as a snapshot gap.
func (u Unavailable) Gap() snapshot.Gap {
	return snapshot.Gap{
		Area:   "sockets",
		Reason: ReasonUnavailable,
		Args:   map[string]string{"request": u.Request.String(), "error": fmt.Sprint(u.Err)},
		Detail: fmt.Sprintf("the kernel has no sock_diag handler for %s (%v); such sockets were not listed", u.Request, u.Err),
	}
}

// Netlink message types that end or abort a dump.
const (
	msgError = 2 // NLMSG_ERROR
	msgDone  = 3 // NLMSG_DONE
)

const nlHeaderSize = 16

// KernelError is an NLMSG_ERROR reply found by DecodeStream.
type KernelError struct {
	// Errno is the positive error number the kernel returned.
	Errno int32
}

func (e *KernelError) Error() string {
	return fmt.Sprintf("sock_diag: kernel returned error %d", e.Errno)
}

// DecodeStream decodes a sequence of netlink messages (headers included), as
// recvmsg returns them for one dump, appending the sockets of protocol proto
// to dst. It stops at NLMSG_DONE; an NLMSG_ERROR becomes a *KernelError.
// It is the portable counterpart of Conn.Dump, used for recorded dumps.
func DecodeStream(dst []snapshot.Socket, b []byte, proto snapshot.Proto) ([]snapshot.Socket, error) {
	return decodeStream(dst, b, proto, binary.NativeEndian)
}

func decodeStream(dst []snapshot.Socket, b []byte, proto snapshot.Proto, order binary.ByteOrder) ([]snapshot.Socket, error) {
	var uids uidSlab
	for off := 0; len(b) > 0; {
		if len(b) < nlHeaderSize {
			return dst, fmt.Errorf("netlink message at offset %d: %w: %d bytes, want a %d-byte header", off, ErrShort, len(b), nlHeaderSize)
		}
		n := int(order.Uint32(b[0:4]))
		typ := order.Uint16(b[4:6])
		if n < nlHeaderSize || n > len(b) {
			return dst, fmt.Errorf("netlink message at offset %d: length %d with %d bytes left", off, n, len(b))
		}
		payload := b[nlHeaderSize:n]
		switch typ {
		case msgDone:
			return dst, nil
		case msgError:
			if len(payload) < 4 {
				return dst, fmt.Errorf("netlink error message at offset %d: %w", off, ErrShort)
			}
			if e := -int32(order.Uint32(payload[0:4])); e != 0 {
				return dst, &KernelError{Errno: e}
			}
		case MsgSockDiagByFamily:
			s, err := decode(payload, proto, order, &uids)
			if err != nil {
				return dst, fmt.Errorf("netlink message at offset %d: %w", off, err)
			}
			dst = append(dst, s)
		default:
			return dst, fmt.Errorf("netlink message at offset %d: unexpected type %d", off, typ)
		}
		adv := min((n+3)&^3, len(b))
		b, off = b[adv:], off+adv
	}
	return dst, nil
}
