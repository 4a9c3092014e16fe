#!/usr/bin/env bash
# Builds the signer page's own wasm module (frontend/signer) into public/signer (git-ignored) as
# dojang-signer.js + dojang-signer_bg.wasm. It is always built with the small wasm profile
# (a few seconds once its dependencies are compiled), in its own target folder so that it
# never invalidates cargo-leptos's artifacts; wasm-opt shrinks it further when installed.
# Run it before `cargo leptos build|serve`: they empty the site folder and copy public/ into it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/.tools/binaryen/node_modules/.bin:$PATH"
unset RUSTFLAGS
cargo build --quiet -p dojang-signer --target wasm32-unknown-unknown --profile wasm-release --target-dir target/signer
out=public/signer
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name dojang-signer \
  target/signer/wasm32-unknown-unknown/wasm-release/dojang_signer.wasm
if command -v wasm-opt >/dev/null; then
  wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$out/dojang-signer_bg.wasm" -o "$out/dojang-signer_bg.wasm"
fi
echo "signer module: $(wc -c <"$out/dojang-signer_bg.wasm") bytes of wasm"
