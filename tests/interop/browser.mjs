// Drives Debian's chromium (headless) through the verifier page with playwright-core and runs
// axe-core (WCAG 2.1 A/AA) on the pages. Never downloads a browser.
//
// stdin: {"url": "http://127.0.0.1:PORT", "screenshot_dir": PATH, and either
//         "credential": "<JSON text>", "baked_png": PATH, "qr_png": PATH   (paste and upload), or
//         "camera": {"with_code", "without_code", "other_code": Y4M, "detector_text"}}
//         or "claim": {"url": CLAIM PAGE URL, "languages": [...]}       (the issuer's claim page)
// stdout: paste and upload: {"paste", "baked", "qr", "french", "axe", "screenshots"};
//         claim: {"claim": {LANG: {lang, dir, title, current, links}}, "switched", "by_locale",
//         "axe", "screenshots"};
//         camera: {"camera_scan", "camera_detector", "camera_idle", "camera_other", "camera_denied",
//         "csp_violations", "axe",
//         "screenshots"}.
//
// The camera runs use chromium's fake camera (--use-fake-device-for-media-stream with
// --use-file-for-fake-video-capture) and keep the page's Content-Security-Policy enforced: axe
// is then evaluated through the DevTools protocol rather than injected as a script tag.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = { axe: [], screenshots: [] };
const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// Runs `body(page)` in a fresh chromium profile, closed afterwards whatever happens.
async function withBrowser({ args = [], bypassCSP = false, locale = undefined }, body) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    bypassCSP,
    locale,
    args: [...BASE_ARGS, ...args],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30000);
    return await body(page);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

const result = async (page) => ({
  lang: await page.getAttribute('html', 'lang'),
  title: (await page.textContent('h1')).trim(),
  source: ((await page.textContent('p.source')) ?? '').trim(),
  checks: await page.$$eval('li.check', (items) => items.map((li) => ({
    id: li.dataset.check, outcome: li.dataset.outcome,
    text: li.querySelector('.check-text').textContent.trim(),
  }))),
});
const record = (name, r) => {
  out.axe.push({ page: name, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })), passes: r.passes.length });
};
// axe injected as an inline script: needs a context that bypasses the CSP.
const audit = async (page, name) => {
  await page.addScriptTag({ content: axe.source });
  record(name, await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS));
};
// axe evaluated through the DevTools protocol: the page's CSP stays enforced.
const auditUnderCsp = async (page, name) => {
  await page.evaluate(axe.source);
  record(name, await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS));
};
const shoot = async (page, name) => {
  const file = path.join(request.screenshot_dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  out.screenshots.push(file);
};

async function pasteAndUpload(page) {
  // 1. Paste a credential.
  await page.goto(`${request.url}/?lang=en`);
  await audit(page, 'index');
  await page.fill('#credential', request.credential);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.paste = await result(page);
  await audit(page, 'result-en');
  await shoot(page, 'verifier-result-en');

  // 2. Switch language on the result page.
  await Promise.all([page.waitForLoadState('load'), page.click('nav.languages button[value="fr"]')]);
  await page.waitForSelector('html[lang="fr"]');
  out.french = await result(page);
  await audit(page, 'result-fr');
  await shoot(page, 'verifier-result-fr');

  // 2b. The printable report of the same result (a form POST, in the page's language).
  await Promise.all([page.waitForLoadState('load'), page.click('form:has(input[name="view"][value="print"]) button')]);
  await page.waitForSelector('body.report');
  out.print = {
    lang: await page.getAttribute('html', 'lang'),
    title: (await page.textContent('h1')).trim(),
    forms: await page.locator('form').count(),
    checks: await page.locator('li.check').count(),
    details: await page.locator('details').count(),
    open: await page.locator('details[open]').count(),
  };
  await audit(page, 'print-fr');
  await shoot(page, 'verifier-print-fr');

  // 2c. Every other language: the start page, then the pasted credential's result.
  out.languages = {};
  for (const lang of request.languages ?? []) {
    await page.goto(`${request.url}/?lang=${lang}`);
    await audit(page, `index-${lang}`);
    await page.fill('#credential', request.credential);
    await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
    out.languages[lang] = { ...(await result(page)), dir: await page.getAttribute('html', 'dir') };
    await audit(page, `result-${lang}`);
    await shoot(page, `verifier-result-${lang}`);
  }

  // 3. Upload a baked PNG.
  await page.goto(`${request.url}/?lang=en`);
  await page.setInputFiles('#file', request.baked_png);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.baked = await result(page);

  // 4. Upload a photo/screenshot of a QR code.
  await page.goto(`${request.url}/?lang=en`);
  await page.setInputFiles('#file', request.qr_png);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.qr = await result(page);
  await shoot(page, 'verifier-result-qr');
}

// Camera runs: CSP violations reported on the console are collected, as are the frames the
// page sends to POST /api/v1/scan and the answers.
// Width and height of a JPEG, from its start-of-frame segment; null when it is not a JPEG.
function jpegSize(bytes) {
  if (!bytes || bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) { return null; }
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) { return null; }
    const marker = bytes[at + 1];
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}
const fakeCamera = (video) => ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`];
out.csp_violations = [];
async function watch(page) {
  const seen = { requests: 0, answers: [], sides: [] };
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) { out.csp_violations.push(message.text()); }
  });
  // Routed (and passed on unchanged) to read the frame: request events carry no blob bodies.
  await page.route(`${request.url}/api/v1/scan`, async (route) => {
    seen.requests += 1;
    const size = jpegSize(route.request().postDataBuffer());
    seen.sides.push(size ? Math.max(size.width, size.height) : null);
    await route.continue();
  });
  page.on('response', async (r) => {
    if (new URL(r.url()).pathname !== '/api/v1/scan') { return; }
    try {
      const body = await r.json();
      seen.answers.push({ status: r.status(), codes: body.codes ? body.codes.length : -1 });
    } catch (e) {
      seen.answers.push({ status: r.status(), codes: -1 });
    }
  });
  return seen;
}
const statusNow = (page) => page.evaluate(() => {
  const status = document.getElementById('camera-status');
  return {
    status_state: status.dataset.state ?? null,
    status_text: status.textContent.trim(),
    focus: document.activeElement ? document.activeElement.id : null,
  };
});

async function cameraScan(page) {
  const seen = await watch(page);
  const states = [];
  let focusWhileScanning = null;
  await page.exposeFunction('passerelleCameraState', (state, focus) => {
    states.push(state);
    if (state === 'scanning') { focusWhileScanning = focus; }
  });
  await page.goto(`${request.url}/?lang=en`);
  await page.waitForSelector('#camera-start', { state: 'visible' });
  const barcodeDetector = await page.evaluate(() => 'BarcodeDetector' in window);
  await page.evaluate(() => {
    const status = document.getElementById('camera-status');
    new MutationObserver(() => window.passerelleCameraState(
      status.dataset.state, document.activeElement ? document.activeElement.id : null,
    )).observe(status, { attributes: true, attributeFilter: ['data-state'] });
  });
  // From the keyboard: focus the control and press Enter.
  await page.focus('#camera-start');
  await Promise.all([
    page.waitForURL(`${request.url}/verify`, { timeout: 60000 }),
    page.keyboard.press('Enter'),
  ]);
  await page.waitForSelector('li.check');
  out.camera_scan = {
    ...await result(page),
    barcode_detector: barcodeDetector,
    scan_requests: seen.requests,
    scan_answers: seen.answers,
    frame_sides: seen.sides,
    states,
    last_status: states[states.length - 1] ?? null,
    focus_while_scanning: focusWhileScanning,
  };
  await shoot(page, 'verifier-camera-result');
}

// Headless chromium on Linux has no BarcodeDetector: this run gives the page a stand-in with
// the same interface (it "reads" the text the test supplies once the camera shows frames) to
// check that the page prefers the browser's reader and then sends no frame to the server.
async function cameraDetector(page) {
  const seen = await watch(page);
  await page.addInitScript((text) => {
    window.BarcodeDetector = class {
      static async getSupportedFormats() { return ['qr_code', 'ean_13']; }
      constructor(options) { this.formats = options.formats; }
      async detect(source) {
        window.passerelleDetectCalls = (window.passerelleDetectCalls || 0) + 1;
        return source.videoWidth > 0 && this.formats.includes('qr_code') ? [{ rawValue: text, format: 'qr_code' }] : [];
      }
    };
  }, request.camera.detector_text);
  await page.goto(`${request.url}/?lang=en`);
  await Promise.all([
    page.waitForURL(`${request.url}/verify`, { timeout: 60000 }),
    page.click('#camera-start'),
  ]);
  await page.waitForSelector('li.check');
  out.camera_detector = { ...await result(page), scan_requests: seen.requests };
}

async function cameraIdle(page) {
  const seen = await watch(page);
  await page.goto(`${request.url}/?lang=en`);
  await page.click('#camera-start');
  await page.waitForSelector('#camera-status[data-state="looking"]', { timeout: 30000 });
  // At least three frames answered (a loaded machine may be slower than the "looking" delay).
  for (let waited = 0; seen.answers.length < 3 && waited < 30000; waited += 100) {
    await page.waitForTimeout(100);
  }
  const sides = await page.evaluate(() => {
    const video = document.getElementById('camera-video');
    window.passerelleStream = video.srcObject;
    return { width: video.videoWidth, height: video.videoHeight };
  });
  out.camera_idle = {
    ...await statusNow(page),
    video_width: sides.width,
    frame_sides: seen.sides.slice(),
    scan_answers: seen.answers.slice(),
  };
  await auditUnderCsp(page, 'camera-open');
  await shoot(page, 'verifier-camera-scanning');
  await page.click('#camera-stop');
  await page.waitForSelector('#camera-status[data-state="stopped"]');
  const stopped = await page.evaluate(() => ({
    panel_hidden: document.getElementById('camera-panel').hidden,
    tracks_ended: window.passerelleStream.getTracks().every((t) => t.readyState === 'ended'),
    video_cleared: document.getElementById('camera-video').srcObject === null,
  }));
  const requestsAtStop = seen.requests;
  await page.waitForTimeout(1500);
  out.camera_idle.after_stop = {
    ...await statusNow(page),
    ...stopped,
    scan_requests: requestsAtStop,
    scan_requests_later: seen.requests,
  };
}

// A QR code that holds neither a credential nor a link (a restaurant table's, say): the page
// says so and keeps looking; nothing is submitted.
async function cameraOther(page) {
  const seen = await watch(page);
  await page.goto(`${request.url}/?lang=en`);
  await page.click('#camera-start');
  await page.waitForSelector('#camera-status[data-state="unusable"]', { timeout: 30000 });
  await page.waitForTimeout(1000);
  out.camera_other = {
    ...await statusNow(page),
    path: new URL(page.url()).pathname,
    scan_answers: seen.answers.slice(),
  };
  await page.click('#camera-stop');
}

async function cameraDenied(page) {
  await watch(page);
  await page.goto(`${request.url}/?lang=fr`);
  await page.click('#camera-start');
  await page.waitForSelector('#camera-status[data-state="denied"]', { timeout: 30000 });
  out.camera_denied = await statusNow(page);
}

// The issuer's claim page in every language: what it says about itself, axe-core, a
// screenshot each; then the switcher followed, and a browser whose locale is Arabic.
async function claimPages(page) {
  out.claim = {};
  for (const lang of request.claim.languages) {
    await page.goto(`${request.claim.url}?lang=${lang}`);
    out.claim[lang] = {
      lang: await page.getAttribute('html', 'lang'),
      dir: await page.getAttribute('html', 'dir'),
      title: (await page.textContent('h1')).trim(),
      current: await page.getAttribute('nav.languages [aria-current="true"]', 'lang'),
      links: await page.locator('nav.languages a[hreflang]').count(),
      scripts: await page.locator('script').count(),
      bytes: (await page.content()).length,
    };
    await audit(page, `claim-${lang}`);
    await shoot(page, `claim-${lang}`);
  }
  await Promise.all([page.waitForLoadState('load'), page.click('nav.languages a[hreflang="fr"]')]);
  await page.waitForSelector('html[lang="fr"]');
  out.switched = { lang: await page.getAttribute('html', 'lang'), path: new URL(page.url()).pathname };
}

async function claimByLocale(page) {
  await page.goto(request.claim.url);
  out.by_locale = { lang: await page.getAttribute('html', 'lang'), dir: await page.getAttribute('html', 'dir') };
}

if (request.claim) {
  await withBrowser({ bypassCSP: true }, claimPages);
  await withBrowser({ locale: 'ar-EG' }, claimByLocale);
} else if (request.camera) {
  const camera = request.camera;
  await withBrowser({ args: [...fakeCamera(camera.with_code), '--use-fake-ui-for-media-stream'] }, cameraScan);
  await withBrowser({ args: [...fakeCamera(camera.with_code), '--use-fake-ui-for-media-stream'] }, cameraDetector);
  await withBrowser({ args: [...fakeCamera(camera.without_code), '--use-fake-ui-for-media-stream'] }, cameraIdle);
  await withBrowser({ args: [...fakeCamera(camera.other_code), '--use-fake-ui-for-media-stream'] }, cameraOther);
  // Without --use-fake-ui-for-media-stream, headless chromium refuses camera access.
  await withBrowser({ args: fakeCamera(camera.without_code) }, cameraDenied);
} else {
  // axe is injected as an inline script, which the page's Content-Security-Policy forbids.
  await withBrowser({ bypassCSP: true }, pasteAndUpload);
}
process.stdout.write(JSON.stringify(out));
