// served.mjs — verifying a credential from a running Passerelle issuer with @digitalbazaar/vc:
// its did:web DID document and its Bitstring Status Lists are fetched from that service through
// a `fetchJson(url)` the caller provides (verify-served.mjs maps the https origin to plain HTTP
// on loopback; oid4vci.mjs fetches the issuer's loopback https directly, trusting the test CA).
// Contexts are served from the Rust crate's bundle, as in loader.mjs (which these scripts cannot
// import: loader.mjs switches the network off for the whole process).
//
// Status: @digitalbazaar/vc takes the status check as a function. This one fetches each entry's
// `statusListCredential`, verifies that list credential with the same library (signature and
// issuer key), requires the same issuer as the credential, then reads the entry's bit from
// `encodedList` (multibase base64url, GZIP, most significant bit first, as the Bitstring Status
// List spec says). A set bit makes the credential not verified.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';

import {errorMessages, verifyingSuites} from './common.mjs';

const CONTEXTS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'contexts');
export const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

function loadBundled() {
  const sources = JSON.parse(fs.readFileSync(path.join(CONTEXTS_DIR, 'sources.json'), 'utf8'));
  const map = new Map();
  for(const record of sources.contexts) {
    map.set(record.url, JSON.parse(fs.readFileSync(path.join(CONTEXTS_DIR, record.file), 'utf8')));
  }
  return map;
}
const contexts = loadBundled();

/** did:web → its did.json URL (the did:web method specification's rules). */
export function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const host = parts.shift();
  const tail = parts.length ? '/' + parts.join('/') : '/.well-known';
  return `https://${host}${tail}/did.json`;
}

export function issuerId(credential) {
  return typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
}

/** The bit at `index` of a multibase (base64url, 'u') GZIP bitstring, MSB first. */
function bitAt(encodedList, index) {
  if(typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('encodedList is not multibase base64url');
  }
  const bytes = zlib.gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  if(index >= bytes.length * 8) {
    throw new Error(`status index ${index} is beyond the list's ${bytes.length * 8} entries`);
  }
  return (bytes[index >> 3] >> (7 - (index & 7))) & 1;
}

/**
 * A verifier bound to one service: `{documentLoader, checkStatus, didDocument, statusReport,
 * verifyCredential(document)}`. `fetchJson(url)` fetches a JSON document (and refuses any URL
 * it should not fetch).
 */
export function servedVerifier(fetchJson) {
  const didDocuments = new Map();
  const statusReport = [];

  async function didDocument(did) {
    if(!didDocuments.has(did)) {
      const document = await fetchJson(didWebUrl(did));
      if(document.id !== did) {
        throw new Error(`served: the document at ${didWebUrl(did)} is for ${document.id}`);
      }
      didDocuments.set(did, document);
    }
    return didDocuments.get(did);
  }

  async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    if(url.startsWith('did:web:')) {
      const [did, fragment] = url.split('#');
      const document = await didDocument(did);
      if(fragment === undefined) {
        return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
      }
      const method = (document.verificationMethod ?? []).find(m => m.id === url);
      if(!method) {
        throw new Error(`served: ${did}'s document has no verification method ${url}`);
      }
      return {
        contextUrl: null,
        documentUrl: url,
        document: {'@context': MULTIKEY_V1, ...structuredClone(method)},
      };
    }
    throw new Error(`served: ${url} is not a bundled context or a did:web DID`);
  }

  async function checkStatus({credential}) {
    const entries = [credential.credentialStatus ?? []].flat();
    let verified = true;
    const errors = [];
    for(const entry of entries) {
      if(entry.type !== 'BitstringStatusListEntry') {
        throw new Error(`unsupported status entry type ${entry.type}`);
      }
      const list = await fetchJson(entry.statusListCredential);
      const listResult = await vc.verifyCredential({
        credential: list,
        suite: verifyingSuites(),
        documentLoader,
        checkStatus: async () => ({verified: false, error: new Error('a status list has no status')}),
      });
      const listVerified = listResult.verified === true;
      if(!listVerified) {
        errors.push(`the status list ${entry.statusListCredential} does not verify: ` +
          errorMessages(listResult).join('; '));
      }
      if(issuerId(list) !== issuerId(credential)) {
        errors.push(`the status list's issuer ${issuerId(list)} is not the credential's`);
      }
      const subject = list.credentialSubject ?? {};
      if(subject.statusPurpose !== entry.statusPurpose) {
        errors.push(`the list's purpose ${subject.statusPurpose} is not ${entry.statusPurpose}`);
      }
      const set = bitAt(subject.encodedList, Number.parseInt(entry.statusListIndex, 10)) === 1;
      statusReport.push({purpose: entry.statusPurpose, set, listVerified});
      if(set) {
        errors.push(`the issuer has set the ${entry.statusPurpose} bit`);
      }
      if(errors.length > 0) {
        verified = false;
      }
    }
    return verified ? {verified} : {verified, error: new Error(errors.join('; '))};
  }

  /** `{verified, proofVerified, errors, status}` for a credential with a Data Integrity proof. */
  async function verifyCredential(document) {
    const result = await vc.verifyCredential({
      credential: structuredClone(document),
      suite: verifyingSuites(),
      documentLoader,
      checkStatus,
    });
    const proofVerified = Array.isArray(result.results) && result.results.length > 0 &&
      result.results.every(r => r.verified === true);
    return {
      verified: result.verified === true,
      proofVerified,
      errors: errorMessages(result),
      status: statusReport,
    };
  }

  return {documentLoader, checkStatus, didDocument, statusReport, verifyCredential};
}
