#!/usr/bin/env bash
# generate.sh compiles bpf/task_file.bpf.c into the eBPF objects that
# internal/source/linux/bpfowners embeds, one per byte order:
#
#   taskfile_bpfel.o   little-endian hosts (amd64, arm64, ...)
#   taskfile_bpfeb.o   big-endian hosts (s390x, ...)
#
# Usage: bpf/generate.sh [OUTDIR]   (default: internal/source/linux/bpfowners)
#
# Needs Debian's clang-14 (package clang-14), llvm-strip-14 (llvm-14) and the
# libbpf headers (libbpf-dev); CLANG, STRIP and BPF_INCLUDE override them.
# The kernel types the program reads are declared in the source with CO-RE
# relocations, so no vmlinux.h (and no bpftool) is needed and the objects
# do not depend on the kernel of the build machine.
#
# The build is reproducible: it runs in this directory with a relative
# source name, maps the directory away from the debug information and strips
# DWARF (the BTF that the loader needs stays), so two runs, from any
# checkout path, write the same bytes. TestObjectsUpToDate checks that the
# committed objects are what this script makes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../internal/source/linux/bpfowners}
out=$(cd "$out" && pwd)
CLANG=${CLANG:-clang-14}
STRIP=${STRIP:-llvm-strip-14}
BPF_INCLUDE=${BPF_INCLUDE:-/usr/include}

for tool in "$CLANG" "$STRIP"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "generate.sh: $tool not found (apt-get install clang-14 llvm-14 libbpf-dev)" >&2
		exit 1
	fi
done
if [ ! -f "$BPF_INCLUDE/bpf/bpf_helpers.h" ]; then
	echo "generate.sh: $BPF_INCLUDE/bpf/bpf_helpers.h not found (apt-get install libbpf-dev)" >&2
	exit 1
fi

cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for target in bpfel bpfeb; do
	"$CLANG" -target "$target" -O2 -g -Wall -Werror \
		-nostdinc -isystem "$BPF_INCLUDE" \
		-fdebug-prefix-map="$here"=. -fno-ident \
		-c task_file.bpf.c -o "$tmp/taskfile_$target.o"
	"$STRIP" -g "$tmp/taskfile_$target.o"
	mv "$tmp/taskfile_$target.o" "$out/taskfile_$target.o"
done
