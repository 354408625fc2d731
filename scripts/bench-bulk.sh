#!/usr/bin/env bash
# Bulk issuance benchmark: N rows (default 100,000) of a generated CSV issued with
# `passerelle-issuer issue --csv` (eddsa-rdfc-2022, one status entry per credential, every
# credential checked against the OB 3.0 JSON Schema, baked
# output off) into a fresh SQLite issuer, then the same into PostgreSQL when
# PASSERELLE_BENCH_POSTGRES_URL (or PASSERELLE_TEST_POSTGRES_URL) is set. Prints rows/s (the
# tool's own summary line) and peak RSS (/usr/bin/time -v).
#
#   scripts/bench-bulk.sh              # 100,000 rows, SQLite (+ PostgreSQL if configured)
#   ROWS=10000 scripts/bench-bulk.sh   # a quicker run
#
# Builds the release binary first. The PostgreSQL run uses a fresh schema that it drops after.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
rows="${ROWS:-100000}"
pg_url="${PASSERELLE_BENCH_POSTGRES_URL:-${PASSERELLE_TEST_POSTGRES_URL:-}}"

[[ -x /usr/bin/time ]] || { echo "bench-bulk.sh: /usr/bin/time is required (apt install time)" >&2; exit 1; }
(cd "$root" && cargo build --release --locked --quiet -p passerelle-issuer)
bin="$target/release/passerelle-issuer"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
csv="$work/completions.csv"
awk -v n="$rows" 'BEGIN {
    print "email,name,completion_date,grade,external_id";
    for (i = 0; i < n; i++) printf "learner%d@example.org,Learner %d,2026-03-%02d,%d,enrolment-%d\n", i, i, (i % 28) + 1, 50 + (i % 50), i;
}' > "$csv"
echo "== $rows rows, $(nproc) cores, $(du -h "$csv" | cut -f1) of CSV"

export PASSERELLE_ISSUER_PASSPHRASE="bench passphrase, not a secret"
# The OB 3.0 schema every credential is checked against: a local copy if given or beside the
# repository (the team's vectors), else `init` fetches it from its published URL.
vectors_schema="$(dirname "$0")/../../shared/vectors/openbadges/schema/ob_v3p0_achievementcredential_schema.json"
if [ -z "${PASSERELLE_OB_SCHEMA:-}" ] && [ -f "$vectors_schema" ]; then
    export PASSERELLE_OB_SCHEMA="$vectors_schema"
fi

run_one() {
    local label="$1" dir="$2"
    shift 2
    env "$@" PASSERELLE_ISSUER_DIR="$dir" "$bin" init --name "Bench Lab" --url https://learn.example >/dev/null 2>&1
    env "$@" PASSERELLE_ISSUER_DIR="$dir" "$bin" achievement create --slug data-101 \
        --name "Data literacy 101" --description "Bench" --criteria "Passed" >/dev/null 2>&1
    echo "== $label"
    env "$@" PASSERELLE_ISSUER_DIR="$dir" /usr/bin/time -v "$bin" issue --achievement data-101 \
        --csv "$csv" 2> "$work/$label.log" || true
    grep -E "issued, .* failed" "$work/$label.log" || { cat "$work/$label.log"; exit 1; }
    grep -E "Maximum resident set size|Elapsed \(wall clock\)|Percent of CPU|User time|System time" "$work/$label.log" | sed 's/^\s*/   /'
}

run_one sqlite "$work/sqlite" DATABASE_URL=

if [[ -n "$pg_url" ]]; then
    schema="bench_$(date +%s)_$$"
    psql "$pg_url" -qc "CREATE SCHEMA $schema"
    sep='?'; [[ "$pg_url" == *\?* ]] && sep='&'
    run_one postgres "$work/postgres" DATABASE_URL="$pg_url${sep}options=-c%20search_path%3D$schema"
    PGOPTIONS=--client-min-messages=warning psql "$pg_url" -qc "DROP SCHEMA $schema CASCADE"
else
    echo "== postgres: skipped (set PASSERELLE_BENCH_POSTGRES_URL or PASSERELLE_TEST_POSTGRES_URL)"
fi
