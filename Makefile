# openports: build, test and cross-compile.
#
#   make test       install missing test packages (apt-get), then vet, gofmt
#                   check and every test, the integration tests included
#   make test-deps  only install what the tests need
#   make build      build bin/openports
#   make man        man pages, one per command, in dist/man (from the cobra commands)
#   make completions bash, zsh and fish completions in dist/completions
#   make package    .deb, .rpm, .apk and tarballs with checksums in dist/ (goreleaser,
#                   pinned, built from the Go module proxy): see docs/fleet.md
#   make cross      build every package for every supported GOOS/GOARCH, and vet
#                   each GOOS (its test files included) on amd64
#   make bench      time openports against ss, netstat, lsof, gopsutil and the
#                   floor on a scenario (as root; PRESET=small by default, or
#                   conns10k, conns50k, procs1k, large): see bench/README.md

GO        ?= go
GOFLAGS_T ?= -count=1 -timeout 30m
# The race detector needs cgo and a C compiler; use it where there is one.
RACE      ?= $(shell command -v "$$($(GO) env CC 2>/dev/null)" >/dev/null 2>&1 && echo -race)
CROSS     := linux/amd64 linux/arm64 netbsd/amd64 netbsd/arm64 freebsd/amd64 freebsd/arm64 \
             openbsd/amd64 openbsd/arm64 darwin/amd64 darwin/arm64

# Identity of the build (openports --version): from git when there is one.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
IDPKG     := github.com/openports/openports/internal/identity
LDFLAGS   := -s -w -X $(IDPKG).version=$(VERSION) -X $(IDPKG).commit=$(COMMIT) -X $(IDPKG).date=$(DATE)

.PHONY: test test-deps vet fmt-check build cross bench fuzz man completions package

test: test-deps vet fmt-check
	GO=$(GO) ./scripts/gotest.sh $(RACE) $(GOFLAGS_T)

test-deps:
	./scripts/test-deps.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: clean"

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/openports ./cmd/openports

cross:
	@fail=0; for t in $(CROSS); do \
		os=$${t%/*}; arch=$${t#*/}; \
		if CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build ./... ; then \
			echo "cross: $$os/$$arch ok"; \
		else \
			echo "cross: $$os/$$arch FAILED"; fail=1; \
		fi; \
	done; \
	for os in netbsd freebsd openbsd darwin; do \
		if CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) vet ./... ; then \
			echo "cross: vet (tests included) on $$os ok"; \
		else \
			echo "cross: vet (tests included) on $$os FAILED"; fail=1; \
		fi; \
	done; exit $$fail

# fuzz: every fuzz target for FUZZTIME each (3s), for CI; FUZZ=internal/parse
# runs a subset.
fuzz: ; scripts/fuzz.sh $(or $(FUZZTIME),3s) $(or $(FUZZ),.)

bench: ; go run ./bench/runner -preset $(or $(PRESET),small)

# The man page generator is built only with -tags man (cmd/openports/man.go).
man:
	rm -rf dist/man && CGO_ENABLED=0 $(GO) run -tags man ./cmd/openports man dist/man

completions: build
	mkdir -p dist/completions
	bin/openports completion bash > dist/completions/openports.bash
	bin/openports completion zsh  > dist/completions/_openports
	bin/openports completion fish > dist/completions/openports.fish

package:
	./scripts/package.sh
