#!/usr/bin/env bash
# Runs a command inside the private desktop session the tests need: called by scripts/test.sh
# under `dbus-run-session`, with HOME pointing at a throwaway directory.
# - a Secret Service (gnome-keyring, unlocked) for the keychain tests.
set -euo pipefail

# The keyring daemon creates and unlocks a "login" keyring with this throwaway password.
echo -n "handoff-test" | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null
export HANDOFF_TEST_KEYCHAIN=1

exec "$@"
