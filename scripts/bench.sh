#!/usr/bin/env bash
# Runs a benchmark (release build) and writes its table under server/benches/results/.
#   scripts/bench.sh render     page previews beside MuPDF, first page / all pages, memory
#   scripts/bench.sh seal       sealing a 100-page PDF beside pdf-lib + @signpdf (Node)
#   scripts/bench.sh signer     the signer page on a throttled phone: bytes, time to the pad
#   scripts/bench.sh api        the read path under wrk: an envelope, the list, a signing page
#   scripts/bench.sh cluster    one instance against two on PostgreSQL: API reads, seals per minute
#   scripts/bench.sh bulk       a 1 000-row bulk send through a real SMTP server: time, memory
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --release
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/.tools/binaryen/node_modules/.bin:$PATH"
export DOJANG_PDFIUM_LIB="$PWD/.tools/pdfium/libpdfium.so"
case "${1:-}" in
  render)
    command -v mutool >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq mupdf-tools; }
    # shellcheck source=scripts/leptos-env.sh
    . scripts/leptos-env.sh release
    cargo leptos build --release
    cargo bench -p server --bench render
    ;;
  seal)
    (cd server/benches/node && npm ci --no-audit --no-fund --silent)
    . scripts/leptos-env.sh release
    cargo bench -p server --bench seal
    ;;
  signer)
    ./scripts/setup.sh --test
    . scripts/leptos-env.sh release
    ./scripts/build-signer.sh
    cargo leptos build --release
    node end2end/bench/signer.mjs 5
    ;;
  api)
    command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk; }
    . scripts/leptos-env.sh release
    ./scripts/build-signer.sh
    cargo leptos build --release
    cargo bench -p server --bench api
    ;;
  cluster)
    command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk; }
    ./scripts/setup.sh --test
    . scripts/leptos-env.sh release
    ./scripts/build-signer.sh
    cargo leptos build --release
    # shellcheck source=scripts/services.sh
    . scripts/services.sh
    start_postgres
    DOJANG_BENCH_POSTGRES="$DOJANG_TEST_POSTGRES" cargo bench -p server --bench cluster
    ;;
  bulk)
    ./scripts/setup.sh --test
    . scripts/leptos-env.sh release
    cargo bench -p server --bench bulk
    ;;
  *) echo "usage: $0 render|seal|signer|api|cluster|bulk" >&2; exit 2 ;;
esac
