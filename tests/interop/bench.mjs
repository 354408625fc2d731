// bench.mjs — signing and verification speed of the reference JavaScript libraries.
//
// stdin:  {"suite": "eddsa-rdfc-2022"|"eddsa-jcs-2022", "document": {...}, "seedHex": "<64 hex>",
//          "verificationMethod": "...", "iterations": N, "warmup"?: M,
//          "created"?: "2024-01-01T00:00:00Z"}
// stdout: {"suite", "iterations", "signPerSec", "verifyPerSec", "signMedianMs",
//          "verifyMedianMs", "node": "<version>"}
//
// Sign = jsonld-signatures `sign` with the suite (canonicalisation, hashing, Ed25519).
// Verify = jsonld-signatures `verify` of the signed document with the matching suite and an
// assertionMethod purpose (key from the loader; no vc-level date or issuer checks). Each
// operation is timed alone; M warm-up rounds (default min(N, 20)) run first so JIT and the
// JSON-LD context cache are warm. Per-second rates are N / total time of the N timed runs.

import {performance} from 'node:perf_hooks';

import {documentLoader} from './loader.mjs';
import {
  RequestError, jsigs, keyPairFromSeed, requireObject, requireString, serve, signingSuite,
  verifyingSuites,
} from './common.mjs';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

await serve(async request => {
  const document = requireObject(request, 'document');
  const verificationMethod = requireString(request, 'verificationMethod');
  const iterations = request.iterations;
  if(!Number.isInteger(iterations) || iterations < 1 || iterations > 100000) {
    throw new RequestError('"iterations" must be an integer from 1 to 100000');
  }
  const warmup = request.warmup ?? Math.min(iterations, 20);
  if(!Number.isInteger(warmup) || warmup < 0) {
    throw new RequestError('"warmup" must be a non-negative integer');
  }
  const created = request.created ?? '2024-01-01T00:00:00Z';
  const keyPair = await keyPairFromSeed(requireString(request, 'seedHex'), verificationMethod);
  const {AssertionProofPurpose} = jsigs.purposes;

  const signOnce = () => jsigs.sign(structuredClone(document), {
    suite: signingSuite(request.suite, keyPair.signer(), created),
    purpose: new AssertionProofPurpose(),
    documentLoader,
  });
  const signed = await signOnce();
  const verifyOnce = async () => {
    const result = await jsigs.verify(structuredClone(signed), {
      suite: verifyingSuites(),
      purpose: new AssertionProofPurpose(),
      documentLoader,
    });
    if(!result.verified) {
      throw new Error(`benchmark document does not verify: ${result.error?.message}`);
    }
  };

  for(let i = 0; i < warmup; i++) {
    await signOnce();
    await verifyOnce();
  }
  const signMs = [];
  for(let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await signOnce();
    signMs.push(performance.now() - t0);
  }
  const verifyMs = [];
  for(let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await verifyOnce();
    verifyMs.push(performance.now() - t0);
  }
  const total = ms => ms.reduce((a, b) => a + b, 0);
  return {
    suite: request.suite,
    iterations,
    signPerSec: iterations / (total(signMs) / 1000),
    verifyPerSec: iterations / (total(verifyMs) / 1000),
    signMedianMs: median(signMs),
    verifyMedianMs: median(verifyMs),
    node: process.version,
  };
});
