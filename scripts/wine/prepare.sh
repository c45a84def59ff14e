#!/usr/bin/env bash
# Test tooling: puts the bcryptprimitives.dll stand-in (see bcryptprimitives.c) beside the Windows
# binaries and test suites in the given cargo output folder, so that they start under Wine 8.
# Never part of what ships.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: prepare.sh CARGO_OUTPUT_DIR}"
dll="$out/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ "$here/bcryptprimitives.c" -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
fi
# Test binaries run from deps/.
mkdir -p "$out/deps"
cp -f "$dll" "$out/deps/bcryptprimitives.dll"
