#!/bin/sh
# extras.sh OUTDIR writes what the packages install beside the binary and
# that is generated from the commands: gzipped man pages (OUTDIR/man) and
# the bash, zsh and fish completions (OUTDIR/completions). goreleaser runs it
# before building (see .goreleaser.yaml); it runs the host's openports from
# source, so it works for every target platform.
set -eu
out=${1:?usage: extras.sh OUTDIR}
rm -rf "$out"
mkdir -p "$out/man" "$out/completions"
go run -tags man ./cmd/openports man "$out/man" # the generator is built only with -tags man
gzip -9n "$out"/man/*.1
go run ./cmd/openports completion bash > "$out/completions/openports.bash"
go run ./cmd/openports completion zsh > "$out/completions/_openports"
go run ./cmd/openports completion fish > "$out/completions/openports.fish"
