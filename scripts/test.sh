#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs them all:
# formatting, lints, and every test of the workspace against real services on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_rust
ensure_cargo_tool tauri-driver
ensure_ui

log "type-checking the front end"
(cd ui && npm run check)

log "checking formatting"
cargo fmt --all -- --check

log "linting"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "building the tests"
cargo test --workspace --locked --no-run

log "running the tests in a private session (D-Bus, keychain)"
# Tests never touch the real home: the session gets a throwaway one. Cargo keeps its own.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
session_home=$(mktemp -d)
trap 'rm -rf "$session_home"' EXIT
HOME="$session_home" XDG_DATA_HOME="$session_home/.local/share" XDG_CACHE_HOME="$session_home/.cache" \
  XDG_CONFIG_HOME="$session_home/.config" \
  dbus-run-session -- scripts/test-session.sh cargo test --workspace --locked --no-fail-fast 2>&1
