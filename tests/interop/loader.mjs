// The interop harness's JSON-LD document loader. It serves:
//   - exactly the contexts bundled in the Rust crate, read from ../../shared/contexts/ through
//     its sources.json, so both sides process the very same bytes;
//   - did:key DIDs and verification methods (Ed25519, as Multikey), built locally;
//   - `<https-url>#<Ed25519 publicKeyMultibase>` verification methods, taking the fragment as
//     the key (what the 1EdTech validator does), and their controller documents.
// Any other URL throws an error naming it. Nothing is ever fetched: this module also disables
// outgoing sockets and DNS for the whole process, so a library that tried would fail loudly.

import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as base58 from 'base58-universal';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

// ---- no network, ever --------------------------------------------------------------------------
const NO_NETWORK = 'interop harness: network access is disabled (nothing is ever fetched)';
net.Socket.prototype.connect = function connect() {
  throw new Error(NO_NETWORK);
};
dns.lookup = (...args) => {
  const callback = args[args.length - 1];
  if(typeof callback === 'function') {
    process.nextTick(callback, new Error(NO_NETWORK));
    return;
  }
  throw new Error(NO_NETWORK);
};

// ---- bundled contexts --------------------------------------------------------------------------
const CONTEXTS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'contexts');

function loadBundled() {
  const sources = JSON.parse(fs.readFileSync(path.join(CONTEXTS_DIR, 'sources.json'), 'utf8'));
  const map = new Map();
  for(const record of sources.contexts) {
    const bytes = fs.readFileSync(path.join(CONTEXTS_DIR, record.file), 'utf8');
    map.set(record.url, {record, document: JSON.parse(bytes)});
  }
  return map;
}

/** URL -> {record, document} for every context the Rust crate bundles. */
export const bundledContexts = loadBundled();

// ---- did:key -------------------------------------------------------------------------------------
const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

// ---- https URL whose fragment is the key -------------------------------------------------------
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const DID_V1 = 'https://www.w3.org/ns/did/v1';
// controller URL -> Set of verification method ids served so far
const fragmentKeyControllers = new Map();

async function fragmentKeyMethod(url) {
  const hash = url.indexOf('#');
  const controller = url.slice(0, hash);
  const fragment = url.slice(hash + 1);
  const bytes = base58.decode(fragment.slice(1));
  if(bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new Error(`interop loader: fragment of ${url} is not an Ed25519 Multikey public key`);
  }
  if(!fragmentKeyControllers.has(controller)) {
    fragmentKeyControllers.set(controller, new Set());
  }
  fragmentKeyControllers.get(controller).add(url);
  return {
    '@context': MULTIKEY_V1,
    id: url,
    type: 'Multikey',
    controller,
    publicKeyMultibase: fragment,
  };
}

function fragmentKeyController(url) {
  const methods = [...fragmentKeyControllers.get(url)];
  // A controller document listing the key for both purposes. Its DID v1 @context only lets
  // jsonld-signatures read `assertionMethod` / `authentication` without JSON-LD framing; that
  // context is never loaded (it is not bundled, so loading it would throw).
  return {
    '@context': DID_V1,
    id: url,
    assertionMethod: methods,
    authentication: methods,
  };
}

function isFragmentKeyUrl(url) {
  return /^https:\/\/[^#\s]+#z6Mk[1-9A-HJ-NP-Za-km-z]+$/.test(url);
}

// ---- the loader -------------------------------------------------------------------------------
export async function documentLoader(url) {
  const bundled = bundledContexts.get(url);
  if(bundled) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(bundled.document)};
  }
  if(url.startsWith('did:key:')) {
    const document = await didKey.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if(isFragmentKeyUrl(url)) {
    return {contextUrl: null, documentUrl: url, document: await fragmentKeyMethod(url)};
  }
  if(fragmentKeyControllers.has(url)) {
    return {contextUrl: null, documentUrl: url, document: fragmentKeyController(url)};
  }
  throw new Error(
    `interop loader: ${url} is not a bundled context or a resolvable key; nothing is fetched`);
}
