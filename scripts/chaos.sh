#!/usr/bin/env bash
# A longer kill -9 campaign than the test command's: two instances on PostgreSQL and S3 (moto),
# killed at random while envelopes are signed (server/tests/api/chaos.rs).
#   scripts/chaos.sh [SECONDS] [ENVELOPES]     default 300 s, 30 envelopes
# DOJANG_CHAOS_SEED=N replays a campaign (each run prints its seed).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/.tools/venv/bin:$PATH"
export DOJANG_PDFIUM_LIB="$PWD/.tools/pdfium/libpdfium.so"
# shellcheck source=scripts/leptos-env.sh
. scripts/leptos-env.sh
# shellcheck source=scripts/services.sh
. scripts/services.sh
start_postgres
start_s3
DOJANG_TEST_STORAGE=s3 DOJANG_CHAOS_SECONDS="${1:-300}" DOJANG_CHAOS_ENVELOPES="${2:-30}" \
  cargo test -p server --test api -- chaos:: --nocapture
