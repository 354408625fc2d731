#!/usr/bin/env bash
# Fuzzing the entry points that read untrusted bytes:
#   verify_input   credential bytes → report
#   extract_baked  a PNG or SVG image → the baked credential (and back)
#   oid4vci        OpenID4VCI offers, metadata, credential requests and key proofs
#   obapi          OB 3.0 API discovery documents, client registrations, Link headers and
#                  getCredentials bodies
#   vp1            the DCC Learner Credential Wallet's VP1- QR codes (CBOR-LD)
#   qr_compact     QR text: VC1:/VC2: compact forms decoded (caps, no panic), VC2 round trips
#   scripts/fuzz.sh build                  build every fuzz target (CI does this)
#   scripts/fuzz.sh run [SECONDS] [TARGET] fuzz TARGET (default verify_input) for SECONDS
#                                          (default 60), corpus in fuzz/corpus/TARGET
# The toolchain here is stable: sanitizers need nightly, so the target is built with
# `--sanitizer none` (coverage-guided libFuzzer, no ASan; the core forbids unsafe code anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 1; }
case "${1:-build}" in
    build)
        for target in verify_input extract_baked oid4vci obapi vp1 qr_compact; do
            cargo fuzz build --sanitizer none --release "$target"
        done ;;
    run)
        target="${3:-verify_input}"
        mkdir -p "fuzz/corpus/$target"
        cargo fuzz run --sanitizer none --release "$target" "fuzz/corpus/$target" -- \
            -max_total_time="${2:-60}" -max_len=65536 ;;
    *) echo "usage: scripts/fuzz.sh build | run [SECONDS] [TARGET]" >&2; exit 2 ;;
esac
