//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpfwatch

import (
	_ "embed" // the compiled programs
	"encoding/binary"
)

// object is bpf/watch.bpf.c compiled for little-endian hosts
// (bpf/generate.sh "" watch).
//
//go:embed watch_bpfel.o
var object []byte

// objectOrder is the byte order of object and of the events it writes.
var objectOrder binary.ByteOrder = binary.LittleEndian
