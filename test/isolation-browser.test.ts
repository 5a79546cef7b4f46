// Cross-origin isolation as a real headless Chromium sees it: with --cross-origin-isolated a page is
// `crossOriginIsolated` and can make a SharedArrayBuffer, listings, error pages and live reload keep
// working under it, and a Unity-style build (files referenced as `game.wasm.br`) loads isolated;
// without the flag a page is not isolated.
// Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it); skipped locally without it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCli, stopAll } from './cli-helpers.js';
import { SITE } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 10_000;

/** A page that embeds a same-origin stylesheet and script, which COEP require-corp must let through. */
const PAGE =
  '<!doctype html><html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>' +
  '<body><h1 id="title">isolated?</h1></body></html>';

// In CI a missing chromium must fail the run, not skip it.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('cross-origin isolation in a headless browser', { timeout: 60_000 }, () => {
  let browser: Browser;
  let site: string;
  let context: BrowserContext | undefined;
  let page: Page;
  /** Browser-side errors, console output and failed requests, shown when an expectation fails. */
  let log: string[];

  beforeAll(async () => {
    site = await mkdtemp(join(tmpdir(), 'tiny-serve-isolation-'));
    await writeFile(join(site, 'index.html'), PAGE);
    await writeFile(join(site, 'style.css'), 'h1 { color: rgb(255, 0, 0); }');
    await writeFile(join(site, 'app.js'), 'window.appRan = true;');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    await browser?.close();
    if (site) await rm(site, { recursive: true, force: true });
  });

  beforeEach(async () => {
    log = [];
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
    page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
    page.on('requestfailed', (request) => log.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  });

  afterEach(async () => {
    await stopAll();
    await context?.close();
    context = undefined;
  });

  /** Serves `root` on 127.0.0.1 (a secure context, as localhost is) with `flags`; resolves with its origin. */
  async function serve(root: string, flags: string[]): Promise<string> {
    const cli = startCli([root, '-p', '0', '-H', '127.0.0.1', '--quiet', ...flags]);
    return `http://127.0.0.1:${await cli.port()}`;
  }

  /** Evaluates page-side JavaScript (the project's types have no DOM). */
  const evaluate = (expression: string): Promise<unknown> => page.evaluate(expression);

  async function waitInPage(expression: string): Promise<void> {
    try {
      await page.waitForFunction(expression, undefined, { timeout: WAIT_MS, polling: 50 });
    } catch (error) {
      throw new Error(`${expression}: ${(error as Error).message}\n--- browser ---\n${log.join('\n')}`);
    }
  }

  it('a page is crossOriginIsolated, makes a SharedArrayBuffer and loads its same-origin stylesheet and script', async () => {
    const origin = await serve(site, ['--cross-origin-isolated']);
    await page.goto(`${origin}/`, { timeout: WAIT_MS });

    expect(await evaluate('crossOriginIsolated'), log.join('\n')).toBe(true);
    expect(await evaluate('new SharedArrayBuffer(8).byteLength')).toBe(8);
    expect(await evaluate('window.appRan')).toBe(true);
    expect(await evaluate("getComputedStyle(document.querySelector('#title')).color")).toBe('rgb(255, 0, 0)');
  });

  it('without the flag a page is not isolated', async () => {
    const origin = await serve(site, []);
    await page.goto(`${origin}/`, { timeout: WAIT_MS });

    expect(await evaluate('crossOriginIsolated')).toBe(false);
    expect(await evaluate('window.appRan')).toBe(true);
  });

  it('a listing and a built-in error page still render, isolated', async () => {
    const origin = await serve(SITE, ['--cross-origin-isolated']);

    await page.goto(`${origin}/no-index/`, { timeout: WAIT_MS });
    expect(await evaluate('crossOriginIsolated')).toBe(true);
    expect(await evaluate("[...document.querySelectorAll('a')].map((a) => a.textContent)")).toContain('file.txt');
    // The listing's own inline style (allowed by its CSP hash) applied: body margin 0, not the default 8px.
    expect(await evaluate('getComputedStyle(document.body).margin')).toBe('0px');

    const missing = await page.goto(`${origin}/nested/deeper/missing.txt`, { timeout: WAIT_MS });
    expect(missing?.status()).toBe(404);
    expect(await evaluate('crossOriginIsolated')).toBe(true);
  });

  it('live reload connects and reloads an isolated page', async () => {
    const origin = await serve(site, ['--cross-origin-isolated', '--watch']);
    await page.goto(`${origin}/`, { timeout: WAIT_MS });
    expect(await evaluate('crossOriginIsolated')).toBe(true);
    await waitInPage('window.__tinyServe?.connected === true');

    await writeFile(join(site, 'index.html'), PAGE.replace('isolated?', 'reloaded'));

    await waitInPage("document.querySelector('#title')?.textContent === 'reloaded'");
    expect(await evaluate('crossOriginIsolated')).toBe(true);
    await writeFile(join(site, 'index.html'), PAGE);
  });

  it('a Unity-style build loads its .js.gz, .wasm.br and .data.br, isolated', async () => {
    const origin = await serve(SITE, ['--cross-origin-isolated']);
    await page.goto(`${origin}/unity/`, { timeout: WAIT_MS });

    await waitInPage("document.querySelector('#result')?.textContent !== 'loading'");
    expect(await evaluate("document.querySelector('#result').textContent"), log.join('\n')).toBe('true 5 UnityFS');
    expect(await evaluate('crossOriginIsolated')).toBe(true);
  });
});
