//go:build linux && (mips || mips64 || ppc64 || s390x)

package bpfowners

import (
	_ "embed" // the compiled iterator program
	"encoding/binary"
)

// object is the compiled iterator for big-endian hosts (bpf/generate.sh).
//
//go:embed taskfile_bpfeb.o
var object []byte

// objectOrder is the byte order of object and of the records it writes.
var objectOrder binary.ByteOrder = binary.BigEndian
