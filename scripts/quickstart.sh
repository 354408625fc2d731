#!/usr/bin/env bash
# The provider's quick start: a working issuer on SQLite and a verifier, on this machine, with
# nothing else installed.
#
#   scripts/quickstart.sh                      # issuer on https://localhost:8080, verifier on :8090
#   PORT=9080 VERIFIER_PORT=9090 scripts/quickstart.sh
#
# First run: builds the three binaries, creates an issuer in quickstart/issuer/
# (did:web:localhost%3A<PORT>, key sealed under a generated passphrase kept in
# quickstart/passphrase, mode 0600 — a demo convenience: in production use your own passphrase),
# the achievement "data-101", three credentials issued from a sample CSV (one row refused on
# purpose; baked PNG/SVG, claim links and QR codes in quickstart/badges/), an API token, and a
# local development CA with an https certificate for localhost (quickstart/issuer/tls/). Later
# runs reuse all of it. Then it serves the issuer over https on the port its DID names, and a
# verifier page that trusts that CA and may fetch from this machine, until Ctrl-C.
#
# QUICKSTART_DIR=DIR puts the demo's files elsewhere; PASSERELLE_BIN_DIR=DIR uses binaries
# already built there instead of building them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-8080}"
verifier_port="${VERIFIER_PORT:-8090}"
work="${QUICKSTART_DIR:-$root/quickstart}"
say() { printf '\n== %s\n' "$*" >&2; }

if [ -n "${PASSERELLE_BIN_DIR:-}" ]; then
    bin="$PASSERELLE_BIN_DIR"
else
    bin="${CARGO_TARGET_DIR:-$root/target}/release"
    say "Building passerelle-issuer, passerelle-verifier and passerelle-wallet (release; the first build takes several minutes, later ones seconds)"
    (cd "$root" && cargo build --release --locked \
        --bin passerelle-issuer --bin passerelle-verifier --bin passerelle-wallet)
fi
issuer="$bin/passerelle-issuer"
verifier="$bin/passerelle-verifier"
for program in "$issuer" "$verifier" "$bin/passerelle-wallet"; do
    [ -x "$program" ] || { echo "error: $program is missing" >&2; exit 1; }
done
export PASSERELLE_ISSUER_DIR="$work/issuer"
url="https://localhost:$port"

if [ -f "$work/issuer/issuer.toml" ]; then
    # The DID names the port: serving on another one would hand out credentials whose issuer
    # cannot be resolved. Refuse rather than silently keep (or silently replace) the issuer.
    made_for="$(sed -n 's/^url = "\(.*\)"$/\1/p' "$work/issuer/issuer.toml")"
    if [ "$made_for" != "$url" ]; then
        cat >&2 <<EOF
error: $work was set up for $made_for (its DID names that port), not $url.
       Run again with the port it was made for, or remove $work to start afresh on $port:
         rm -rf '$work' && PORT=$port scripts/quickstart.sh
EOF
        exit 1
    fi
    say "Reusing the demo issuer in $work/issuer ($url)"
else
    say "Creating the demo issuer in $work/issuer (did:web:localhost%3A$port)"
    mkdir -p "$work"
    chmod 700 "$work"
    if [ ! -f "$work/passphrase" ]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$work/passphrase")
    fi
    export PASSERELLE_ISSUER_PASSPHRASE="$(cat "$work/passphrase")"
    "$issuer" init --name "Open Learning Lab (quick start)" --url "$url"
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
    say "Issuing the sample CSV (the third row is refused on purpose: see $work/badges/errors.csv)"
    "$issuer" issue --achievement data-101 --csv "$work/completions.csv" --out "$work/badges" || true
    "$issuer" token create --name "quick start" > "$work/api-token"
    chmod 600 "$work/api-token"
fi
export PASSERELLE_ISSUER_PASSPHRASE="${PASSERELLE_ISSUER_PASSPHRASE:-$(cat "$work/passphrase")}"

say "Preparing https for localhost (a development CA for this machine only)"
tls="$work/issuer/tls"
"$issuer" dev-tls --out "$tls" --name localhost --name 127.0.0.1 --name ::1 > /dev/null

if ! "$issuer" schema show --json | grep -q '"sha256"'; then
    cat >&2 <<EOF

WARNING: the OB 3.0 JSON Schema is not installed (it could not be fetched: no network?), so this
WARNING: demo issuer signs credentials without that check (require_ob_schema = false in
WARNING: $work/issuer/issuer.toml). Online, run: $issuer schema install
WARNING: A production issuer refuses to issue without it.
EOF
fi

say "Starting the issuer on $url and the verifier on http://127.0.0.1:$verifier_port"
pids=()
stop() { [ "${#pids[@]}" -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; }
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
"$issuer" serve --bind "127.0.0.1:$port" --tls-cert "$tls/server.pem" --tls-key "$tls/server-key.pem" &
pids+=($!)
# The verifier may fetch from this machine (the issuer's DID document, status lists and claim
# links are on localhost) and trusts the development CA; a public verifier needs neither flag.
"$verifier" serve --bind "127.0.0.1:$verifier_port" --allow-private-network --ca-cert "$tls/ca.pem" &
pids+=($!)

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 100); do
    if listening "$port" && listening "$verifier_port"; then break; fi
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "error: a service stopped at start (see above)" >&2; exit 1; }
    done
    sleep 0.1
done

cat >&2 <<EOF

Passerelle quick start — data in $work/
  Issuer         $url   (DID did:web:localhost%3A$port, certificate from $tls/ca.pem)
    DID document   $url/.well-known/did.json
    Admin API      $url/api/v1/openapi.json  (token in $work/api-token)
    Badges         $work/badges/ (credential JSON, baked PNG/SVG, claim and offer QR codes, claims.csv, errors.csv)
    Claim pages    the claim_url column of $work/badges/claims.csv
    Wallet offers  the credential_offer column (OpenID4VCI: openid-credential-offer://…)
    OpenID4VCI     $url/.well-known/openid-credential-issuer
    OB 3.0 API     $url/ims/ob/v3p0/discovery  (passerelle-wallet connect $url: every badge of a learner)
  Verifier page  http://127.0.0.1:$verifier_port  (drop a badge, its PNG or its claim QR code)
Next: README.md, "After the quick start" (wallet and verifier, each ending in VERIFIED).
Ctrl-C stops both services.

EOF
# Stops when either service stops (or on Ctrl-C), and stops the other.
set +e
wait -n "${pids[@]}"
status=$?
exit "$status"
