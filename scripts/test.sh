#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs them all:
# formatting, lints, and every test of the workspace against real services on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt "${BUILD_PACKAGES[@]}"
ensure_rust

log "checking formatting"
cargo fmt --all -- --check

log "linting"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "running the tests"
cargo test --workspace --locked --no-fail-fast 2>&1
