// oid4vci.mjs — the OpenWallet Foundation's independent OpenID4VCI client
// (@openid4vc/openid4vci, pinned in package-lock.json) running the whole pre-authorized code
// flow against a credential issuer on loopback https, then verifying what it received with the
// reference JavaScript verifiers.
//
//   node oid4vci.mjs '<openid-credential-offer://…>' [--tx-code 123456]
//        [--format ldp_vc|jwt_vc_json] [--alg EdDSA|ES256] [--kid-form did:key|did:jwk|jwk]
//        [--notification credential_accepted|credential_deleted|none]
//
// Every step is the library's: resolveCredentialOffer (by value or credential_offer_uri),
// resolveIssuerMetadata (credential issuer + authorization server metadata),
// retrievePreAuthorizedCodeAccessTokenFromOffer (with tx_code), requestNonce,
// createCredentialRequestJwtProof (signJwt below: `jose`, Ed25519 or P-256, fresh key per run),
// retrieveCredentials (1.0 `proofs`), sendNotification. No hand-written HTTP for the flow.
//
// Then the verify step: ldp_vc with @digitalbazaar/vc (eddsa-rdfc-2022), jwt_vc_json with
// `jose` (the issuer's key from its did:web document), both with the status lists read from the
// service (served.mjs). The issuer's documents are fetched from the running issuer.
//
// stdout, one JSON line:
//   success (exit 0): {"ok": true, "format", "configurationId", "credential", "holderDid" (the
//     DID the kid names; null for a bare jwk header), "holderJwk", "didKey", "didJwk" (the
//     holder key's two DIDs), "kid", "notificationId", "notification": {"sent", "status"},
//     "tokenResponse": {… without the access token}, "nonce",
//     "verification": {"verified", "proofVerified", "errors", "status", …}}
//   a step failed (exit 1): {"ok": false, "stage": "offer|metadata|token|nonce|proof|credential|
//     notification|verify", "error": "<spec error code or null>", "errorDescription", "status",
//     "message", "name"}
//   bad arguments: exit 2, {"error": "..."} on stderr.
//
// Network: only https to loopback names (localhost, 127.0.0.1, ::1) is fetched; anything else
// is refused by the fetch given to the library. TLS is checked as usual: the test sets
// NODE_EXTRA_CA_CERTS to its development CA; nothing disables certificate checks.

import crypto from 'node:crypto';
import dns from 'node:dns';
import {parseArgs} from 'node:util';

import * as base58 from 'base58-universal';
import {CompactSign, compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK} from 'jose';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';

import {servedVerifier} from './served.mjs';

// `localhost` is the issuer's public name; the service listens on 127.0.0.1 only.
dns.setDefaultResultOrder('ipv4first');

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The library's fetch: https to loopback only. */
async function loopbackFetch(input, init) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if(url.protocol !== 'https:' || !LOOPBACK.has(url.hostname)) {
    throw new Error(`oid4vci.mjs fetches only https on loopback; refused ${url.href}`);
  }
  return fetch(input, init);
}

async function fetchJson(url) {
  const response = await loopbackFetch(url);
  if(!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return response.json();
}

class UsageError extends Error {}

/** The stage a failure belongs to, carried to the JSON answer. */
class StageError extends Error {
  constructor(stage, cause) {
    super(cause?.message ?? String(cause));
    this.stage = stage;
    this.cause = cause;
  }
}

async function stage(name, fn) {
  try {
    return await fn();
  } catch(e) {
    throw new StageError(name, e);
  }
}

function options() {
  const {values, positionals} = parseArgs({
    allowPositionals: true,
    options: {
      'tx-code': {type: 'string'},
      format: {type: 'string', default: 'ldp_vc'},
      alg: {type: 'string', default: 'EdDSA'},
      'kid-form': {type: 'string', default: 'did:key'},
      notification: {type: 'string', default: 'credential_accepted'},
    },
  });
  if(positionals.length !== 1) {
    throw new UsageError('give exactly one credential offer URI');
  }
  const check = (name, allowed) => {
    if(!allowed.includes(values[name])) {
      throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got ${values[name]}`);
    }
  };
  check('format', ['ldp_vc', 'jwt_vc_json']);
  check('alg', ['EdDSA', 'ES256']);
  check('kid-form', ['did:key', 'did:jwk', 'jwk']);
  check('notification', ['credential_accepted', 'credential_deleted', 'none']);
  return {offer: positionals[0], ...values};
}

// ---- the holder key ----------------------------------------------------------------------------

/** An unsigned varint (multicodec prefix). */
function varint(n) {
  const out = [];
  while(n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** did:key of a public JWK: Ed25519 (0xed) or P-256 (0x1200, compressed point). */
function didKey(jwk) {
  let bytes;
  if(jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    bytes = [...varint(0xed), ...Buffer.from(jwk.x, 'base64url')];
  } else if(jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const y = Buffer.from(jwk.y, 'base64url');
    const prefix = (y[y.length - 1] & 1) === 1 ? 0x03 : 0x02;
    bytes = [...varint(0x1200), prefix, ...Buffer.from(jwk.x, 'base64url')];
  } else {
    throw new Error(`no did:key for ${jwk.kty}/${jwk.crv}`);
  }
  return 'did:key:z' + base58.encode(Uint8Array.from(bytes));
}

/** did:jwk of a public JWK (its JSON, base64url). */
function didJwk(jwk) {
  return 'did:jwk:' + Buffer.from(JSON.stringify(jwk), 'utf8').toString('base64url');
}

async function holderKey(alg, kidForm) {
  const {publicKey, privateKey} = alg === 'EdDSA' ?
    await generateKeyPair('EdDSA', {crv: 'Ed25519', extractable: true}) :
    await generateKeyPair('ES256', {extractable: true});
  const exported = await exportJWK(publicKey);
  // Only the public members, in a fixed order.
  const publicJwk = exported.kty === 'OKP' ?
    {kty: 'OKP', crv: exported.crv, x: exported.x} :
    {kty: 'EC', crv: exported.crv, x: exported.x, y: exported.y};
  const keyDid = didKey(publicJwk);
  const jwkDid = didJwk(publicJwk);
  let did;
  let signer;
  if(kidForm === 'did:key') {
    did = keyDid;
    signer = {method: 'did', didUrl: `${did}#${did.slice('did:key:'.length)}`, alg};
  } else if(kidForm === 'did:jwk') {
    did = jwkDid;
    signer = {method: 'did', didUrl: `${did}#0`, alg};
  } else {
    // A bare `jwk` header: the issuer derives the holder's DID (did:key or did:jwk) itself.
    did = null;
    signer = {method: 'jwk', publicJwk, alg};
  }
  return {privateKey, publicJwk, did, didKey: keyDid, didJwk: jwkDid, signer};
}

// ---- the library's callbacks -------------------------------------------------------------------

function callbacks(holder) {
  return {
    fetch: loopbackFetch,
    hash: (data, alg) => {
      const name = {'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512'}[alg];
      if(!name) {
        throw new Error(`unsupported hash ${alg}`);
      }
      return new Uint8Array(crypto.createHash(name).update(data).digest());
    },
    generateRandom: length => new Uint8Array(crypto.randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (jwtSigner, {header, payload}) => {
      if(jwtSigner.alg !== holder.signer.alg) {
        throw new Error(`asked to sign with ${jwtSigner.alg}; the holder key is ${holder.signer.alg}`);
      }
      const bytes = new TextEncoder().encode(JSON.stringify(payload));
      const jwt = await new CompactSign(bytes).setProtectedHeader(header).sign(holder.privateKey);
      return {jwt, signerJwk: holder.publicJwk};
    },
  };
}

// ---- failure answers ---------------------------------------------------------------------------

/** The spec error code (and description, HTTP status) a library error carries, if any. */
function specError(e) {
  // Oauth2ClientErrorResponseError (token endpoint): errorResponse {error, error_description}.
  if(e?.errorResponse?.error) {
    return {error: e.errorResponse.error, errorDescription: e.errorResponse.error_description ?? null,
      status: e.response?.status ?? null};
  }
  // Openid4vciRetrieveCredentialsError / Openid4vciSendNotificationError: response {…}.
  const response = e?.response;
  if(response && typeof response === 'object') {
    const parsed = response.credentialErrorResponseResult?.data ??
      response.notificationErrorResponseResult?.data;
    const www = response.wwwAuthenticate?.[0];
    const status = response.response?.status ?? response.status ?? null;
    if(parsed?.error) {
      return {error: parsed.error, errorDescription: parsed.error_description ?? null, status};
    }
    if(www?.error) {
      return {error: www.error, errorDescription: www.error_description ?? null, status,
        scheme: www.scheme};
    }
    return {error: null, errorDescription: null, status};
  }
  return {error: null, errorDescription: null, status: null};
}

/** The messages of an error's `cause` chain (a fetch failure's reason is two levels down). */
function causes(e) {
  const out = [];
  for(let c = e?.cause, depth = 0; c && depth < 5; c = c.cause, depth++) {
    out.push(c.code ? `${c.code}: ${c.message}` : c.message ?? String(c));
  }
  return out;
}

function failure(e) {
  const inner = e instanceof StageError ? e.cause : e;
  return {
    ok: false,
    stage: e instanceof StageError ? e.stage : 'driver',
    ...specError(inner),
    name: inner?.constructor?.name ?? 'Error',
    message: inner?.message ?? String(inner),
    causes: causes(inner),
  };
}

// ---- the verify step ---------------------------------------------------------------------------

/** A Multikey / JWK verification method → a public JWK for `jose`. */
function methodJwk(method) {
  if(method.publicKeyJwk) {
    return method.publicKeyJwk;
  }
  const multibase = method.publicKeyMultibase;
  if(typeof multibase !== 'string' || !multibase.startsWith('z')) {
    throw new Error(`verification method ${method.id} has no usable public key`);
  }
  const bytes = base58.decode(multibase.slice(1));
  if(bytes[0] !== 0xed || bytes[1] !== 0x01 || bytes.length !== 34) {
    throw new Error(`verification method ${method.id} is not an Ed25519 Multikey`);
  }
  return {kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes.slice(2)).toString('base64url')};
}

function referenced(list, id, did) {
  return (list ?? []).some(entry => {
    const ref = typeof entry === 'string' ? entry : entry?.id;
    return ref === id || (ref?.startsWith('#') && did + ref === id);
  });
}

/** VC-JOSE: the JWS verifies with the key its kid names in the issuer's did:web document. */
async function verifyJwtVc(jws, verifier) {
  const errors = [];
  const header = decodeProtectedHeader(jws);
  const kid = header.kid;
  if(typeof kid !== 'string' || !kid.startsWith('did:web:') || !kid.includes('#')) {
    return {verified: false, proofVerified: false, errors: [`kid ${kid} is not a did:web DID URL`], header};
  }
  const did = kid.split('#')[0];
  const document = await verifier.didDocument(did);
  const method = (document.verificationMethod ?? []).find(m => m.id === kid ||
    (m.id.startsWith('#') && did + m.id === kid));
  if(!method) {
    return {verified: false, proofVerified: false, errors: [`${did} has no key ${kid}`], header};
  }
  if(!referenced(document.assertionMethod, kid, did)) {
    errors.push(`${kid} is not listed under assertionMethod`);
  }
  let payload;
  let proofVerified = false;
  try {
    const key = await importJWK(methodJwk(method), 'EdDSA');
    const result = await compactVerify(jws, key, {algorithms: ['EdDSA', 'Ed25519']});
    payload = JSON.parse(new TextDecoder().decode(result.payload));
    proofVerified = true;
  } catch(e) {
    errors.push(`signature: ${e.message}`);
    return {verified: false, proofVerified, errors, header};
  }
  if(header.typ !== 'vc+jwt') {
    errors.push(`typ is ${header.typ}, not vc+jwt`);
  }
  const issuer = typeof payload.issuer === 'string' ? payload.issuer : payload.issuer?.id;
  if(issuer !== did) {
    errors.push(`issuer ${issuer} is not the signing DID ${did}`);
  }
  const now = Date.now();
  if(payload.validFrom && Date.parse(payload.validFrom) > now) {
    errors.push(`validFrom ${payload.validFrom} is in the future`);
  }
  if(payload.validUntil && Date.parse(payload.validUntil) < now) {
    errors.push(`validUntil ${payload.validUntil} has passed`);
  }
  const status = await verifier.checkStatus({credential: payload});
  if(!status.verified) {
    errors.push(status.error?.message ?? 'status');
  }
  return {verified: errors.length === 0, proofVerified, errors, header, payload,
    status: verifier.statusReport};
}

async function verifyReceived(format, credential) {
  const verifier = servedVerifier(fetchJson);
  if(format === 'ldp_vc') {
    if(credential === null || typeof credential !== 'object') {
      return {verified: false, proofVerified: false, errors: ['an ldp_vc credential is a JSON object']};
    }
    return verifier.verifyCredential(credential);
  }
  if(typeof credential !== 'string') {
    return {verified: false, proofVerified: false, errors: ['a jwt_vc_json credential is a compact JWS string']};
  }
  return verifyJwtVc(credential, verifier);
}

// ---- the flow ----------------------------------------------------------------------------------

async function run(opts) {
  const holder = await holderKey(opts.alg, opts['kid-form']);
  const client = new Openid4vciClient({callbacks: callbacks(holder)});

  const credentialOffer = await stage('offer', () => client.resolveCredentialOffer(opts.offer));
  const issuerMetadata = await stage('metadata',
    () => client.resolveIssuerMetadata(credentialOffer.credential_issuer));
  const configurations = issuerMetadata.credentialIssuer.credential_configurations_supported;
  const configurationId = await stage('metadata', async () => {
    const matching = credentialOffer.credential_configuration_ids
      .filter(id => configurations[id]?.format === opts.format);
    if(matching.length === 0) {
      throw new Error(`the offer has no ${opts.format} configuration: ` +
        credentialOffer.credential_configuration_ids.join(', '));
    }
    return matching[0];
  });

  const {accessTokenResponse} = await stage('token',
    () => client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
      txCode: opts['tx-code'],
    }));
  const {c_nonce: nonce} = await stage('nonce', () => client.requestNonce({issuerMetadata}));
  const {jwt} = await stage('proof', () => client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    signer: holder.signer,
    nonce,
    issuedAt: new Date(),
  }));
  const {credentialResponse} = await stage('credential', () => client.retrieveCredentials({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    accessToken: accessTokenResponse.access_token,
    proofs: {jwt: [jwt]},
  }));
  const credentials = credentialResponse.credentials ?? [];
  const credential = await stage('credential', async () => {
    if(credentials.length !== 1) {
      throw new Error(`expected one credential, got ${credentials.length}: ${JSON.stringify(credentialResponse)}`);
    }
    return credentials[0].credential;
  });

  const notification = {sent: false, status: null};
  if(opts.notification !== 'none') {
    const answer = await stage('notification', async () => {
      if(!credentialResponse.notification_id) {
        throw new Error('the credential response has no notification_id');
      }
      return client.sendNotification({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        notification: {notificationId: credentialResponse.notification_id, event: opts.notification},
      });
    });
    notification.sent = true;
    notification.status = answer.response.status;
    if(!answer.ok) {
      throw new StageError('notification', Object.assign(
        new Error(`the notification endpoint answered ${answer.response.status}`), {response: answer}));
    }
  }

  const verification = await stage('verify', () => verifyReceived(opts.format, credential));
  const {access_token: _secret, ...tokenResponse} = accessTokenResponse;
  return {
    ok: true,
    format: opts.format,
    configurationId,
    credential,
    holderDid: holder.did,
    holderJwk: holder.publicJwk,
    didKey: holder.didKey,
    didJwk: holder.didJwk,
    kid: holder.signer.didUrl ?? null,
    notificationId: credentialResponse.notification_id ?? null,
    notification,
    tokenResponse,
    nonce,
    verification,
  };
}

let opts;
try {
  opts = options();
} catch(e) {
  process.stderr.write(JSON.stringify({error: e.message}) + '\n');
  process.exit(2);
}
try {
  const answer = await run(opts);
  process.stdout.write(JSON.stringify(answer) + '\n');
} catch(e) {
  process.stdout.write(JSON.stringify(failure(e)) + '\n');
  process.exitCode = 1;
}
