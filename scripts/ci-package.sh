#!/usr/bin/env bash
# ci-package.sh: the package check CI runs (as root, on Debian). It builds
# the .deb of this tree, installs it with dpkg -i, and checks what a person
# gets: openports --version, its man page, and the bash completion of
# `openports explain s<TAB>`. The package is removed again at the end.
#
# The .deb is built with nfpm (packaging/nfpm.yaml, the same contents as the
# nfpms of .goreleaser.yaml), run with `go run` from the Go module proxy:
# building all of goreleaser would cost CI many minutes; `make package`
# builds everything with goreleaser.
set -euo pipefail
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null; then
	echo "ci-package: SKIP: needs root and dpkg (Debian)"
	exit 0
fi
if dpkg-query -W -f='${Status}' openports 2>/dev/null | grep -q 'install ok installed'; then
	echo "ci-package: an openports package is already installed here; not touching it" >&2
	exit 1
fi

arch=$(dpkg --print-architecture)
version=0.0.0~ci$(git rev-parse --short HEAD 2>/dev/null || echo 0)
make build >/dev/null
./scripts/packaging/extras.sh build/extras
out=$(mktemp -d)
trap 'rm -rf "$out"; dpkg -r openports >/dev/null 2>&1 || true' EXIT
VERSION=$version ARCH=$arch go run "$NFPM" package -f packaging/nfpm.yaml -p deb -t "$out/"
deb=$(ls "$out"/*.deb)
echo "ci-package: built $deb"
dpkg-deb --contents "$deb"
dpkg -i "$deb"

fail=0
check() { # check NAME COMMAND...: run, show, count failures
	# out is local: the EXIT trap removes the global $out (the .deb's
	# directory), which a check must not overwrite with its output.
	local name=$1 out; shift
	if out=$("$@" 2>&1); then
		echo "ci-package: ok: $name: $(echo "$out" | head -3 | tr '\n' ' ')"
	else
		echo "ci-package: FAIL: $name: $out"; fail=1
	fi
}
check "openports --version" /usr/bin/openports --version
check "man -w openports" man -w openports
check "man -w openports-list" man -w openports-list
completion() {
	local words
	words=$(bash -c '
		source /usr/share/bash-completion/bash_completion
		source /usr/share/bash-completion/completions/openports
		COMP_WORDS=(openports explain s); COMP_CWORD=2
		COMP_LINE="openports explain s"; COMP_POINT=${#COMP_LINE}
		__start_openports openports s explain 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"')
	grep -qx ssh <<<"$words"
}
check "bash completion of 'openports explain s<TAB>' offers ssh" completion
check "systemd units installed" test -f /usr/lib/systemd/system/openports-check.timer
if command -v systemd-analyze >/dev/null; then
	verify() { # systemd-analyze prints warnings but exits 0: any output fails
		local out
		out=$(systemd-analyze verify --man=no /usr/lib/systemd/system/openports-check.service \
			/usr/lib/systemd/system/openports-check.timer /usr/lib/systemd/system/openports-watch.service 2>&1) || { echo "$out"; return 1; }
		[ -z "$out" ] || { echo "$out"; return 1; }
	}
	check "systemd-analyze verify on the installed units" verify
fi
if [ "$fail" -ne 0 ]; then
	echo "ci-package: FAILED"
	exit 1
fi
echo "ci-package: every check passed"
