#!/usr/bin/env bash
# package.sh builds the release artefacts into dist/ with goreleaser
# (.goreleaser.yaml): static tarballs for linux, netbsd, freebsd, openbsd
# and darwin (amd64, arm64), checksums.txt, and .deb, .rpm and .apk packages
# for linux. goreleaser is pinned here and built from the Go module proxy by
# `go run`; nothing else is downloaded.
#
#   scripts/package.sh                 # snapshot of the work tree (make package)
#   scripts/package.sh --single-target # only this machine's GOOS/GOARCH (CI)
set -euo pipefail
GORELEASER=github.com/goreleaser/goreleaser/v2@v2.15.1
cd "$(dirname "$0")/.."
# goreleaser reads the commit from git, but gives "none" in a clone without
# a remote: the commit and its date are passed to the build (.goreleaser.yaml).
if commit=$(git rev-parse HEAD 2>/dev/null); then
	export OPENPORTS_COMMIT=$commit
	export OPENPORTS_DATE=$(git log -1 --format=%cI)
	export OPENPORTS_TIMESTAMP=$(git log -1 --format=%ct)
fi
exec go run "$GORELEASER" release --snapshot --clean --skip=publish,sign,announce "$@"
