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

if [ -z "${PASSERELLE_TEST_POSTGRES_URL:-}" ]; then
    echo "error: the issuer's PostgreSQL tests need a server: set PASSERELLE_TEST_POSTGRES_URL, e.g." >&2
    echo "       postgres://passerelle:passerelle@127.0.0.1:5432/passerelle_test (a role with CREATEDB)." >&2
    echo "       .ci/run starts the machine's PostgreSQL, creates that role and database, and sets it." >&2
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

echo "== the core without its optional features (a verifier of JSON credentials only)"
cargo clippy -p passerelle-core --no-default-features --lib --tests --locked -- -D warnings
heavy="$(cargo tree -p passerelle-core --no-default-features -e normal --prefix none --locked |
    grep -E '^(josekit|openssl|openssl-sys|image|rqrr|resvg|argon2|chacha20poly1305) ' || true)"
if [ -n "$heavy" ]; then
    echo "error: passerelle-core without default features still depends on:" >&2
    echo "$heavy" >&2
    exit 1
fi

echo "== fuzz target builds"
scripts/fuzz.sh build

echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one summary per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) g += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d not run (ignored)\n", p, f, g }' "$log"
