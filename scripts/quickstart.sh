#!/usr/bin/env bash
# The provider's quick start: a working issuer on SQLite, with nothing else installed.
#
#   scripts/quickstart.sh            # builds, sets up ./quickstart/ once, then serves on 127.0.0.1:8080
#   PORT=9090 scripts/quickstart.sh
#
# First run: creates an issuer (did:web:localhost%3A<PORT>, key sealed under a generated passphrase
# kept in quickstart/passphrase, mode 0600 — a demo convenience: in production use your own
# passphrase), the achievement "data-101", three credentials issued from a sample CSV (baked PNG/SVG,
# claim links and QR codes in quickstart/badges/), and an API token. Later runs reuse all of it.
# Then it runs `passerelle-issuer serve` in the foreground (Ctrl-C stops it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-8080}"
work="$root/quickstart"
target="${CARGO_TARGET_DIR:-$root/target}"

(cd "$root" && cargo build --release --locked --quiet -p passerelle-issuer -p passerelle-verifier -p passerelle-wallet)
issuer="$target/release/passerelle-issuer"
export PASSERELLE_ISSUER_DIR="$work/issuer"

if [ ! -f "$work/issuer/issuer.toml" ]; then
    mkdir -p "$work"
    chmod 700 "$work"
    if [ ! -f "$work/passphrase" ]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$work/passphrase")
    fi
    export PASSERELLE_ISSUER_PASSPHRASE="$(cat "$work/passphrase")"
    # The public URL a verifier would use. Locally the service speaks plain HTTP on the port;
    # in production a TLS proxy serves https://your-domain in front of it.
    "$issuer" init --name "Open Learning Lab (quick start)" --url "https://localhost:$port"
    # init installs the OB 3.0 JSON Schema (fetched once from its URL, or from
    # $PASSERELLE_OB_SCHEMA). Without network it cannot: a production issuer then refuses to issue
    # until `passerelle-issuer schema install` succeeds; this demo issues anyway, saying so.
    if ! "$issuer" schema show --json | grep -q '"sha256"'; then
        sed -i 's/^require_ob_schema = true$/require_ob_schema = false/' "$work/issuer/issuer.toml"
    fi
    "$issuer" achievement create --slug data-101 --name "Data Literacy Foundations" \
        --description "Reading, cleaning and charting data responsibly." \
        --criteria "Pass all graded quizzes and the final project." \
        --level 5 --credits 5 --language en
    cat > "$work/completions.csv" <<'CSV'
email,name,completion_date,grade,external_id
ada@example.org,Ada Lovelace,2026-06-30,92,enrolment-1
grace@example.org,Grace Hopper,2026-06-30,88,enrolment-2
not-an-email,Broken Row,2026-06-30,75,enrolment-3
CSV
    # The third row is refused on purpose: see quickstart/badges/errors.csv.
    "$issuer" issue --achievement data-101 --csv "$work/completions.csv" --out "$work/badges" || true
    "$issuer" token create --name "quick start" > "$work/api-token"
    chmod 600 "$work/api-token"
fi
export PASSERELLE_ISSUER_PASSPHRASE="${PASSERELLE_ISSUER_PASSPHRASE:-$(cat "$work/passphrase")}"

cat >&2 <<EOF

Passerelle issuer (quick start) on http://127.0.0.1:$port — data in $work/
  DID document   http://127.0.0.1:$port/.well-known/did.json
  Profile        http://127.0.0.1:$port/issuer
  Admin API      http://127.0.0.1:$port/api/v1/openapi.json  (token in $work/api-token)
  Badges         $work/badges/ (credential JSON, baked PNG/SVG, claims.csv, errors.csv)
  Claim pages    the links in $work/badges/claims.csv, opened as http://127.0.0.1:$port/claim/…
  Verify one     $target/release/passerelle-verifier verify $work/badges/<file>.json
Ctrl-C stops the service.

EOF
if ! "$issuer" schema show --json | grep -q '"sha256"'; then
    cat >&2 <<EOF
WARNING: the OB 3.0 JSON Schema is not installed (it could not be fetched: no network?), so this
WARNING: demo issuer signs credentials without that check (require_ob_schema = false in
WARNING: $work/issuer/issuer.toml). Online, run: $issuer schema install
WARNING: A production issuer refuses to issue without it.

EOF
fi
exec "$issuer" serve --bind "127.0.0.1:$port"
