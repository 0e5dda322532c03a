#!/usr/bin/env bash
# generate.sh compiles the eBPF programs in this directory into the objects
# the Go packages embed, one per byte order (bpfel: little-endian hosts such
# as amd64 and arm64; bpfeb: big-endian hosts such as s390x):
#
#   PROGRAM   source             objects                    package (default OUTDIR)
#   taskfile  task_file.bpf.c    taskfile_bpfel.o, _bpfeb.o internal/source/linux/bpfowners
#   watch     watch.bpf.c        watch_bpfel.o, _bpfeb.o    internal/source/linux/bpfwatch
#
# Usage: bpf/generate.sh [OUTDIR [PROGRAM...]]
#
# Without PROGRAM it builds every program; without OUTDIR (or with an empty
# one) each program's objects go to its own package.
#
# Needs Debian's clang-14 (package clang-14), llvm-strip-14 (llvm-14) and the
# libbpf headers (libbpf-dev); CLANG, STRIP and BPF_INCLUDE override them.
# The kernel types the programs read are declared in the sources with CO-RE
# relocations, so no vmlinux.h (and no bpftool) is needed and the objects
# do not depend on the kernel of the build machine.
#
# The build is reproducible: it runs in this directory with a relative
# source name, maps the directory away from the debug information and strips
# DWARF (the BTF that the loader needs stays), so two runs, from any
# checkout path, write the same bytes. TestObjectsUpToDate in bpfowners and
# in bpfwatch checks that the committed objects are what this script makes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-}
if [ $# -gt 0 ]; then
	shift
fi
if [ -n "$outdir" ]; then
	outdir=$(cd "$outdir" && pwd)
fi
programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
	programs=(taskfile watch)
fi
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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for program in "${programs[@]}"; do
	case "$program" in
	taskfile) src=task_file.bpf.c pkg=bpfowners ;;
	watch) src=watch.bpf.c pkg=bpfwatch ;;
	*)
		echo "generate.sh: unknown program $program (taskfile or watch)" >&2
		exit 1
		;;
	esac
	out=$(cd "${outdir:-$here/../internal/source/linux/$pkg}" && pwd)
	cd "$here"
	for target in bpfel bpfeb; do
		obj=${program}_$target.o
		"$CLANG" -target "$target" -O2 -g -Wall -Werror \
			-nostdinc -isystem "$BPF_INCLUDE" \
			-fdebug-prefix-map="$here"=. -fno-ident \
			-c "$src" -o "$tmp/$obj"
		"$STRIP" -g "$tmp/$obj"
		mv "$tmp/$obj" "$out/$obj"
	done
done
