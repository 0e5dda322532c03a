package bpfowners

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// RecordSize is the size in bytes of one record the iterator writes.
const RecordSize = 40

// maxRecords is MAX_RECORDS of bpf/task_file.bpf.c: the most records the
// program writes for one descriptor table, its process record included.
const maxRecords = 800

// RecordVersion is the layout version this decoder understands; the program
// writes it into every record.
const RecordVersion = 3

// Record flags (bits 0..15; the version is in bits 16..31).
const (
	// flagLeader is set when the task is its thread group's leader.
	flagLeader = 1
	// flagProcess marks a process record.
	flagProcess = 2
	// flagTruncated marks a process record whose table held more wanted
	// sockets than the program reports for one table.
	flagTruncated = 4
)

// Record is what the iterator reports (struct record in
// bpf/task_file.bpf.c): either a process, once before its descriptors
// (Process set, FD and Inode 0), or one descriptor that refers to a wanted
// socket (Process unset, NetNS 0).
type Record struct {
	// Process marks a process record.
	Process bool
	// TGID is the process id in the initial PID namespace.
	TGID uint32
	// FD is the descriptor number.
	FD uint32
	// Inode is the socket's inode, as in "socket:[N]".
	Inode uint64
	// StartBoottime is the process's start in nanoseconds of
	// CLOCK_BOOTTIME (task_struct.start_boottime).
	StartBoottime uint64
	// NetNS is, in a process record, the inode of the process's network
	// namespace, 0 when the process was exiting and had none.
	NetNS uint32
	// Leader reports that the task was its thread group's leader.
	Leader bool
	// TID is the task whose descriptor table holds FD: TGID, or a thread
	// with a table of its own (unshare(CLONE_FILES)).
	TID uint32
	// Truncated, in a process record, reports that the table held more
	// wanted sockets than the program reports for one table: the records
	// that follow are not all of them.
	Truncated bool
}

// ErrFormat is wrapped by every decoding error.
var ErrFormat = errors.New("malformed iterator record")

// ParseRecord decodes the record at the start of b, written in byte order
// order. It checks the length and the layout version.
func ParseRecord(b []byte, order binary.ByteOrder) (Record, error) {
	if len(b) < RecordSize {
		return Record{}, fmt.Errorf("%w: %d bytes, want %d", ErrFormat, len(b), RecordSize)
	}
	flags := order.Uint32(b[28:32])
	if v := flags >> 16; v != RecordVersion {
		return Record{}, fmt.Errorf("%w: layout version %d, want %d (object and decoder out of step)", ErrFormat, v, RecordVersion)
	}
	if flags&0xffff&^(flagLeader|flagProcess|flagTruncated) != 0 {
		return Record{}, fmt.Errorf("%w: unknown flags %#x", ErrFormat, flags&0xffff)
	}
	// The program zeroes every record before it fills it: padding that
	// is not zero means the bytes are not a record of this layout.
	if pad := order.Uint32(b[36:40]); pad != 0 {
		return Record{}, fmt.Errorf("%w: padding %#x, want 0", ErrFormat, pad)
	}
	return Record{
		TGID:          order.Uint32(b[0:4]),
		FD:            order.Uint32(b[4:8]),
		Inode:         order.Uint64(b[8:16]),
		StartBoottime: order.Uint64(b[16:24]),
		NetNS:         order.Uint32(b[24:28]),
		Leader:        flags&flagLeader != 0,
		Process:       flags&flagProcess != 0,
		Truncated:     flags&flagTruncated != 0,
		TID:           order.Uint32(b[32:36]),
	}, nil
}

// AppendRecord appends the encoding of r in byte order order to b, as the
// program writes it. Tests use it to make iterator output.
func AppendRecord(b []byte, order binary.AppendByteOrder, r Record) []byte {
	flags := uint32(RecordVersion) << 16
	if r.Leader {
		flags |= flagLeader
	}
	if r.Process {
		flags |= flagProcess
	}
	if r.Truncated {
		flags |= flagTruncated
	}
	b = order.AppendUint32(b, r.TGID)
	b = order.AppendUint32(b, r.FD)
	b = order.AppendUint64(b, r.Inode)
	b = order.AppendUint64(b, r.StartBoottime)
	b = order.AppendUint32(b, r.NetNS)
	b = order.AppendUint32(b, flags)
	b = order.AppendUint32(b, r.TID)
	return order.AppendUint32(b, 0)
}

// maxReads bounds the reads of one iterator: 2^24 reads of at least one
// record each (512 MiB of records) is far beyond any host.
const maxReads = 1 << 24

// ReadRecords reads records written in byte order order from r until EOF
// and calls fn for each. buf is the read buffer, reused; it must hold at
// least one record. A read may end inside a record: the rest is kept for
// the next. Output that ends inside a record is an error, and so is an
// error of fn, which stops the reading.
func ReadRecords(r io.Reader, order binary.ByteOrder, buf []byte, fn func(Record) error) error {
	if len(buf) < RecordSize {
		return fmt.Errorf("read iterator: buffer of %d bytes, want at least %d", len(buf), RecordSize)
	}
	have := 0 // bytes of buf holding a partial record
	for range maxReads {
		n, err := r.Read(buf[have:])
		have += n
		whole := have - have%RecordSize
		for off := 0; off < whole; off += RecordSize {
			rec, perr := ParseRecord(buf[off:off+RecordSize], order)
			if perr != nil {
				return perr
			}
			if ferr := fn(rec); ferr != nil {
				return ferr
			}
		}
		have = copy(buf, buf[whole:have])
		switch {
		case errors.Is(err, io.EOF):
			if have != 0 {
				return fmt.Errorf("%w: output ends %d bytes into a record", ErrFormat, have)
			}
			return nil
		case err != nil:
			return fmt.Errorf("read iterator: %w", err)
		}
	}
	return fmt.Errorf("read iterator: more than %d reads", maxReads)
}
