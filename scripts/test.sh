#!/usr/bin/env bash
# Sets up (first time only) and runs every test: unit and integration tests (cargo), then the
# end-to-end tests in headless Chromium against the built `dojang` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/.tools/venv/bin:$PATH"
export DOJANG_PDFIUM_LIB="$PWD/.tools/pdfium/libpdfium.so"

echo "==> cargo leptos build (server + wasm, debug)"
cargo leptos build

# The same environment cargo-leptos gives the server build, so the tests reuse its artifacts
# instead of compiling the whole dependency tree a second time.
export LEPTOS_OUTPUT_NAME=dojang LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
  LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false \
  RUSTFLAGS="--cfg erase_components"

echo "==> cargo test (unit + integration)"
cargo test -p dojang-core -p app -p server --no-fail-fast

echo "==> end-to-end (Chromium)"
(cd end2end && npx playwright test)
echo "==> all tests passed"
