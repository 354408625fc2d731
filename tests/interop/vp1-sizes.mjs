// vp1-sizes.mjs — how large a QR code the DCC Learner Credential Wallet's `VP1-` form needs for
// the badges `cargo run -p passerelle-core --example qr_sizes -- --dump DIR` writes, for
// BENCHMARKS.md's comparison with `VC1:` / `VC2:`. Each credential is wrapped in a presentation
// (what the wallet puts in its codes) and encoded with the wallet's own packages
// (@digitalcredentials/cborld 4.3.4 + base32, as vpqr 2.2.1 does); the version comes from
// vpqr's own QR encoder (@nuintun/qrcode) at levels M and L (vpqr leaves the encoder's default).
//
// usage: node vp1-sizes.mjs DIR      (reads DIR/N.txt, skips compact JWSs: VP1- carries JSON-LD)

import {readFileSync, readdirSync} from 'node:fs';
import {documentLoader} from './loader.mjs';
import * as cborld from '@digitalcredentials/cborld';
import base32Encode from 'base32-encode';
import {Encoder, ErrorCorrectionLevel, QRAlphanumeric} from '@nuintun/qrcode';

function version(text, level) {
  try {
    const encoder = new Encoder();
    encoder.setEncodingHint(true);
    encoder.setErrorCorrectionLevel(level);
    encoder.write(new QRAlphanumeric(text));
    encoder.make();
    return String(encoder.getVersion());
  } catch {
    return 'does not fit';
  }
}

const dir = process.argv[2];
const files = readdirSync(dir).filter(f => /^\d+\.txt$/.test(f)).sort((a, b) => parseInt(a) - parseInt(b));
console.log('| document | JSON bytes | VP1 chars | version (M) | version (L) |');
console.log('|---|---:|---:|---:|---:|');
for(const file of files) {
  const text = readFileSync(`${dir}/${file}`, 'utf8').trim();
  if(!text.startsWith('{')) {
    console.log(`| ${file} | compact JWS: not a JSON-LD document, VP1- cannot carry it | | | |`);
    continue;
  }
  const vp = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    verifiableCredential: [JSON.parse(text)]
  };
  const bytes = await cborld.encode({jsonldDocument: vp, documentLoader});
  const payload = `VP1-B${base32Encode(bytes, 'RFC4648', {padding: false})}`;
  console.log(`| ${file} | ${Buffer.byteLength(text)} | ${payload.length} | ${version(payload, ErrorCorrectionLevel.M)} | ${version(payload, ErrorCorrectionLevel.L)} |`);
}
