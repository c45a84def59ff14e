#!/usr/bin/env bash
# Benchmarks: the crates' `cargo bench` suites, then an end-to-end scenario with the release
# binaries (service seeded with 10,000 conversations / 500,000 messages, then the `handoff` CLI).
# Results are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt "${BUILD_PACKAGES[@]}" curl bc
ensure_rust
ensure_model

if [ "${1:-}" = "--desktop-only" ]; then
  desktop_only=1
fi

if [ -z "${desktop_only:-}" ] && [ "${1:-}" != "--e2e-only" ]; then
  log "cargo bench: change feed"
  cargo bench --locked -p handoff-service --bench change_feed
  log "cargo bench: core"
  cargo bench --locked -p handoff-core --bench core
fi

desktop_bench() {
  log "desktop: cold start, memory, opening a 1,000-message transcript (release build, under Xvfb)"
  ensure_apt "${TEST_PACKAGES[@]}"
  ensure_cargo_tool tauri-driver
  ensure_ui
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  local session_home
  session_home=$(mktemp -d)
  HOME="$session_home" HANDOFF_BENCH_DESKTOP=1 dbus-run-session -- scripts/test-session.sh \
    cargo test --release --locked -p handoff-desk --test desktop_bench -- --test-threads=1 --nocapture
  rm -rf "$session_home"
}

if [ -n "${desktop_only:-}" ]; then
  desktop_bench
  exit 0
fi

log "end to end with the release binaries"
cargo build --release --locked -p handoff-service -p handoff-cli
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
trap 'kill $service_pid 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work" HANDOFF_DATA_DIR="$work/desk"
# No keychain outside a desktop session: the encrypted cache's key comes from the environment.
HANDOFF_CACHE_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export HANDOFF_CACHE_KEY
"$bin/handoff-service" seed --db "$work/service.sqlite" --conversations 10000 --messages 50
HANDOFF_SERVER_TOKEN=$("$bin/handoff-service" agents add "Bench Agent" --db "$work/service.sqlite" | tail -n 1)
"$bin/handoff-service" serve --db "$work/service.sqlite" --addr 127.0.0.1:0 --wait-notice-after 0 \
  >"$work/serve.out" 2>"$work/serve.err" &
service_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
export HANDOFF_SERVER=$(sed -n 's/^listening on //p' "$work/serve.out") HANDOFF_TOKEN="$HANDOFF_SERVER_TOKEN"

now() { date +%s.%N; }
elapsed_ms() { echo "($2 - $1) * 1000" | bc -l | xargs printf '%.0f'; }

t0=$(now); "$bin/handoff" sync; t1=$(now)
echo "e2e: first sync of 10,000 conversations / 500,000 messages: $(elapsed_ms "$t0" "$t1") ms"

id=5000
t0=$(now); for _ in $(seq 20); do "$bin/handoff" show $id --json >/dev/null; done; t1=$(now)
echo "e2e: handoff show (50 messages, whole process) averaged over 20 runs: $(( $(elapsed_ms "$t0" "$t1") / 20 )) ms"
t0=$(now); for _ in $(seq 20); do
  curl -sf -H "Authorization: Bearer $HANDOFF_TOKEN" "$HANDOFF_SERVER/v1/conversations/$id/messages?limit=1000" >/dev/null
done; t1=$(now)
echo "e2e: the same transcript with curl from the service, averaged over 20 runs: $(( $(elapsed_ms "$t0" "$t1") / 20 )) ms"
t0=$(now); for _ in $(seq 20); do "$bin/handoff" search "refund declined" >/dev/null; done; t1=$(now)
echo "e2e: handoff search over 500,000 messages (whole process), averaged over 20 runs: $(( $(elapsed_ms "$t0" "$t1") / 20 )) ms"

desktop_bench
