#!/usr/bin/env bash
# Runs one fuzz target (fuzz/fuzz_targets) for SECONDS with cargo-fuzz's libFuzzer on the stable
# toolchain (no sanitizer: Rust's own checks, panics and PDFium faults are what it finds),
# seeded from the PDF corpus and the target's seeds, after replaying every kept regression
# input. A crash leaves its input in fuzz/artifacts/TARGET/ and fails the run.
#   scripts/fuzz.sh TARGET [SECONDS]      TARGET: pdf_inspect verify_scan acroform sign_submission field_geometry tokens
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
secs=${2:-60}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DOJANG_PDFIUM_LIB="$PWD/.tools/pdfium/libpdfium.so"
unset RUSTFLAGS
work="fuzz/corpus/$target"      # what libFuzzer grows (git-ignored)
kept="fuzz/regressions/$target" # inputs that once crashed, kept and replayed every run
seeds="fuzz/seeds/$target"
mkdir -p "$work" "$kept"
case "$target" in
  pdf_inspect|verify_scan|acroform) cp -n server/tests/fixtures/pdf/*.pdf "$work/" ;;
esac
if [ -d "$seeds" ]; then cp -n "$seeds"/* "$work/" 2>/dev/null || true; fi
cd fuzz
exec cargo fuzz run --sanitizer none "$target" "../$work" "../$kept" -- \
  -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -max_len=1048576 -print_final_stats=1
