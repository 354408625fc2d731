// Shared pieces of the interop scripts: the request/answer protocol on stdin/stdout, keys from
// seeds, the Data Integrity suites and proof purposes.

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as jcsSign,
  createVerifyCryptosuite as jcsVerify,
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

const {AssertionProofPurpose, AuthenticationProofPurpose} = jsigs.purposes;

/** A request the caller got wrong: reported as a harness error (exit 2). */
export class RequestError extends Error {}

/**
 * Runs `handler(request)` on the JSON request read from stdin and prints its answer as one JSON
 * line. Exit 0 on success (a negative verification result is a success), 2 for a bad request,
 * 1 for any other harness error; errors go to stderr as JSON `{"error": "..."}`.
 */
export async function serve(handler) {
  let request;
  try {
    const text = await readStdin();
    try {
      request = JSON.parse(text);
    } catch(e) {
      throw new RequestError(`request is not JSON: ${e.message}`);
    }
    if(request === null || typeof request !== 'object' || Array.isArray(request)) {
      throw new RequestError('request must be a JSON object');
    }
    const answer = await handler(request);
    process.stdout.write(JSON.stringify(answer) + '\n');
  } catch(e) {
    process.stderr.write(JSON.stringify({error: e?.message ?? String(e)}) + '\n');
    process.exitCode = e instanceof RequestError ? 2 : 1;
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `request[name]`, required to be a string. */
export function requireString(request, name) {
  const value = request[name];
  if(typeof value !== 'string' || value === '') {
    throw new RequestError(`"${name}" must be a non-empty string`);
  }
  return value;
}

/** `request[name]`, required to be a JSON object. */
export function requireObject(request, name) {
  const value = request[name];
  if(value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError(`"${name}" must be a JSON object`);
  }
  return value;
}

/** An Ed25519 Multikey key pair from a 32-byte seed in hex, with `id` = the verification method. */
export async function keyPairFromSeed(seedHex, verificationMethod) {
  if(!/^[0-9a-fA-F]{64}$/.test(seedHex)) {
    throw new RequestError('"seedHex" must be 32 bytes in hex (64 hex digits)');
  }
  const hash = verificationMethod.indexOf('#');
  const controller = hash > 0 ? verificationMethod.slice(0, hash) : verificationMethod;
  return Ed25519Multikey.generate({
    seed: Uint8Array.from(Buffer.from(seedHex, 'hex')),
    id: verificationMethod,
    controller,
  });
}

export const SUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022'];

/** A signing Data Integrity suite for `name`, with `created` = `created`. */
export function signingSuite(name, signer, created) {
  const date = created ?? null;
  switch(name) {
    case 'eddsa-rdfc-2022':
      return new DataIntegrityProof({signer, date, cryptosuite: eddsaRdfc2022});
    case 'eddsa-jcs-2022':
      return new DataIntegrityProof({signer, date, cryptosuite: jcsSign()});
    default:
      throw new RequestError(`"suite" must be one of ${SUITES.join(', ')}; got ${JSON.stringify(name)}`);
  }
}

/** Every suite a verifier accepts: both EdDSA cryptosuites and legacy Ed25519Signature2020. */
export function verifyingSuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: jcsVerify()}),
    new Ed25519Signature2020(),
  ];
}

/** The proof purpose a signing request asks for. */
export function signingPurpose(request) {
  const purpose = request.proofPurpose ?? 'assertionMethod';
  if(purpose === 'assertionMethod') {
    return new AssertionProofPurpose();
  }
  if(purpose === 'authentication') {
    return new AuthenticationProofPurpose({
      challenge: requireString(request, 'challenge'),
      domain: request.domain,
    });
  }
  throw new RequestError(`"proofPurpose" must be assertionMethod or authentication; got ${JSON.stringify(purpose)}`);
}

/** Flattens the nested errors of a jsonld-signatures / vc result into messages. */
export function errorMessages(result) {
  const out = [];
  const seen = new Set();
  const visit = (node, depth) => {
    if(node === null || typeof node !== 'object' || depth > 8 || seen.has(node)) {
      return;
    }
    seen.add(node);
    if(node instanceof Error) {
      const name = node.name && node.name !== 'Error' ? `${node.name}: ` : '';
      if(node.message && !(Array.isArray(node.errors) && node.errors.length)) {
        out.push(name + node.message);
      }
      for(const inner of node.errors ?? []) {
        visit(inner, depth + 1);
      }
      if(node.cause) {
        visit(node.cause, depth + 1);
      }
      return;
    }
    for(const value of Array.isArray(node) ? node : Object.values(node)) {
      visit(value, depth + 1);
    }
  };
  visit(result, 0);
  return [...new Set(out)];
}

export {jsigs};
