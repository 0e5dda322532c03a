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
# goreleaser reads the commit itself; the go build it runs must not stamp
# VCS data of its own (GOFLAGS may say -buildvcs=false on this machine).
exec go run "$GORELEASER" release --snapshot --clean --skip=publish,sign,announce "$@"
