#!/usr/bin/env bash
# Fuzzing the verification entry point (untrusted credential bytes → report).
#   scripts/fuzz.sh build          build the fuzz target (CI does this)
#   scripts/fuzz.sh run [SECONDS]  fuzz for SECONDS (default 60), corpus in fuzz/corpus/verify_input
# The toolchain here is stable: sanitizers need nightly, so the target is built with
# `--sanitizer none` (coverage-guided libFuzzer, no ASan; the core forbids unsafe code anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 1; }
case "${1:-build}" in
    build) cargo fuzz build --sanitizer none --release verify_input ;;
    run)
        mkdir -p fuzz/corpus/verify_input
        cargo fuzz run --sanitizer none --release verify_input fuzz/corpus/verify_input -- \
            -max_total_time="${2:-60}" -max_len=65536 ;;
    *) echo "usage: scripts/fuzz.sh build | run [SECONDS]" >&2; exit 2 ;;
esac
