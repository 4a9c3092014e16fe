#!/usr/bin/env bash
# Installs what Dojang needs to build and run (and, with --test, to run its tests).
# Idempotent: every step checks first, so a second run takes a second or two.
# Everything comes from the package registries (crates.io, PyPI, npm, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

WANT_TEST=0
WANT_RELEASE=0
for arg in "$@"; do
  case "$arg" in
    --test) WANT_TEST=1 ;;
    --release) WANT_RELEASE=1 ;;
    *) echo "usage: $0 [--test] [--release]" >&2; exit 2 ;;
  esac
done

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock
PYPDFIUM2_VERSION=5.15.2       # ships libpdfium.so (PDFium build 8149)
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# --- Rust toolchain pieces -------------------------------------------------------------
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  # 0.3.11 needs a newer rustc; no_downloads keeps it from fetching tools from GitHub.
  # A debug build of the tool is much quicker to install and fast enough to drive cargo.
  step "cargo install cargo-leptos $CARGO_LEPTOS_VERSION"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads --debug
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Not --locked: its lockfile names a webpki-roots version the index lacks.
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# --- PDFium (from the pypdfium2 wheel on PyPI) -------------------------------------------
if [ ! -f "$TOOLS/pdfium/libpdfium.so" ]; then
  step "PDFium from pypdfium2 $PYPDFIUM2_VERSION"
  rm -rf "$TOOLS/dl" && mkdir -p "$TOOLS/dl" "$TOOLS/pdfium"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --python-version 3.11 \
    "pypdfium2==$PYPDFIUM2_VERSION" -d "$TOOLS/dl"
  python3 - "$TOOLS" <<'PY'
import glob, sys, zipfile
tools = sys.argv[1]
wheel = glob.glob(f"{tools}/dl/pypdfium2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    with open(f"{tools}/pdfium/libpdfium.so", "wb") as out:
        out.write(z.read("pypdfium2_raw/libpdfium.so"))
PY
  rm -rf "$TOOLS/dl"
fi

# --- Release builds: wasm-opt (Debian's binaryen 108 breaks hydration; npm's 132 works) ---
BINARYEN_VERSION=132.0.0
if [ "$WANT_RELEASE" = 1 ] && ! "$TOOLS/binaryen/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "${BINARYEN_VERSION%%.*}"; then
  step "npm binaryen@$BINARYEN_VERSION (wasm-opt)"
  mkdir -p "$TOOLS/binaryen"
  (cd "$TOOLS/binaryen" && npm install --no-audit --no-fund --loglevel=error --prefix . "binaryen@$BINARYEN_VERSION")
fi

# --- Test tools --------------------------------------------------------------------------
CARGO_FUZZ_VERSION=0.13.2
if [ "$WANT_TEST" = 1 ] && ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi
if [ "$WANT_TEST" = 1 ]; then
  # Chromium for end-to-end tests; poppler (pdfsig, pdftotext, pdftoppm) to check sealed PDFs;
  # PostgreSQL for the second integration run (scripts/services.sh starts a throwaway cluster).
  apt_install chromium poppler-utils postgresql curl
  if [ ! -x "$TOOLS/venv/bin/python" ]; then
    step "python venv for test tools"
    python3 -m venv "$TOOLS/venv"
  fi
  if ! cmp -s end2end/requirements.txt "$TOOLS/venv/.requirements" 2>/dev/null; then
    step "pip install -r end2end/requirements.txt"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check -r end2end/requirements.txt
    cp end2end/requirements.txt "$TOOLS/venv/.requirements"
  fi
  if ! cmp -s end2end/package-lock.json end2end/node_modules/.dojang-lock 2>/dev/null; then
    step "npm ci (end2end)"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.dojang-lock)
  fi
fi

step "setup complete"
