#!/usr/bin/env bash
# Fuzzes a real handoff-service with schemathesis: every operation of its OpenAPI document, all
# checks, the stateful phase included, bounded in examples and time. Exits non-zero on any
# failure. The service runs on 127.0.0.1 with a temp database, two agents (the run uses Alice's
# token), seeded waiting conversations and an intake secret; scripts/schemathesis/hooks.py signs
# intake requests (v2) the way a bot platform does.
#
#   scripts/schemathesis.sh            # the bounded run of scripts/test.sh
#   ST_MAX_EXAMPLES=200 ST_MAX_TIME=600 scripts/schemathesis.sh   # a longer one
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_schemathesis

max_examples="${ST_MAX_EXAMPLES:-25}"
max_time="${ST_MAX_TIME:-150}"
seed="${ST_SEED:-20260}"

cargo build --locked -q -p handoff-service --bin handoff-service
service_bin="$CARGO_TARGET_DIR/debug/handoff-service"

work=$(mktemp -d)
service_pid=""
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

db="$work/service.sqlite"
token=$("$service_bin" agents add Alice --db "$db" | tail -n1)
"$service_bin" agents add Bob --db "$db" >/dev/null
"$service_bin" seed --db "$db" --conversations 20 --messages 3 >/dev/null
export HANDOFF_INTAKE_SECRET="schemathesis-intake-secret-$RANDOM$RANDOM"

HANDOFF_LOG=warn "$service_bin" serve --db "$db" --addr 127.0.0.1:0 --wait-notice-after 0 --heartbeat 0.2 \
  --simulate-every 0 >"$work/service.out" 2>"$work/service.err" &
service_pid=$!
base_url=""
for _ in $(seq 1 100); do
  base_url=$(sed -n 's/^listening on //p' "$work/service.out" | head -n1)
  [ -n "$base_url" ] && break
  kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.err" >&2; echo "handoff-service did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base_url" ] || { echo "handoff-service did not say where it listens" >&2; exit 1; }

started=$(date +%s)
status=0
# Run from the temp dir: schemathesis and hypothesis leave caches in the working directory.
here="$PWD"
(cd "$work" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here/scripts/schemathesis" \
  schemathesis --config-file "$here/scripts/schemathesis/schemathesis.toml" run "$base_url/v1/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  --max-time "$max_time" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --no-color \
  -H "Authorization: Bearer $token" \
  >"$work/schemathesis.out" 2>&1) || status=$?
# The report: phases, each failure with a curl line to reproduce it, then the summary.
cat "$work/schemathesis.out"
echo "schemathesis: exit $status in $(( $(date +%s) - started )) s (max $max_examples examples per operation, seed $seed)"
if ! kill -0 "$service_pid" 2>/dev/null; then
  echo "handoff-service died during the run:" >&2
  cat "$work/service.err" >&2
  status=1
fi
exit "$status"
