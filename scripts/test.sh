#!/usr/bin/env bash
# Sets up (first time only) and runs every test: unit and integration tests (cargo) on SQLite
# and local disk, the integration tests again on PostgreSQL and S3 (throwaway servers started
# here), the end-to-end tests in headless Chromium against the built `dojang` binary, and a short run of
# every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/.tools/venv/bin:$PATH"
export DOJANG_PDFIUM_LIB="$PWD/.tools/pdfium/libpdfium.so"

echo "==> cargo leptos build (server + wasm, debug)"
./scripts/build-signer.sh
cargo leptos build

# shellcheck source=scripts/leptos-env.sh
. scripts/leptos-env.sh

# shellcheck source=scripts/services.sh
. scripts/services.sh
start_s3
echo "==> cargo test (unit + integration) on SQLite and local disk (S3 only for migrate-storage)"
cargo test -p dojang-core -p app -p server --no-fail-fast

echo "==> integration tests again on PostgreSQL and S3 (a database and a key prefix per test app)"
start_postgres
DOJANG_TEST_STORAGE=s3 cargo test -p server --test api --no-fail-fast
stop_services
unset DOJANG_TEST_POSTGRES DOJANG_TEST_S3_ENDPOINT

echo "==> end-to-end (Chromium)"
(cd end2end && npx playwright test)

echo "==> fuzz smoke (each target ${FUZZ_SECONDS:-20} s, seeded from the corpus, kept crashes replayed)"
for target in pdf_inspect verify_scan acroform sign_submission field_geometry tokens; do
  ./scripts/fuzz.sh "$target" "${FUZZ_SECONDS:-20}"
done
echo "==> all tests passed"
