#!/usr/bin/env bash
# Test tooling: creates the Wine prefix named by WINEPREFIX (without the Mono and Gecko installers,
# which would want the internet) and leaves its wineserver running, so that each Windows process
# the tests start does not pay for a server start. `wineserver -k` ends it.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
: "${WINEPREFIX:?set WINEPREFIX}"
loader=$(wine_loader)
server="$(dirname "$loader")/wineserver"
[ -x "$server" ] || server=$(command -v wineserver)
# A persistent server first (if one already runs for this prefix, it stays), then the prefix.
"$server" -p 2>/dev/null || true
WINEDLLOVERRIDES="mscoree,mshtml=" "$loader" wineboot --init >/dev/null 2>&1
