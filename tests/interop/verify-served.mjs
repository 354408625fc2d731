// verify-served.mjs — verifies a credential from a running Passerelle issuer with
// @digitalbazaar/vc, resolving its did:web DID document and its Bitstring Status Lists over HTTP
// from that service (served.mjs does the verifying).
//
// stdin:  {"document": {...}, "origins": {"https://localhost:8443": "http://127.0.0.1:8443"}}
// stdout: {"verified": bool, "proofVerified": bool, "errors": [string],
//          "status": [{"purpose": "revocation", "set": bool, "listVerified": bool}]}
//
// `origins` maps the issuer's public https origin (what its DID and URLs say) to where the test
// service listens (plain HTTP on loopback): only URLs on those origins are ever fetched.

import {RequestError, requireObject, serve} from './common.mjs';
import {servedVerifier} from './served.mjs';

let origins = {};

/** Fetches JSON from one of the mapped origins; any other URL is refused. */
async function fetchJson(url) {
  const parsed = new URL(url);
  const target = origins[parsed.origin];
  if(target === undefined) {
    throw new Error(`verify-served: ${url} is not on a mapped origin; nothing else is fetched`);
  }
  const response = await fetch(target + parsed.pathname + parsed.search);
  if(!response.ok) {
    throw new Error(`verify-served: GET ${url} answered ${response.status}`);
  }
  return response.json();
}

await serve(async request => {
  const document = requireObject(request, 'document');
  origins = requireObject(request, 'origins');
  for(const [from, to] of Object.entries(origins)) {
    if(!/^https:\/\/[^/]+$/.test(from) || !/^http:\/\/127\.0\.0\.1:\d+$/.test(to)) {
      throw new RequestError('"origins" maps https://host[:port] to http://127.0.0.1:port');
    }
  }
  return servedVerifier(fetchJson).verifyCredential(document);
});
