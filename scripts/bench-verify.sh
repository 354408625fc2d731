#!/usr/bin/env bash
# Load test of the verifier service: POST /api/v1/verify of the sample OB 3.0 badge (model::sample,
# did:key issuer) from wrk on loopback, for eddsa-rdfc-2022, eddsa-jcs-2022 and vc-jose; and the
# total transfer size of the result page (HTML + CSS + JS).
#
#   scripts/bench-verify.sh                  # 30 s per suite, 8 connections, 2 wrk threads
#   DURATION=10s CONNECTIONS=16 scripts/bench-verify.sh
#   CALLGRIND=20 scripts/bench-verify.sh     # instructions per request instead (valgrind)
#
# CALLGRIND=N runs the server under `valgrind --tool=callgrind`, sends 5 warm-up requests per
# suite, zeroes the counters, sends N requests one after the other with curl and reports the
# instructions the whole server process executed per request (HTTP, fetch cache, check, report).
# Instruction counts barely move with the machine's load, unlike wall-clock numbers, so they
# are what to compare before and after a change. The callgrind files are kept in
# $CALLGRIND_DIR (default: a temporary directory, removed) for callgrind_annotate.
#
# Needs wrk (Debian: apt-get install wrk) and node (to drop the badge's credentialStatus: its
# status list URL is an example domain, and the benchmark measures verification, not fetching).
# The verifier is built in release; the signing tools (example + issuer CLI) in the dev profile.
# wrk is closed-loop: it reports the throughput at saturation and the latency distribution at
# that load (p50/p99 from --latency).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
duration="${DURATION:-30s}"
connections="${CONNECTIONS:-8}"
threads="${THREADS:-2}"
port="${PORT:-18491}"

command -v wrk >/dev/null || { echo "error: wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v node >/dev/null || { echo "error: node is needed" >&2; exit 1; }

cargo build --quiet --release -p passerelle-verifier
cargo build --quiet -p passerelle-issuer
cargo build --quiet -p passerelle-examples --examples

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$target/debug/examples/build_badge" > "$work/badge-with-status.json" 2>/dev/null
node -e 'const fs=require("fs");const b=JSON.parse(fs.readFileSync(process.argv[1]));delete b.credentialStatus;fs.writeFileSync(process.argv[2],JSON.stringify(b))' \
    "$work/badge-with-status.json" "$work/badge.json"
"$target/debug/passerelle-issuer" keygen --out "$work/key.jwk" >/dev/null
for suite in eddsa-rdfc-2022 eddsa-jcs-2022 vc-jose; do
    "$target/debug/passerelle-issuer" sign --key "$work/key.jwk" --suite "$suite" \
        --created 2026-06-30T12:00:00Z "$work/badge.json" > "$work/signed-$suite.txt"
done

wait_for_server() {
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "error: the verifier did not start" >&2
    exit 1
}

if [ -n "${CALLGRIND:-}" ]; then
    command -v valgrind >/dev/null || { echo "error: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
    out_dir="${CALLGRIND_DIR:-$work}"
    mkdir -p "$out_dir"
    echo "machine: $(nproc) cores; $(uptime)"
    for suite in eddsa-rdfc-2022 eddsa-jcs-2022 vc-jose; do
        body="$work/signed-$suite.txt"
        valgrind --tool=callgrind --callgrind-out-file="$out_dir/callgrind-$suite.%p" \
            "$target/release/passerelle-verifier" serve --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
        server_pid=$!
        wait_for_server
        for _ in 1 2 3 4 5; do
            curl -fsS -o /dev/null --data-binary "@$body" "http://127.0.0.1:$port/api/v1/verify"
        done
        callgrind_control -z "$server_pid" >/dev/null 2>&1
        for _ in $(seq 1 "$CALLGRIND"); do
            curl -fsS -o /dev/null --data-binary "@$body" "http://127.0.0.1:$port/api/v1/verify"
        done
        callgrind_control -d "$server_pid" >/dev/null 2>&1
        kill -INT "$server_pid"; wait "$server_pid" 2>/dev/null || true
        dump="$(ls -t "$out_dir/callgrind-$suite.$server_pid".* 2>/dev/null | head -1)"
        server_pid=""
        total="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')"
        echo "$suite: $total instructions for $CALLGRIND requests = $((total / CALLGRIND)) per request"
    done
    exit 0
fi

"$target/release/passerelle-verifier" serve --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server_pid=$!
wait_for_server

cat > "$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA

echo "machine: $(nproc) cores; $(uptime)"
echo "wrk -t$threads -c$connections -d$duration --latency"
for suite in eddsa-rdfc-2022 eddsa-jcs-2022 vc-jose; do
    body="$work/signed-$suite.txt"
    verdict="$(curl -fsS --data-binary "@$body" "http://127.0.0.1:$port/api/v1/verify" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).verdict))')"
    if [ "$verdict" != "verified" ]; then
        echo "error: $suite sample does not verify ($verdict)" >&2
        exit 1
    fi
    echo
    echo "== $suite: $(wc -c < "$body") bytes, verdict $verdict"
    BODY_FILE="$body" wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" \
        "http://127.0.0.1:$port/api/v1/verify" | grep -E "Requests/sec|Latency  |  50%|  90%|  99%|requests in|Non-2xx"
done

echo
echo "== result page transfer (eddsa-rdfc-2022 sample)"
html_bytes="$(curl -fsS -o /dev/null -w '%{size_download}' -F "credential=<$work/signed-eddsa-rdfc-2022.txt" "http://127.0.0.1:$port/verify")"
css_bytes="$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/assets/style.css")"
js_bytes="$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/assets/app.js")"
echo "HTML $html_bytes + CSS $css_bytes + JS $js_bytes = $((html_bytes + css_bytes + js_bytes)) bytes (uncompressed; no other requests)"
