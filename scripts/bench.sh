#!/usr/bin/env bash
# Benchmarks Passerelle's signing and verification against the reference JavaScript libraries,
# on the same documents with the same key, in one run, and prints a comparison table.
#
#   scripts/bench.sh                 # everything (a few minutes on 2 cores)
#   scripts/bench.sh --skip-rust     # reuse the last criterion results, rerun only the JS side
#   JS_ITERATIONS=500 scripts/bench.sh
#
# Rust: the criterion benches in shared/benches/proofs.rs and context_cache.rs (release
# profile); results are read
# from $CARGO_TARGET_DIR/criterion/**/new/estimates.json (default target dir: ./target).
# JavaScript: tests/interop/bench.mjs (jsonld-signatures with the eddsa-rdfc-2022 and
# eddsa-jcs-2022 cryptosuites) and the `jose` package for VC-JOSE, both from
# tests/interop/node_modules (installed with `npm ci` when missing).
# The inputs (W3C vc-di-eddsa/unsigned.json, the sample badge with a did:key issuer, the W3C
# vector key) are written by the Rust bench itself, so both sides see the same bytes.
# Extra arguments after the options are passed to criterion as a filter.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
criterion_dir="$target/criterion"
interop="$root/tests/interop"
js_iterations="${JS_ITERATIONS:-200}"
skip_rust=0
if [[ "${1:-}" == "--skip-rust" ]]; then
    skip_rust=1
    shift
fi

command -v node >/dev/null || { echo "bench.sh: node is required (Node >= 20)" >&2; exit 1; }
if [[ ! -d "$interop/node_modules" ]]; then
    echo "== npm ci in tests/interop"
    (cd "$interop" && npm ci --no-audit --no-fund)
fi

inputs="$target/bench-inputs"
mkdir -p "$inputs"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

echo "== machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "== $(rustc --version); node $(node --version)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $skip_rust -eq 0 ]]; then
    echo "== Rust: cargo bench -p passerelle-core --bench proofs --bench context_cache"
    (cd "$root" && CARGO_TARGET_DIR="$target" PASSERELLE_BENCH_INPUTS="$inputs" \
        cargo bench -p passerelle-core --bench proofs --bench context_cache -- "$@")
elif [[ ! -f "$inputs/key.json" ]]; then
    # The Rust bench writes the inputs; with no filter match it only does that.
    (cd "$root" && CARGO_TARGET_DIR="$target" PASSERELLE_BENCH_INPUTS="$inputs" \
        cargo bench -p passerelle-core --bench proofs -- --list >/dev/null)
fi
for f in w3c.json badge.json key.json; do
    [[ -f "$inputs/$f" ]] || { echo "bench.sh: $inputs/$f was not written by the Rust bench" >&2; exit 1; }
done

echo "== JavaScript ($js_iterations iterations per operation, after warm-up)"
for doc in w3c badge; do
    for suite in eddsa-rdfc-2022 eddsa-jcs-2022; do
        echo "   $suite / $doc"
        jq -n --slurpfile d "$inputs/$doc.json" --slurpfile k "$inputs/key.json" \
            --arg suite "$suite" --argjson n "$js_iterations" \
            '{suite: $suite, document: $d[0], seedHex: $k[0].seedHex,
              verificationMethod: $k[0].verificationMethod, created: $k[0].created,
              iterations: $n}' \
            | (cd "$interop" && node bench.mjs) >"$results/js-$suite-$doc.json"
    done
    echo "   vc-jose / $doc"
    # VC-JOSE with `jose` (what tests/interop/jose.mjs uses): sign = JSON.stringify + compact
    # EdDSA JWS with the header Passerelle writes; verify = compactVerify + JSON.parse.
    jq -n --slurpfile d "$inputs/$doc.json" --slurpfile k "$inputs/key.json" \
        --argjson n "$js_iterations" \
        '{document: $d[0], privateJwk: $k[0].privateJwk, publicJwk: $k[0].publicJwk,
          kid: $k[0].verificationMethod, iterations: $n}' \
        | (cd "$interop" && node --input-type=module -e '
import {performance} from "node:perf_hooks";
import {CompactSign, compactVerify, importJWK} from "jose";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const req = JSON.parse(text);
const priv = await importJWK(req.privateJwk, "EdDSA");
const pub = await importJWK(req.publicJwk, "EdDSA");
const header = {alg: "EdDSA", kid: req.kid, typ: "vc+jwt", cty: "vc"};
const enc = new TextEncoder();
const sign = () => new CompactSign(enc.encode(JSON.stringify(req.document)))
  .setProtectedHeader(header).sign(priv);
const jws = await sign();
const verify = async () => JSON.parse(new TextDecoder().decode(
  (await compactVerify(jws, pub, {algorithms: ["EdDSA"]})).payload));
const median = v => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const time = async f => { for(let i = 0; i < Math.min(req.iterations, 20); i++) await f();
  const ms = []; for(let i = 0; i < req.iterations; i++) {
    const t0 = performance.now(); await f(); ms.push(performance.now() - t0); }
  return ms; };
const s = await time(sign);
const v = await time(verify);
const total = ms => ms.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({suite: "vc-jose", iterations: req.iterations,
  signPerSec: req.iterations / (total(s) / 1000), verifyPerSec: req.iterations / (total(v) / 1000),
  signMedianMs: median(s), verifyMedianMs: median(v), node: process.version}));
') >"$results/js-vc-jose-$doc.json"
done

echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
CRITERION_DIR="$criterion_dir" RESULTS="$results" node --input-type=module -e '
import fs from "node:fs";
import path from "node:path";
const crit = process.env.CRITERION_DIR, res = process.env.RESULTS;
const estimate = id => {
  const file = path.join(crit, ...id.split("/"), "new", "estimates.json");
  if(!fs.existsSync(file)) return null;
  const e = JSON.parse(fs.readFileSync(file, "utf8"));
  return {median: e.median.point_estimate, lo: e.median.confidence_interval.lower_bound,
    hi: e.median.confidence_interval.upper_bound};
};
const fmt = ns => ns == null ? "-" : ns >= 1e6 ? (ns / 1e6).toFixed(2) + " ms"
  : ns >= 1e3 ? (ns / 1e3).toFixed(1) + " µs" : ns.toFixed(0) + " ns";
const rate = ns => ns == null ? "-" : Math.round(1e9 / ns).toLocaleString("en-US");
const pad = (s, n) => String(s).padStart(n);
const row = cells => "| " + cells.join(" | ") + " |";
console.log("Sign and verify: median time per operation and operations per second (1 / median)");
console.log(row(["suite", "op", "document", "Rust median", "Rust ops/s", "JS median",
  "JS ops/s", "JS / Rust"]));
console.log(row(Array(8).fill("---")));
for(const suite of ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jose"]) {
  for(const op of ["sign", "verify"]) {
    for(const doc of ["w3c", "badge"]) {
      const r = estimate(`${op}/${suite}/${doc}`);
      const jsFile = path.join(res, `js-${suite}-${doc}.json`);
      const js = fs.existsSync(jsFile) ? JSON.parse(fs.readFileSync(jsFile, "utf8")) : null;
      const jsNs = js ? js[`${op}MedianMs`] * 1e6 : null;
      const ratio = r && jsNs ? (jsNs / r.median).toFixed(1) + "×" : "-";
      console.log(row([suite, op, doc, pad(fmt(r?.median), 9), pad(rate(r?.median), 7),
        pad(fmt(jsNs), 9), pad(rate(jsNs), 7), pad(ratio, 6)]));
    }
  }
}
console.log();
console.log("Full verification of the signed badge (Rust): parse_input, and parse_input + verify::check");
console.log(row(["step", "secured by", "median", "95% CI of median", "ops/s"]));
console.log(row(Array(5).fill("---")));
for(const step of ["parse_input", "parse_and_check"]) {
  for(const m of ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jose"]) {
    const r = estimate(`verify_full/${step}/${m}`);
    console.log(row([step, m, pad(fmt(r?.median), 9),
      r ? `${fmt(r.lo)} – ${fmt(r.hi)}` : "-", pad(rate(r?.median), 7)]));
  }
}
console.log();
console.log("eddsa-rdfc-2022 on the badge, step by step (Rust; each step timed alone)");
const total = estimate("rdfc_breakdown/sign_total");
console.log(row(["step", "median", "share of one signature"]));
console.log(row(Array(3).fill("---")));
for(const step of ["sign_total", "hash_data_total", "parse_context_json", "to_rdf_context_only",
  "to_rdf_document", "to_rdf_proof_config", "rdfc_canonicalize_document", "sha256_both",
  "ed25519_sign", "ed25519_verify"]) {
  const r = estimate(`rdfc_breakdown/${step}`);
  const share = r && total ? (100 * r.median / total.median).toFixed(1) + " %" : "-";
  console.log(row([step, pad(fmt(r?.median), 9), pad(share, 7)]));
}
console.log();
console.log("Experiment (json-ld crate directly): expanding the badge with its top-level contexts processed once");
console.log(row(["step", "median"]));
console.log(row(Array(2).fill("---")));
for(const step of ["expand_every_time", "expand_with_cached_context", "process_context"]) {
  const r = estimate(`context_cache/${step}`);
  console.log(row([step, pad(fmt(r?.median), 9)]));
}
'
