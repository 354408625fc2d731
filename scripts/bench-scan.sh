#!/usr/bin/env bash
# Load test of the verifier's QR scan endpoint, POST /api/v1/scan, with the camera frames the
# page's scanner sends when the browser has no BarcodeDetector (960 × 540 JPEG): one showing the
# QR code of the signed sample badge, one showing no code (most frames of a scan). Each scanning
# viewer sends at most one frame every 400 ms (2.5 frames/s), so frames/s ÷ 2.5 is how many
# people can scan at once.
#
#   scripts/bench-scan.sh                    # 20 s per frame, 4 connections, 2 wrk threads
#   DURATION=10s CONNECTIONS=8 scripts/bench-scan.sh
#
# Needs wrk (Debian: apt-get install wrk). The verifier and the frame writer
# (verifier/examples/camera_frames.rs) are built in release. wrk is closed-loop: throughput at
# saturation and the latency at that load.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
duration="${DURATION:-20s}"
connections="${CONNECTIONS:-4}"
threads="${THREADS:-2}"
port="${PORT:-18492}"

command -v wrk >/dev/null || { echo "error: wrk is needed (apt-get install wrk)" >&2; exit 1; }

cargo build --quiet --release -p passerelle-verifier --bin passerelle-verifier --example camera_frames

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$target/release/examples/camera_frames" "$work"
"$target/release/passerelle-verifier" serve --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
    sleep 0.1
done

cat > "$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA

echo "machine: $(nproc) cores; wrk -t$threads -c$connections -d$duration --latency"
for frame in frame-qr frame-empty; do
    body="$work/$frame.jpg"
    codes="$(curl -fsS --data-binary "@$body" -H 'content-type: image/jpeg' "http://127.0.0.1:$port/api/v1/scan")"
    case "$frame:$codes" in
        frame-qr:*'"kind":"document"'*|frame-empty:'{"codes":[]}') ;;
        *) echo "error: unexpected answer for $frame: ${codes:0:200}" >&2; exit 1 ;;
    esac
    echo
    echo "== $frame: $(wc -c < "$body") bytes"
    BODY_FILE="$body" wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" \
        "http://127.0.0.1:$port/api/v1/scan" | grep -E "Requests/sec|Latency  |  50%|  90%|  99%|requests in|Non-2xx"
done
