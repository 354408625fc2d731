#!/usr/bin/env bash
# The whole test suite, as the README gives it and as CI runs it.
# Works on a fresh clone: it installs the reference JavaScript libraries from the committed lockfile
# (interop tests) and checks formatting, lints, every test, and that the fuzz target builds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/vectors ]; then
    echo "error: ../shared/vectors (the official test vectors) is missing beside this repository;" >&2
    echo "       the conformance tests read it. See README.md, 'Tests'." >&2
    exit 1
fi

echo "== npm ci (reference JavaScript implementations for the interop tests)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "error: Node.js and npm are needed for the interop tests (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== fuzz target builds"
scripts/fuzz.sh build

echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one summary per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
