#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs them all:
# formatting, lints (for Linux, Windows and macOS), every test of the workspace against real
# services on 127.0.0.1, and the Windows build's suites under Wine (docs/platforms.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_rust
ensure_cargo_tool tauri-driver
ensure_windows_cross
ensure_zigbuild
ensure_ui
ensure_model

log "type-checking the front end"
(cd ui && npm run check)

log "checking formatting"
cargo fmt --all -- --check

log "linting (Linux)"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "linting the Windows build ($WINDOWS_TARGET)"
cargo clippy --workspace --all-targets --locked --target "$WINDOWS_TARGET" -- -D warnings

log "linting the macOS build ($MACOS_TARGET, through cargo-zigbuild; nothing is linked)"
# zig's libc headers lack Apple's <os/log.h>, which SQLCipher uses for its own logging only.
CFLAGS_aarch64_apple_darwin="-DSQLCIPHER_OMIT_LOG_DEVICE" \
  cargo-zigbuild clippy --workspace --all-targets --locked --target "$MACOS_TARGET" -- -D warnings

log "building the tests"
cargo test --workspace --locked --no-run

log "building the Windows binaries (handoff, handoff-service, handoff-desk) and test suites"
# No debug info in the Windows builds: nobody debugs them here, and it halves their link time.
windows_cargo=(env CARGO_PROFILE_DEV_DEBUG=0 cargo)
"${windows_cargo[@]}" build --locked --target "$WINDOWS_TARGET" -p handoff-cli -p handoff-service -p handoff-desk
"${windows_cargo[@]}" test --locked --target "$WINDOWS_TARGET" -p handoff-core --no-run
bash scripts/wine/prepare.sh "$CARGO_TARGET_DIR/$WINDOWS_TARGET/debug"

log "running the tests in a private session (D-Bus, keychain)"
# Tests never touch the real home: the session gets a throwaway one. Cargo keeps its own.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
session_home=$(mktemp -d)
wine_env=(WINEPREFIX="$session_home/wine" WINEDEBUG=-all
  "CARGO_TARGET_$(echo "$WINDOWS_TARGET" | tr '[:lower:]-' '[:upper:]_')_RUNNER=$(wine_loader)")
trap 'env "${wine_env[@]}" "$(dirname "$(wine_loader)")/wineserver" -k 2>/dev/null; rm -rf "$session_home"' EXIT
in_session() {
  HOME="$session_home" XDG_DATA_HOME="$session_home/.local/share" XDG_CACHE_HOME="$session_home/.cache" \
    XDG_CONFIG_HOME="$session_home/.config" XDG_STATE_HOME="$session_home/.local/state" \
    dbus-run-session -- scripts/test-session.sh "$@" 2>&1
}
in_session cargo test --workspace --locked --no-fail-fast

log "fuzzing the service's OpenAPI document against a running service (schemathesis)"
bash scripts/schemathesis.sh

log "running the Windows build's core suites under Wine"
env "${wine_env[@]}" scripts/wine/boot.sh
in_session env "${wine_env[@]}" "${windows_cargo[@]}" test --locked --target "$WINDOWS_TARGET" -p handoff-core --no-fail-fast

log "running the CLI suites with the Windows handoff.exe under Wine, against the service running natively"
in_session env "${wine_env[@]}" \
  HANDOFF_CLI_UNDER_TEST="$(wine_loader) $CARGO_TARGET_DIR/$WINDOWS_TARGET/debug/handoff.exe" \
  cargo test --locked -p handoff-cli --no-fail-fast
