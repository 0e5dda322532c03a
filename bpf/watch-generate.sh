#!/usr/bin/env bash
# watch-generate.sh compiles bpf/watch.bpf.c into the eBPF objects that
# internal/source/linux/bpfwatch embeds, one per byte order:
#
#   watch_bpfel.o   little-endian hosts (amd64, arm64, ...)
#   watch_bpfeb.o   big-endian hosts (s390x, ...)
#
# Usage: bpf/watch-generate.sh [OUTDIR]   (default: internal/source/linux/bpfwatch)
#
# The same tools and the same reproducible build as bpf/generate.sh (the
# owner iterator's): Debian's clang-14, llvm-strip-14 and the libbpf headers
# (libbpf-dev); CLANG, STRIP and BPF_INCLUDE override them. Kernel types are
# CO-RE relocated, so no vmlinux.h is needed. TestObjectsUpToDate in
# bpfwatch checks that the committed objects are what this script makes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../internal/source/linux/bpfwatch}
out=$(cd "$out" && pwd)
CLANG=${CLANG:-clang-14}
STRIP=${STRIP:-llvm-strip-14}
BPF_INCLUDE=${BPF_INCLUDE:-/usr/include}

for tool in "$CLANG" "$STRIP"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "watch-generate.sh: $tool not found (apt-get install clang-14 llvm-14 libbpf-dev)" >&2
		exit 1
	fi
done
if [ ! -f "$BPF_INCLUDE/bpf/bpf_helpers.h" ]; then
	echo "watch-generate.sh: $BPF_INCLUDE/bpf/bpf_helpers.h not found (apt-get install libbpf-dev)" >&2
	exit 1
fi

cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for target in bpfel bpfeb; do
	"$CLANG" -target "$target" -O2 -g -Wall -Werror \
		-nostdinc -isystem "$BPF_INCLUDE" \
		-fdebug-prefix-map="$here"=. -fno-ident \
		-c watch.bpf.c -o "$tmp/watch_$target.o"
	"$STRIP" -g "$tmp/watch_$target.o"
	mv "$tmp/watch_$target.o" "$out/watch_$target.o"
done
