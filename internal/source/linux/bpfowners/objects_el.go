//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpfowners

import (
	_ "embed" // the compiled iterator program
	"encoding/binary"
)

// object is the compiled iterator for little-endian hosts (bpf/generate.sh).
//
//go:embed taskfile_bpfel.o
var object []byte

// objectOrder is the byte order of object and of the records it writes.
var objectOrder binary.ByteOrder = binary.LittleEndian
