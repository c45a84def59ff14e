#!/usr/bin/env bash
# Sets up and runs Handoff Desk. With no service configured (no HANDOFF_SERVER/HANDOFF_TOKEN and
# never signed in) the app opens a demo workspace backed by the embedded reference service.
#   scripts/run.sh              the desktop app
#   scripts/run.sh --service    only the reference service with its demo workspace (headless)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt "${BUILD_PACKAGES[@]}"
ensure_rust
ensure_model

if [ "${1:-}" = "--service" ]; then
  shift
  log "building handoff-service (release)"
  cargo build --release --locked -p handoff-service
  log "starting the reference service with its demo workspace; stop with Ctrl-C"
  exec "$CARGO_TARGET_DIR/release/handoff-service" serve --demo "$@"
fi

ensure_ui
log "building handoff-desk (release; the first build takes a few minutes)"
cargo build --release --locked -p handoff-desk
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: Handoff Desk needs a desktop session. Headless, run: scripts/run.sh --service" >&2
  exit 1
fi
log "starting Handoff Desk"
exec "$CARGO_TARGET_DIR/release/handoff-desk" "$@"
