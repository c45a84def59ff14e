#!/usr/bin/env bash
# Runs a command inside the private desktop session the tests need. Called by scripts/test.sh
# under `dbus-run-session`, with HOME pointing at a throwaway directory. Starts:
# - a Secret Service keychain (gnome-keyring, unlocked) for the keychain tests;
# - a virtual display (Xvfb) and a notification daemon (dunst) for the desktop tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# The keyring daemon creates and unlocks a "login" keyring with this throwaway password.
echo -n "handoff-test" | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null
export HANDOFF_TEST_KEYCHAIN=1

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

if command -v Xvfb >/dev/null && command -v dunst >/dev/null; then
  display_file=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$display_file" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$display_file" ] && break; sleep 0.05; done
  export DISPLAY=":$(head -n1 "$display_file")"
  dunst -config "$here/dunstrc" >/dev/null 2>&1 &
  pids+=($!)
  # Wait until dunst owns the name; calling it earlier would D-Bus-activate a second daemon.
  for _ in $(seq 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q true; then
      export HANDOFF_TEST_DESKTOP=1
      break
    fi
    sleep 0.1
  done
fi

"$@"
