//go:build linux && (mips || mips64 || ppc64 || s390x)

package bpfwatch

import (
	_ "embed" // the compiled programs
	"encoding/binary"
)

// object is bpf/watch.bpf.c compiled for big-endian hosts
// (bpf/generate.sh "" watch).
//
//go:embed watch_bpfeb.o
var object []byte

// objectOrder is the byte order of object and of the events it writes.
var objectOrder binary.ByteOrder = binary.BigEndian
