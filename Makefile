# ibkr-tray: `make` lists the targets. `make demo` runs the app against the
# built-in gateway simulator; `make test` runs every test. Both install the
# Debian/Ubuntu packages they need first.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG := en_US.UTF-8
# Build with this patched Go, whatever Go the machine has: the go command
# fetches it once through the module proxy and keeps it in the module cache.
# (A Go set to GOTOOLCHAIN=local, as this project's machines are, ignores
# go.mod's toolchain line; this export does not depend on it.)
export GOTOOLCHAIN := go1.27.3
GO ?= go
BIN := ibkr-tray
STATICCHECK_VERSION := v0.8.2
# Tools built by this toolchain, kept apart from ~/go/bin: a staticcheck built
# by an older Go cannot read the newer standard library.
TOOLS := $(HOME)/.cache/ibkr-tray/tools/$(GOTOOLCHAIN)
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOVULNCHECK_VERSION := v1.9.0
GOVULNCHECK := $(TOOLS)/govulncheck-$(GOVULNCHECK_VERSION)/govulncheck
# The golang.org/x/vulndb snapshot the offline database is built from (pinned
# so that CI is repeatable; `make vuln VULNDB_VERSION=latest` checks against
# the newest advisories the module proxy has).
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018

# Packages from ../shared/desktop-stack-notes.md: cgo + GL + X11 to build
# Fyne; Xvfb, D-Bus, gnome-keyring and Chromium to run and test.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
RUN_PKGS := chromium dbus gnome-keyring libsecret-tools xdg-utils
TEST_PKGS := xvfb x11-utils xdotool x11-apps imagemagick procps

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## Install the system packages needed to build, run and test (apt-get; skipped when present)
	@.ci/apt-install $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS)

.PHONY: build
build: deps ## Build ./ibkr-tray
	$(GO) build -o $(BIN) .

.PHONY: demo
demo: build ## Run the tray app against the built-in simulator (no IBKR account needed)
	./$(BIN) --demo

.PHONY: test
test: deps ## Run all tests: unit and end-to-end (private X display, D-Bus, keyring, Chromium)
	IBKR_TRAY_REQUIRE_DESKTOP=1 $(GO) test -race -count=1 -timeout 40m ./...
	$(MAKE) --no-print-directory test-headless

.PHONY: headless
headless: ## Build ./ibkr-tray-headless without cgo: static, every command but the tray
	CGO_ENABLED=0 $(GO) build -o $(BIN)-headless .

NFPM_VERSION := v2.48.0
# The version of the packages is FyneApp.toml's (ui/version.Number says the same).
VERSION = $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)

.PHONY: deb
deb: headless nfpm ## Build dist/ibkr-tray-headless_VERSION_ARCH.deb: the headless build and its systemd user unit
	mkdir -p dist
	VERSION=$(VERSION) GOARCH=$$($(GO) env GOARCH) nfpm package --config .ci/package/nfpm.yaml --packager deb --target dist/

FYNE_TOOL_VERSION := v1.7.4
PACKAGE_PKGS := desktop-file-utils xz-utils

.PHONY: package
package: deps fyne-tool ## Write dist/ibkr-tray-VERSION-linux-ARCH.tar.xz (fyne package: binary, desktop entry, icons) and check it
	@.ci/apt-install $(PACKAGE_PKGS)
	@# fyne package rewrites FyneApp.toml (its layout, Build + 1): keep the file as committed.
	cp FyneApp.toml FyneApp.toml.keep; fyne package -os linux --release; status=$$?; mv FyneApp.toml.keep FyneApp.toml; exit $$status
	mkdir -p dist
	mv ibkr-tray.tar.xz dist/ibkr-tray-$(VERSION)-linux-$$($(GO) env GOARCH).tar.xz
	.ci/check-package dist/ibkr-tray-$(VERSION)-linux-$$($(GO) env GOARCH).tar.xz $(VERSION)

.PHONY: fyne-tool
fyne-tool:
	@command -v fyne >/dev/null || $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOL_VERSION)

.PHONY: nfpm
nfpm:
	@command -v nfpm >/dev/null || $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

.PHONY: test-headless
# No -race: the race detector needs cgo.
test-headless: deps nfpm ## Run the runner, cli, config, session and gateway tests built without cgo (and the .deb's)
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 20m ./ui/runner/ ./ui/cli/ ./ui/config/ ./ui/profiles/ ./ui/withtray/ ./session/... ./gateway/...

.PHONY: screenshots
screenshots: ## Draw the windows' screenshots into docs/screenshots (software renderer, a few seconds)
	$(GO) test -count=1 -run '^TestScreenshots$$' ./ui/ -screenshots $(CURDIR)/docs/screenshots

.PHONY: bench
# Each benchmark takes its own samples (at least 20) whatever b.N is, so one
# iteration each; -p 1 keeps packages from measuring while others load the CPU.
bench: deps ## Run the benchmarks: median and p95 tables (about 15 minutes)
	set -o pipefail; IBKR_TRAY_REQUIRE_DESKTOP=1 $(GO) test -p 1 -run '^$$' -bench . -benchtime 1x -timeout 60m ./... | tee bench.txt

.PHONY: lint
# go vet and staticcheck never see ui/third_party (a copy of an upstream
# module): it has its own go.mod, so ./... stops there. gofmt checks it too.
lint: ## gofmt, go vet (linux, darwin, windows) and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./gateway/... ./session/...
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./gateway/... ./session/...
	@test -x $(STATICCHECK) || GOBIN=$(dir $(STATICCHECK)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...

.PHONY: vuln
vuln: ## Look for known vulnerabilities the code reaches (govulncheck, offline database from golang.org/x/vulndb)
	@test -x $(GOVULNCHECK) || GOBIN=$(dir $(GOVULNCHECK)) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	db=$$(.ci/vulndb $(VULNDB_VERSION)) && $(GOVULNCHECK) -db file://$$db ./...

.PHONY: clean
clean: ## Remove the built binaries and packages
	rm -f $(BIN) $(BIN)-headless
	rm -rf dist
