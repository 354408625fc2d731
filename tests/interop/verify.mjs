// verify.mjs — verifies a credential or presentation with @digitalbazaar/vc.
//
// stdin:  {"document": {...}, "kind"?: "credential"|"presentation", "challenge"?: "...",
//          "domain"?: "...", "now"?: "<date-time>", "issuerMustControlKey"?: bool}
// stdout: {"verified": bool, "errors": [string], "proofVerified": bool|null,
//          "statusChecked": false|null}
//
// Suites: DataIntegrityProof with eddsa-rdfc-2022 and eddsa-jcs-2022, and legacy
// Ed25519Signature2020. Keys come from did:key, or from `<https-url>#<publicKeyMultibase>`
// (the fragment is taken as the key; see loader.mjs). `kind` defaults from `type`.
//
// Credential status is never checked (that would need the network): when a credential has
// `credentialStatus`, the status check reports "could not check", which makes `verified`
// false; `statusChecked` is then false and `proofVerified` tells whether the proofs verified.
// `now` (default: the current time) is used for validFrom / validUntil checks.
// `issuerMustControlKey` (default true, the library's own rule): a credential's proof must be
// made with a key whose controller is the credential's `issuer`. The W3C test vectors break
// this rule (issuer https://vc.example/issuers/5678, key did:key:z6Mkr…); pass false to check
// only the signature and the assertionMethod relationship.
// `proofVerified`: every proof verified (signature and proof purpose), ignoring status and
// validity dates.

import * as vc from '@digitalbazaar/vc';

import {documentLoader} from './loader.mjs';
import {
  RequestError, errorMessages, jsigs, requireObject, serve, verifyingSuites,
} from './common.mjs';

const STATUS_NOT_CHECKED =
  'credential status could not be checked: the interop harness never fetches status lists';

async function checkStatus() {
  return {verified: false, error: new Error(STATUS_NOT_CHECKED)};
}

function kindOf(request, document) {
  if(request.kind !== undefined) {
    if(request.kind !== 'credential' && request.kind !== 'presentation') {
      throw new RequestError('"kind" must be "credential" or "presentation"');
    }
    return request.kind;
  }
  const types = [document.type ?? []].flat();
  return types.includes('VerifiablePresentation') ? 'presentation' : 'credential';
}

function hasStatus(credential) {
  return credential !== null && typeof credential === 'object' &&
    credential.credentialStatus !== undefined;
}

function proofsVerified(results) {
  if(!Array.isArray(results) || results.length === 0) {
    return false;
  }
  return results.every(r => r.verified === true);
}

await serve(async request => {
  const document = requireObject(request, 'document');
  const kind = kindOf(request, document);
  const common = {
    suite: verifyingSuites(),
    documentLoader,
    checkStatus,
    ...(request.now ? {now: request.now} : {}),
  };
  if(request.issuerMustControlKey === false) {
    common.purpose = new jsigs.purposes.AssertionProofPurpose();
  } else if(request.issuerMustControlKey !== undefined && request.issuerMustControlKey !== true) {
    throw new RequestError('"issuerMustControlKey" must be a boolean');
  }
  let result;
  let proofVerified;
  let statusChecked = null;
  if(kind === 'credential') {
    result = await vc.verifyCredential({credential: structuredClone(document), ...common});
    proofVerified = proofsVerified(result.results);
    if(hasStatus(document)) {
      statusChecked = false;
    }
  } else {
    result = await vc.verify({
      presentation: structuredClone(document),
      challenge: request.challenge,
      domain: request.domain,
      ...common,
    });
    const credentialResults = result.credentialResults ?? [];
    proofVerified = proofsVerified(result.presentationResult?.results) &&
      credentialResults.every(r => proofsVerified(r.results));
    const credentials = [document.verifiableCredential ?? []].flat();
    if(credentials.some(hasStatus)) {
      statusChecked = false;
    }
  }
  return {
    verified: result.verified === true,
    errors: result.verified === true ? [] : errorMessages(result),
    proofVerified,
    statusChecked,
  };
});
