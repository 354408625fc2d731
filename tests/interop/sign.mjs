// sign.mjs — adds a Data Integrity proof made by the reference JavaScript libraries.
//
// stdin:  {"suite": "eddsa-rdfc-2022"|"eddsa-jcs-2022", "document": {...}, "seedHex": "<64 hex>",
//          "verificationMethod": "...", "created": "2024-01-01T00:00:00Z",
//          "proofPurpose"?: "assertionMethod"|"authentication", "challenge"?: "...", "domain"?: "..."}
// stdout: {"signed": {...}}
//
// The document is signed as given (jsonld-signatures `sign`, as `vc.issue` /
// `vc.signPresentation` do after their own checks), so the caller controls every property.

import {documentLoader} from './loader.mjs';
import {
  jsigs, keyPairFromSeed, requireObject, requireString, serve, signingPurpose, signingSuite,
} from './common.mjs';

await serve(async request => {
  const document = requireObject(request, 'document');
  const verificationMethod = requireString(request, 'verificationMethod');
  const created = requireString(request, 'created');
  const keyPair = await keyPairFromSeed(requireString(request, 'seedHex'), verificationMethod);
  const suite = signingSuite(request.suite, keyPair.signer(), created);
  const purpose = signingPurpose(request);
  const signed = await jsigs.sign(structuredClone(document), {suite, purpose, documentLoader});
  return {signed};
});
