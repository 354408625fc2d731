// vp1.mjs — encodes a document into the DCC Learner Credential Wallet's `VP1-` QR text, with the
// very packages the wallet uses (@digitalcredentials/vpqr 2.2.1 over @digitalcredentials/cborld
// 4.3.4, the versions in its package-lock.json).
//
// stdin:  {"document": {...}, "qr": true|false}
// stdout: {"vp1": "VP1-B…"}
//
// With "qr": true the text comes from vpqr's `toQrCode({vp, documentLoader})`, the wallet's own
// call, which also draws the QR code and so fails for a document too large for one. With
// "qr": false it is what that call does before drawing: cborld `encode` with no app context map,
// then `VP1-` + `B` + RFC 4648 base32 without padding — for documents larger than a QR code.

import {documentLoader} from './loader.mjs';
import {requireObject, serve} from './common.mjs';
import * as cborld from '@digitalcredentials/cborld';
import base32Encode from 'base32-encode';
import {toQrCode} from '@digitalcredentials/vpqr';

await serve(async request => {
  const document = requireObject(request, 'document');
  if(request.qr === true) {
    const {payload} = await toQrCode({vp: structuredClone(document), documentLoader});
    return {vp1: payload};
  }
  const bytes = await cborld.encode({jsonldDocument: structuredClone(document), documentLoader});
  return {vp1: `VP1-B${base32Encode(bytes, 'RFC4648', {padding: false})}`};
});
