#!/usr/bin/env bash
# Sets up and runs Handoff Desk. With no service configured (HANDOFF_SERVER unset) it runs the
# reference service with its demo workspace on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt "${BUILD_PACKAGES[@]}"
ensure_rust

log "building handoff-service (release)"
cargo build --release --locked -p handoff-service
log "starting the demo workspace; stop with Ctrl-C"
exec "$CARGO_TARGET_DIR/release/handoff-service" serve --demo "$@"
