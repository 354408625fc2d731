// Drives Debian's chromium (headless) through the verifier page with playwright-core and runs
// axe-core (WCAG 2.1 A/AA) on the result pages. Never downloads a browser.
//
// stdin: {"url": "http://127.0.0.1:PORT", "credential": "<JSON text>", "baked_png": PATH,
//         "qr_png": PATH, "screenshot_dir": PATH}
// stdout: {"paste": {...}, "baked": {...}, "qr": {...}, "french": {...}, "axe": [...], "screenshots": [...]}
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  // axe is injected as an inline script, which the page's Content-Security-Policy forbids.
  bypassCSP: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = { axe: [], screenshots: [] };
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);

  const result = async () => ({
    lang: await page.getAttribute('html', 'lang'),
    title: (await page.textContent('h1')).trim(),
    source: ((await page.textContent('p.source')) ?? '').trim(),
    checks: await page.$$eval('li.check', (items) => items.map((li) => ({
      id: li.dataset.check, outcome: li.dataset.outcome,
      text: li.querySelector('.check-text').textContent.trim(),
    }))),
  });
  const audit = async (name) => {
    await page.addScriptTag({ content: axe.source });
    const r = await page.evaluate(() => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }));
    out.axe.push({ page: name, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })), passes: r.passes.length });
  };
  const shoot = async (name) => {
    const file = path.join(request.screenshot_dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    out.screenshots.push(file);
  };

  // 1. Paste a credential.
  await page.goto(`${request.url}/?lang=en`);
  await audit('index');
  await page.fill('#credential', request.credential);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.paste = await result();
  await audit('result-en');
  await shoot('verifier-result-en');

  // 2. Switch language on the result page.
  await Promise.all([page.waitForLoadState('load'), page.click('nav.languages button[value="fr"]')]);
  await page.waitForSelector('html[lang="fr"]');
  out.french = await result();
  await audit('result-fr');
  await shoot('verifier-result-fr');

  // 3. Upload a baked PNG.
  await page.goto(`${request.url}/?lang=en`);
  await page.setInputFiles('#file', request.baked_png);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.baked = await result();

  // 4. Upload a photo/screenshot of a QR code.
  await page.goto(`${request.url}/?lang=en`);
  await page.setInputFiles('#file', request.qr_png);
  await Promise.all([page.waitForURL(`${request.url}/verify`), page.click('button.primary')]);
  out.qr = await result();
  await shoot('verifier-result-qr');
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out));
