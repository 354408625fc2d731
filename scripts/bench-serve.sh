#!/usr/bin/env bash
# Load-tests `passerelle-issuer serve` on loopback with wrk (apt install wrk):
#   1. POST /api/v1/credentials, closed loop (16 connections): throughput and latency at capacity;
#   2. POST /api/v1/credentials, throttled (4 connections, a pause between requests): latency at a
#      sustained rate below capacity;
#   then BENCH_REVOKE of the credentials just issued are revoked through the API (so the list
#   has set bits, as a real one has: a GET that read them per request would show it);
#   3. GET /status/{uuid} (64 connections): status list throughput (full body, 200);
#   4. the same with If-None-Match (304, what a caching verifier sends).
# Every issue request is a new learner (a new credential: status slots allocated, signed with
# eddsa-rdfc-2022, committed to SQLite before the 201).
#
# Usage: scripts/bench-serve.sh [DURATION]     (default 20s per run)
# Environment: CARGO_TARGET_DIR (default target), BENCH_PORT (default 18080),
#              BENCH_DELAY_MS (pause per request in run 2, default 20),
#              BENCH_REVOKE (credentials revoked before the GET runs, default 1000),
#              BENCH_STATUS_MAX_AGE (the service's --status-max-age, default 300; 0 turns the
#              in-memory freshness window off, so every GET reads the list's revision),
#              BENCH_BIN (a prebuilt passerelle-issuer instead of building this checkout, e.g. to
#              compare with another commit).
# The service and wrk share the machine: on 2 cores, wrk takes part of one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${1:-20s}"
PORT="${BENCH_PORT:-18080}"
DELAY_MS="${BENCH_DELAY_MS:-20}"
REVOKE="${BENCH_REVOKE:-1000}"
MAX_AGE="${BENCH_STATUS_MAX_AGE:-300}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt install wrk)" >&2; exit 2; }

if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$BENCH_BIN"
else
    cargo build --release --quiet -p passerelle-issuer --manifest-path "$ROOT/Cargo.toml"
    BIN="$CARGO_TARGET_DIR/release/passerelle-issuer"
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A throwaway issuer; the passphrase protects nothing of value.
export PASSERELLE_ISSUER_PASSPHRASE="bench passphrase, not a secret"
# The OB 3.0 schema every credential is checked against: a local copy if given or beside the
# repository (the team's vectors), else `init` fetches it from its published URL.
vectors_schema="$(dirname "$0")/../../shared/vectors/openbadges/schema/ob_v3p0_achievementcredential_schema.json"
if [ -z "${PASSERELLE_OB_SCHEMA:-}" ] && [ -f "$vectors_schema" ]; then
    export PASSERELLE_OB_SCHEMA="$vectors_schema"
fi
unset PASSERELLE_ISSUER_DIR DATABASE_URL
DIR="$WORK/issuer"
"$BIN" init --dir "$DIR" --name "Bench Learning Lab" --url https://bench.example >/dev/null
"$BIN" achievement create --dir "$DIR" --slug bench --name "Data Literacy Foundations" \
    --description "Reading, cleaning and charting data responsibly." \
    --criteria "Pass all graded quizzes and the final project." --level 5 --credits 5 \
    --language en 2>/dev/null >/dev/null
TOKEN="$("$BIN" token create --dir "$DIR" --name bench 2>/dev/null)"

"$BIN" serve --dir "$DIR" --bind "127.0.0.1:$PORT" --status-max-age "$MAX_AGE" 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null

# One credential, to learn a status list URL.
FIRST="$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/credentials" \
    -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"achievement":"bench","email":"first@example.org","completion_date":"2026-03-01"}')"
# The revocation list's URL (the first entry; the greedy match would find the suspension list).
STATUS_PATH="$(printf '%s' "$FIRST" | grep -o '"statusListCredential":"https://bench.example/status/[0-9a-f-]*"' \
    | head -n 1 | sed -E 's|.*https://bench.example(/status/[0-9a-f-]+)"|\1|')"
case "$STATUS_PATH" in /status/*) ;; *) echo "no status list URL in: $FIRST" >&2; exit 1 ;; esac

cat >"$WORK/issue.lua" <<'LUA'
-- Each request issues a credential to a new learner: run nonce, thread number, counter.
-- `id`, `created` and `other` are per-thread globals (setup and done read them).
local threads = {}
local counter = 0
local nonce = tostring(os.time())
local token = os.getenv("BENCH_TOKEN")
local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "0")
created = 0
other = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"achievement":"bench","email":"learner-%s-%d-%d@example.org","completion_date":"2026-03-01","external_id":"bench-%s-%d-%d"}',
    nonce, id, counter, nonce, id, counter)
  return wrk.format("POST", "/api/v1/credentials",
    {["authorization"] = "Bearer " .. token, ["content-type"] = "application/json"}, body)
end

function delay()
  return pause
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other")
  end
  io.write(string.format("201 Created (new credentials): %d, other statuses: %d\n", c, o))
end
LUA

run() {
    echo
    echo "### $1"
    shift
    wrk --latency "$@"
}

export BENCH_TOKEN="$TOKEN"
BENCH_PAUSE_MS=0 run "issue, closed loop: 2 threads, 16 connections, $DURATION" \
    -t2 -c16 -d"$DURATION" -s "$WORK/issue.lua" "http://127.0.0.1:$PORT"
BENCH_PAUSE_MS="$DELAY_MS" run "issue, throttled: 2 threads, 4 connections, ${DELAY_MS} ms pause per request, $DURATION" \
    -t2 -c4 -d"$DURATION" -s "$WORK/issue.lua" "http://127.0.0.1:$PORT"
# Revoke REVOKE active credentials (pages of at most 500, four requests at a time).
revoked=0
started=$(date +%s%N)
while (( revoked < REVOKE )); do
    page=$(( REVOKE - revoked < 500 ? REVOKE - revoked : 500 ))
    ids="$(curl -fsS "http://127.0.0.1:$PORT/api/v1/credentials?status=active&limit=$page" \
        -H "authorization: Bearer $TOKEN" | grep -o '"id":"urn:uuid:[^"]*"' | cut -d'"' -f4)"
    [[ -n "$ids" ]] || break
    printf '%s\n' "$ids" | xargs -P4 -I{} curl -fsS -o /dev/null -X POST \
        "http://127.0.0.1:$PORT/api/v1/credentials/{}/revoke" -H "authorization: Bearer $TOKEN"
    revoked=$(( revoked + $(printf '%s\n' "$ids" | wc -l) ))
done
echo
echo "revoked $revoked credentials in $(( ($(date +%s%N) - started) / 1000000 )) ms"
ETAG="$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$PORT$STATUS_PATH" | tr -d '\r' | sed -n 's/^etag: //Ip')"
[[ -n "$ETAG" ]] || { echo "no ETag on $STATUS_PATH" >&2; exit 1; }

run "status list GET (200, full list), 2 threads, 64 connections, $DURATION" \
    -t2 -c64 -d"$DURATION" "http://127.0.0.1:$PORT$STATUS_PATH"
run "status list GET with If-None-Match (304), 2 threads, 64 connections, $DURATION" \
    -t2 -c64 -d"$DURATION" -H "if-none-match: $ETAG" "http://127.0.0.1:$PORT$STATUS_PATH"

ISSUED="$(curl -fsS "http://127.0.0.1:$PORT/api/v1/stats" -H "authorization: Bearer $TOKEN" \
    | sed -E 's/.*"totals":\{"issued":([0-9]+).*/\1/')"
echo
echo "credentials in the database after the runs: $ISSUED"
echo "status list size: $(curl -fsS "http://127.0.0.1:$PORT$STATUS_PATH" | wc -c) bytes" \
    "(--status-max-age $MAX_AGE)"
