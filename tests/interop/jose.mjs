// jose.mjs — JWS compact serialisation with the `jose` package (EdDSA / Ed25519).
//
// sign:   {"op": "sign", "payload": {...} | "payloadText": "...", "jwk": {private OKP JWK},
//          "kid"?: "...", "typ"?: "vc+jwt", "alg"?: "EdDSA"|"Ed25519"}
//         -> {"jws": "<header>.<payload>.<signature>"}
//         `payload` is serialised with JSON.stringify (no added whitespace); `payloadText` is
//         signed as its UTF-8 bytes.
// verify: {"op": "verify", "jws": "...", "jwk": {public OKP JWK}, "algorithms"?: [...]}
//         -> {"verified": bool, "payload": {...}|null, "payloadText": "...", "header": {...},
//             "errors": [string]}
//         `payload` is null when the payload is not JSON. A JWS that does not verify (or does
//         not parse) answers verified: false with exit 0.

import {CompactSign, compactVerify, importJWK} from 'jose';

import {RequestError, requireObject, requireString, serve} from './common.mjs';

const ALGORITHMS = ['EdDSA', 'Ed25519'];

async function sign(request) {
  const jwk = requireObject(request, 'jwk');
  const alg = request.alg ?? 'EdDSA';
  if(!ALGORITHMS.includes(alg)) {
    throw new RequestError(`"alg" must be one of ${ALGORITHMS.join(', ')}`);
  }
  let bytes;
  if(request.payloadText !== undefined) {
    bytes = new TextEncoder().encode(requireString(request, 'payloadText'));
  } else {
    bytes = new TextEncoder().encode(JSON.stringify(requireObject(request, 'payload')));
  }
  const header = {alg};
  if(request.kid !== undefined) {
    header.kid = requireString(request, 'kid');
  }
  if(request.typ !== undefined) {
    header.typ = requireString(request, 'typ');
  }
  const key = await importJWK(jwk, alg);
  const jws = await new CompactSign(bytes).setProtectedHeader(header).sign(key);
  return {jws};
}

async function verify(request) {
  const jws = requireString(request, 'jws');
  const jwk = requireObject(request, 'jwk');
  const algorithms = request.algorithms ?? ALGORITHMS;
  const key = await importJWK({...jwk, d: undefined}, 'EdDSA');
  try {
    const {payload, protectedHeader} = await compactVerify(jws, key, {algorithms});
    const payloadText = new TextDecoder('utf-8', {fatal: true}).decode(payload);
    let parsed = null;
    try {
      parsed = JSON.parse(payloadText);
    } catch {
      parsed = null;
    }
    return {verified: true, payload: parsed, payloadText, header: protectedHeader, errors: []};
  } catch(e) {
    return {
      verified: false, payload: null, payloadText: null, header: null,
      errors: [`${e.code ?? e.name}: ${e.message}`],
    };
  }
}

await serve(async request => {
  switch(request.op) {
    case 'sign':
      return sign(request);
    case 'verify':
      return verify(request);
    default:
      throw new RequestError('"op" must be "sign" or "verify"');
  }
});
