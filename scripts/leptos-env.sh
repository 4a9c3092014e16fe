# The environment cargo-leptos gives the server build. Source it before plain cargo commands
# (`cargo test`, `cargo build -p server`, `cargo bench`) so they reuse cargo-leptos's
# artifacts instead of compiling the whole dependency tree a second time.
#   . scripts/leptos-env.sh           debug (as `cargo leptos build`)
#   . scripts/leptos-env.sh release   release (as `cargo leptos build --release`)
export LEPTOS_OUTPUT_NAME=dojang LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
  LEPTOS_BIN_DIR=server LEPTOS_HASH_FILES=false
# Views are type-erased in both profiles (`erase_components`): faster debug builds, and a
# release wasm a quarter smaller (2.44 → 1.83 MB after wasm-opt).
export RUSTFLAGS="--cfg erase_components"
if [ "${1:-debug}" = release ]; then
  export LEPTOS_JS_MINIFY=true
else
  export LEPTOS_JS_MINIFY=false
fi
