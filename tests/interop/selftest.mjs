// selftest.mjs — proves the interop scripts against the project's test vectors, by running
// each script as a separate process exactly as the Rust interop test will. Prints one line per
// check and exits non-zero if any check fails.
//
// Vectors are read from ../../../shared/vectors (the project's shared/ folder beside the
// workspace), or from $PASSERELLE_VECTORS.

import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {isDeepStrictEqual} from 'node:util';

import * as base58 from 'base58-universal';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = process.env.PASSERELLE_VECTORS ??
  path.resolve(HERE, '..', '..', '..', 'shared', 'vectors');

if(!fs.existsSync(path.join(VECTORS, 'README.md'))) {
  console.error(`selftest: test vectors not found at ${VECTORS} ` +
    '(set PASSERELLE_VECTORS to the shared/vectors folder)');
  process.exit(1);
}

const vector = rel => JSON.parse(fs.readFileSync(path.join(VECTORS, rel), 'utf8'));

function run(script, request) {
  const child = spawnSync(process.execPath, [path.join(HERE, script)], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if(child.status !== 0) {
    throw new Error(`${script} exited ${child.status}: ${child.stderr.trim()}`);
  }
  return JSON.parse(child.stdout);
}

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const detail = fn();
    passed++;
    console.log(`ok   ${name}${detail ? ` — ${detail}` : ''}`);
  } catch(e) {
    failed++;
    console.log(`FAIL ${name} — ${e.message}`);
  }
}
function assert(condition, message) {
  if(!condition) {
    throw new Error(message);
  }
}

// ---- keys ------------------------------------------------------------------------------------
// W3C vector: privateKeyMultibase = z + base58btc(0x8026 ‖ 32-byte seed).
const w3cKeys = vector('vc-di-eddsa/keyPair.json');
const w3cSecret = base58.decode(w3cKeys.privateKeyMultibase.slice(1));
assert(w3cSecret.length === 34 && w3cSecret[0] === 0x80 && w3cSecret[1] === 0x26,
  'W3C privateKeyMultibase is not an Ed25519 Multikey secret key');
const w3cSeedHex = Buffer.from(w3cSecret.slice(2)).toString('hex');
// OB vector: privateKeyHex = seed ‖ public key (64 bytes); the seed is the first 32.
const obKeys = vector('openbadges/ldp-eddsa-rdfc-2022/key-pair.json');
const obSeedHex = obKeys.privateKeyHex.slice(0, 64);

const tamper = (doc, mutate) => {
  const copy = structuredClone(doc);
  mutate(copy);
  return copy;
};

// ---- signing reproduces the vectors ----------------------------------------------------------
for(const [suite, dir, suffix] of [
  ['eddsa-rdfc-2022', 'rdfc-2022', 'DataInt'],
  ['eddsa-jcs-2022', 'jcs-2022', 'JCS'],
]) {
  check(`sign.mjs ${suite} reproduces W3C signed${suffix}.json`, () => {
    const config = vector(`vc-di-eddsa/${dir}/proofConfig${suffix}.json`);
    const expected = vector(`vc-di-eddsa/${dir}/signed${suffix}.json`);
    const {signed} = run('sign.mjs', {
      suite,
      document: vector('vc-di-eddsa/unsigned.json'),
      seedHex: w3cSeedHex,
      verificationMethod: config.verificationMethod,
      created: config.created,
    });
    assert(signed.proof.proofValue === expected.proof.proofValue,
      `proofValue ${signed.proof.proofValue} != vector ${expected.proof.proofValue}`);
    assert(isDeepStrictEqual(signed, expected), 'signed document differs from the vector');
    return `proofValue ${signed.proof.proofValue.slice(0, 16)}…`;
  });
}

check('sign.mjs eddsa-rdfc-2022 reproduces the OB 3.0 LDP vector', () => {
  const options = vector('openbadges/ldp-eddsa-rdfc-2022/proof-options.json');
  const expected = vector('openbadges/ldp-eddsa-rdfc-2022/signed.json');
  const {signed} = run('sign.mjs', {
    suite: 'eddsa-rdfc-2022',
    document: vector('openbadges/ldp-eddsa-rdfc-2022/unsigned.json'),
    seedHex: obSeedHex,
    verificationMethod: options.verificationMethod,
    created: options.created,
  });
  assert(signed.proof.proofValue === expected.proof.proofValue,
    `proofValue ${signed.proof.proofValue} != vector ${expected.proof.proofValue}`);
  assert(isDeepStrictEqual(signed, expected), 'signed document differs from the vector');
  return `proofValue ${signed.proof.proofValue.slice(0, 16)}…`;
});

// ---- verification ----------------------------------------------------------------------------
const verify = request => run('verify.mjs', request);
const expectVerified = (request, expected) => {
  const answer = verify(request);
  assert(answer.verified === expected,
    `verified ${answer.verified}, expected ${expected}; errors ${JSON.stringify(answer.errors)}`);
  return answer;
};

const signedDataInt = vector('vc-di-eddsa/rdfc-2022/signedDataInt.json');
const signedJCS = vector('vc-di-eddsa/jcs-2022/signedJCS.json');
const signedEdSig = vector('vc-di-eddsa/ed25519-signature-2020/signedEdSig.json');
const obSigned = vector('openbadges/ldp-eddsa-rdfc-2022/signed.json');

check('verify.mjs applies the vc library\'s issuer-controls-key rule by default', () => {
  const answer = expectVerified({document: signedDataInt}, false);
  assert(answer.errors.some(e => e.includes('issuer must match the verification method')),
    `unexpected errors ${JSON.stringify(answer.errors)}`);
  return answer.errors[0];
});
for(const [name, document] of [
  ['W3C signedDataInt.json (eddsa-rdfc-2022)', signedDataInt],
  ['W3C signedJCS.json (eddsa-jcs-2022)', signedJCS],
  ['W3C signedEdSig.json (Ed25519Signature2020)', signedEdSig],
]) {
  check(`verify.mjs accepts ${name}`, () => {
    expectVerified({document, issuerMustControlKey: false}, true);
  });
}
check('verify.mjs accepts the OB 3.0 LDP vector (key from the https VM fragment)', () => {
  expectVerified({document: obSigned}, true);
});
check('verify.mjs accepts the 1EdTech validator sample simple.json', () => {
  expectVerified({document: vector('openbadges/validator-samples/simple.json')}, true);
});

for(const [name, document, options] of [
  ['W3C signedDataInt.json with a changed subject',
    tamper(signedDataInt, d => { d.credentialSubject.alumniOf = 'The School of Forgery'; }),
    {issuerMustControlKey: false}],
  ['W3C signedJCS.json with a changed subject',
    tamper(signedJCS, d => { d.credentialSubject.alumniOf = 'The School of Forgery'; }),
    {issuerMustControlKey: false}],
  ['OB vector with a changed achievement name',
    tamper(obSigned, d => { d.credentialSubject.achievement.name = 'Leadership'; }), {}],
  ['OB vector with one proofValue character changed',
    tamper(obSigned, d => {
      const v = d.proof.proofValue;
      d.proof.proofValue = v.slice(0, -1) + (v.endsWith('r') ? 's' : 'r');
    }), {}],
  ['OB vector signed by another key (VM fragment swapped)',
    tamper(obSigned, d => {
      d.proof.verificationMethod =
        `https://example.edu/issuers/565049#${w3cKeys.publicKeyMultibase}`;
    }), {}],
  ['1EdTech simple-err-proof-value.json',
    vector('negative/1edtech-ob30/simple-err-proof-value.json'), {}],
]) {
  check(`verify.mjs rejects ${name}`, () => {
    const answer = expectVerified({document, ...options}, false);
    assert(answer.proofVerified === false, 'proofVerified should be false');
    return answer.errors[0];
  });
}

check('verify.mjs reports credentialStatus as not checked', () => {
  const answer = expectVerified(
    {document: vector('status-list/1edtech-credential-status-revoked.json')}, false);
  assert(answer.statusChecked === false, `statusChecked ${answer.statusChecked}`);
  assert(answer.proofVerified === true, 'the proof itself verifies');
  return answer.errors[0];
});

check('sign.mjs → verify.mjs round trip for a presentation (authentication, challenge, domain)', () => {
  const holder = 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
  const presentation = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder,
    verifiableCredential: [obSigned],
  };
  const {signed} = run('sign.mjs', {
    suite: 'eddsa-rdfc-2022', document: presentation, seedHex: w3cSeedHex,
    verificationMethod: `${holder}#${holder.slice('did:key:'.length)}`,
    created: '2024-01-01T00:00:00Z', proofPurpose: 'authentication',
    challenge: 'n-0S6_WzA2Mj', domain: 'employer.example',
  });
  expectVerified({document: signed, challenge: 'n-0S6_WzA2Mj', domain: 'employer.example'}, true);
  const wrong = verify({document: signed, challenge: 'another', domain: 'employer.example'});
  assert(wrong.verified === false, 'a wrong challenge must not verify');
  return `wrong challenge: ${wrong.errors[0]}`;
});

// ---- JOSE ------------------------------------------------------------------------------------
const rfc8037 = vector('jose/rfc8037-ed25519.json');
check('jose.mjs verifies the RFC 8037 A.4 JWS', () => {
  const answer = run('jose.mjs', {op: 'verify', jws: rfc8037.jwsCompact, jwk: rfc8037.publicKeyJwk});
  assert(answer.verified === true, JSON.stringify(answer.errors));
  assert(answer.payloadText === rfc8037.payload, `payload ${answer.payloadText}`);
});
check('jose.mjs reproduces the RFC 8037 A.4 JWS (Ed25519 is deterministic)', () => {
  const {jws} = run('jose.mjs', {op: 'sign', payloadText: rfc8037.payload, jwk: rfc8037.privateKeyJwk});
  assert(jws === rfc8037.jwsCompact, `got ${jws}`);
});
check('jose.mjs vc+jwt round trip, and rejects a tampered payload', () => {
  const payload = {iss: 'did:example:issuer', vc: obSigned};
  const {jws} = run('jose.mjs', {
    op: 'sign', payload, jwk: rfc8037.privateKeyJwk, kid: 'did:example:issuer#key-1', typ: 'vc+jwt',
  });
  const good = run('jose.mjs', {op: 'verify', jws, jwk: rfc8037.publicKeyJwk});
  assert(good.verified && isDeepStrictEqual(good.payload, payload), 'round trip failed');
  assert(good.header.typ === 'vc+jwt' && good.header.kid === 'did:example:issuer#key-1',
    `header ${JSON.stringify(good.header)}`);
  const [h, , s] = jws.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({...payload, iss: 'did:example:evil'})).toString('base64url')}.${s}`;
  const bad = run('jose.mjs', {op: 'verify', jws: forged, jwk: rfc8037.publicKeyJwk});
  assert(bad.verified === false, 'forged payload verified');
  return bad.errors[0];
});

// ---- the loader never fetches ----------------------------------------------------------------
const {documentLoader, bundledContexts} = await import('./loader.mjs');
const rustTable = fs.readFileSync(
  path.resolve(HERE, '..', '..', 'shared', 'contexts', 'bundled.rs'), 'utf8');
const rustUrls = [...rustTable.matchAll(/^ {8}url: "([^"]+)",$/gm)].map(m => m[1]);
const served = [];
for(const url of rustUrls) {
  try {
    const {document} = await documentLoader(url);
    if(document && document['@context']) {
      served.push(url);
    }
  } catch {
    // counted below
  }
}
check('loader serves exactly the contexts of the Rust table', () => {
  assert(rustUrls.length >= 15, `only ${rustUrls.length} URLs in bundled.rs`);
  assert(served.length === rustUrls.length && bundledContexts.size === rustUrls.length,
    `served ${served.length} of ${rustUrls.length}; loader has ${bundledContexts.size}`);
  return `${served.length} contexts`;
});
for(const url of [
  'https://w3id.org/security/jwk/v1',
  'https://www.w3.org/ns/did/v1',
  'http://www.w3.org/ns/credentials/v2',
  'https://example.com/context.json',
]) {
  let message = null;
  try {
    await documentLoader(url);
  } catch(e) {
    message = e.message;
  }
  check(`loader refuses ${url}`, () => {
    assert(message !== null, 'it was served');
    assert(message.includes(url), `error does not name the URL: ${message}`);
  });
}
// Loopback only: if the block failed, no traffic would leave the machine.
let socketError = null;
try {
  const socket = net.connect(65000, '127.0.0.1');
  socket.destroy();
} catch(e) {
  socketError = e.message;
}
let fetchError = null;
try {
  await fetch('http://127.0.0.1:65000/');
} catch(e) {
  fetchError = `${e.message}: ${e.cause?.message ?? ''}`;
}
check('the harness process cannot open sockets (net.connect, fetch)', () => {
  assert(socketError?.includes('network access is disabled'), `net.connect: ${socketError}`);
  assert(fetchError?.includes('network access is disabled'), `fetch: ${fetchError}`);
});

// ---- bench runs ------------------------------------------------------------------------------
check('bench.mjs runs', () => {
  const answer = run('bench.mjs', {
    suite: 'eddsa-rdfc-2022', document: vector('openbadges/ldp-eddsa-rdfc-2022/unsigned.json'),
    seedHex: obSeedHex, verificationMethod: obKeys.verificationMethod, iterations: 5, warmup: 1,
  });
  assert(answer.signPerSec > 0 && answer.verifyPerSec > 0, JSON.stringify(answer));
});

console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
