# Shared helpers of the project scripts: install what is missing, find the cargo target dir.
# Sourced, not run.

# Builds reuse one target dir outside the clone, so a fresh clone does not rebuild everything.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/handoff-desk/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

# ensure_apt PACKAGE... — installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_rust — cargo, rustfmt and clippy.
ensure_rust() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    ensure_apt curl ca-certificates
    log "installing the Rust toolchain with rustup"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if command -v rustup >/dev/null; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  fi
}

# The packages every build of the workspace needs (libdbus: the OS keychain client; the rest:
# Tauri's WebKitGTK shell), and Node.js for the front end.
BUILD_PACKAGES=(build-essential pkg-config curl file libssl-dev libdbus-1-dev libxdo-dev libwebkit2gtk-4.1-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libgtk-3-dev)
# What the tests need to run: a private D-Bus session, a Secret Service keychain, a virtual
# display, WebKit's WebDriver, a notification daemon, fonts and screenshots.
TEST_PACKAGES=(dbus dbus-x11 gnome-keyring xvfb xauth webkit2gtk-driver dunst libnotify-bin xdotool imagemagick
  fonts-dejavu-core)

# ensure_node — node and npm (Debian's, when none is installed).
ensure_node() {
  command -v npm >/dev/null && return 0
  ensure_apt nodejs npm
}

# ensure_ui — the front end's packages and its build (the app embeds ui/dist).
ensure_ui() {
  ensure_node
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules ]; then
    log "installing the front end's packages"
    (cd ui && npm ci --no-audit --no-fund)
  fi
  log "building the front end"
  (cd ui && npm run build)
}

# ensure_cargo_tool NAME — a cargo-installed tool.
ensure_cargo_tool() {
  command -v "$1" >/dev/null || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/$1" ] && return 0
  log "installing $1"
  cargo install --locked "$1"
}

# --- other systems, checked from this Linux machine (docs/platforms.md) -----------------------

WINDOWS_TARGET=x86_64-pc-windows-gnu
MACOS_TARGET=aarch64-apple-darwin
# Zig links nothing here (Apple's SDK is not available); it compiles the C code of the -sys
# crates against its own Darwin headers, so that clippy can check the whole workspace for macOS.
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1

# ensure_rust_target TRIPLE — the standard library for another target.
ensure_rust_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
  log "adding the Rust target $1"
  rustup target add "$1"
}

# ensure_windows_cross — mingw-w64 (linker and C compiler for the Windows target) and Wine.
ensure_windows_cross() {
  ensure_apt mingw-w64 wine64
  ensure_rust_target "$WINDOWS_TARGET"
}

# The Wine loader: Debian's wine64 package installs it outside PATH.
wine_loader() {
  if [ -x /usr/lib/wine/wine64 ]; then echo /usr/lib/wine/wine64; else command -v wine64 || command -v wine; fi
}

# ensure_zigbuild — ziglang and cargo-zigbuild from the Python registry, in a venv of their own.
ensure_zigbuild() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/handoff-desk/zigbuild-venv"
  if [ "$("$venv/bin/pip" freeze 2>/dev/null | grep -ciE "^(ziglang==$ZIGLANG_VERSION|cargo-zigbuild==$CARGO_ZIGBUILD_VERSION)$")" != 2 ]; then
    log "installing ziglang $ZIGLANG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION"
    python3 -m venv "$venv" 2>/dev/null || { ensure_apt python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
  fi
  export PATH="$venv/bin:$PATH"
  ensure_rust_target "$MACOS_TARGET"
}

# --- API fuzzing ------------------------------------------------------------------------------

SCHEMATHESIS_VERSION=4.32.5

# ensure_schemathesis — schemathesis from the Python registry, in a venv of its own.
ensure_schemathesis() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/handoff-desk/schemathesis-venv"
  if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qix "schemathesis==$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis $SCHEMATHESIS_VERSION"
    python3 -m venv "$venv" 2>/dev/null || { ensure_apt python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  export PATH="$venv/bin:$PATH"
}
