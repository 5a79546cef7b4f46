// Live reload end to end, in a real headless Chromium: HTML changes reload the page, CSS changes are
// swapped in place (no reload), and a page whose server went away reloads once a server is back.
// Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it); skipped locally without it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { delay, startCli, stopAll, type CliProcess } from './cli-helpers.js';
import { makeCertificates, type Certificates } from './helpers.js';
import { SAVE_STYLES } from './editor-saves.js';

const CHROMIUM = '/usr/bin/chromium';
/** Every wait on the browser: a reload or a stylesheet swap takes well under a second. */
const WAIT_MS = 10_000;

const html = (title: string): string =>
  `<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body><h1 id="title">${title}</h1></body></html>`;
const RED = 'h1 { color: rgb(255, 0, 0); }';
const BLUE = 'h1 { color: rgb(0, 0, 255); }';

// In CI a missing chromium must fail the run, not skip it.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('live reload in a headless browser', { timeout: 60_000 }, () => {
  let browser: Browser;
  let base: string;
  let site: string;
  let context: BrowserContext | undefined;
  let page: Page;
  /** Browser-side errors and console output, shown when a wait times out. */
  let log: string[];
  let count = 0;
  let certificates: Certificates | undefined;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'tiny-serve-browser-'));
    certificates = makeCertificates();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    await browser?.close();
    if (base) await rm(base, { recursive: true, force: true });
    certificates?.cleanup();
  });

  beforeEach(async () => {
    count += 1;
    site = join(base, `site-${count}`);
    await mkdir(site);
    await writeFile(join(site, 'index.html'), html('first'));
    await writeFile(join(site, 'style.css'), RED);
    log = [];
    // The self-signed certificate of the HTTPS test is trusted for this context only.
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
    page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) log.push(`navigated: ${frame.url()}`);
    });
  });

  afterEach(async () => {
    await stopAll();
    await context?.close();
    context = undefined;
  });

  const serve = (extra: string[] = ['-p', '0']): CliProcess =>
    startCli([site, '--watch', ...extra, '-H', '127.0.0.1', '--quiet']);

  /**
   * Waits until `expression` (page-side JavaScript: the project's types have no DOM) is true in the
   * page, across reloads; on timeout, fails with the browser's log.
   */
  async function waitInPage(expression: string): Promise<void> {
    try {
      await page.waitForFunction(expression, undefined, { timeout: WAIT_MS, polling: 50 });
    } catch (error) {
      throw new Error(`${expression}: ${(error as Error).message}\n--- browser ---\n${log.join('\n')}`);
    }
  }

  const title = (): Promise<string | null> => page.textContent('#title');
  const titleIs = (text: string): string => `document.querySelector('#title')?.textContent === ${JSON.stringify(text)}`;
  const colorIs = (color: string): string => `getComputedStyle(document.querySelector('#title')).color === ${JSON.stringify(color)}`;
  const marker = (): Promise<unknown> => page.evaluate('window.__marker');

  /** Waits until the page's live-reload stream is open (the client says so), so later changes reach it. */
  const connected = (): Promise<void> => waitInPage('window.__tinyServe?.connected === true');

  /** Opens the served page and waits for its live-reload connection. */
  async function open(port: number): Promise<void> {
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: WAIT_MS });
    expect(await title()).toBe('first');
    await connected();
  }

  it('reloads the page when the HTML changes', async () => {
    const cli = serve();
    await open(await cli.port());

    await writeFile(join(site, 'index.html'), html('second'));

    await waitInPage(titleIs('second'));
    expect(await title()).toBe('second');
  });

  it('reloads the page over HTTPS with HTTP/2', async () => {
    const cli = serve(['-p', '0', '--ssl-cert', certificates!.cert, '--ssl-key', certificates!.key]);
    await page.goto(`https://127.0.0.1:${await cli.port()}/`, { timeout: WAIT_MS });
    expect(await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")).toBe('h2');
    expect(await title()).toBe('first');
    await connected();

    await writeFile(join(site, 'index.html'), html('second'));

    await waitInPage(titleIs('second'));
    expect(await title()).toBe('second');
  });

  it('reloads the page under a base path', async () => {
    const cli = serve(['-p', '0', '--base', '/repo/']);
    await page.goto(`http://127.0.0.1:${await cli.port()}/repo/`, { timeout: WAIT_MS });
    expect(await title()).toBe('first');
    await connected();

    await writeFile(join(site, 'index.html'), html('second'));

    await waitInPage(titleIs('second'));
    expect(await title()).toBe('second');
  });

  it('reloads many open tabs through one shared connection', async () => {
    const cli = serve();
    const port = await cli.port();
    // Over HTTP/1.1 a browser opens about six connections per host: with one event stream per tab,
    // the seventh tab could not even load its page. The tabs share one stream through a SharedWorker.
    const tabs = [page, ...(await Promise.all(Array.from({ length: 9 }, () => context!.newPage())))];
    for (const tab of tabs) {
      await tab.goto(`http://127.0.0.1:${port}/`, { timeout: WAIT_MS });
      await tab.waitForFunction('window.__tinyServe?.connected === true', undefined, { timeout: WAIT_MS, polling: 50 });
    }

    await writeFile(join(site, 'index.html'), html('second'));

    for (const tab of tabs) {
      await tab.waitForFunction(titleIs('second'), undefined, { timeout: WAIT_MS, polling: 50 });
      expect(await tab.textContent('#title')).toBe('second');
    }
  });

  it('swaps a changed stylesheet in place, without a reload', async () => {
    const cli = serve();
    await open(await cli.port());
    await waitInPage(colorIs('rgb(255, 0, 0)'));
    await page.evaluate('window.__marker = 42');

    await writeFile(join(site, 'style.css'), BLUE);

    await waitInPage(colorIs('rgb(0, 0, 255)'));
    // Still the same document: a reload would have dropped the marker.
    expect(await marker()).toBe(42);
    // The old <link> is removed once the fresh one loaded: exactly one stylesheet remains.
    await waitInPage(`document.querySelectorAll('link[rel="stylesheet"]').length === 1`);
    expect(await marker()).toBe(42);
  });

  // Editors save by renaming, backing up, or deleting and writing anew, and they save the same file
  // again and again: every save reaches the page, HTML as a reload and CSS as an in-place swap.
  it.each(Object.keys(SAVE_STYLES))('follows three %s saves in a row of the HTML and of the stylesheet', async (style) => {
    const save = SAVE_STYLES[style]!;
    const cli = serve();
    await open(await cli.port());
    for (let round = 1; round <= 3; round += 1) {
      await save(site, join(site, 'index.html'), html(`save ${round}`));
      await waitInPage(titleIs(`save ${round}`));
      await connected();
      await page.evaluate(`window.__marker = ${round}`);
      const color = round % 2 ? BLUE : RED;
      await save(site, join(site, 'style.css'), color);
      await waitInPage(colorIs(round % 2 ? 'rgb(0, 0, 255)' : 'rgb(255, 0, 0)'));
      // Swapped in place: the same document, with its marker.
      expect(await marker()).toBe(round);
    }
    expect(await title()).toBe('save 3');
  });

  it('reconnects after the server restarts and reloads once it is back', async () => {
    const first = serve();
    const port = await first.port();
    await open(port);
    await page.evaluate('window.__marker = 42');

    first.child.kill('SIGTERM');
    const exit = await first.waitForExit(WAIT_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    // Written while no server watches: only the reconnect can bring it to the page.
    await writeFile(join(site, 'index.html'), html('third'));
    // Leave the browser a few failed reconnects (retry: 1000 ms) before the server comes back.
    await delay(1_500);
    expect(await title()).toBe('first');

    // The port was just released; if binding it again fails, try a few times.
    let second: CliProcess | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const candidate = serve(['-p', String(port), '--strict-port']);
      try {
        expect(await candidate.port()).toBe(port);
        second = candidate;
        break;
      } catch (error) {
        await candidate.stop();
        if (attempt === 5) throw error;
        await delay(200);
      }
    }
    expect(second).toBeDefined();

    await waitInPage(titleIs('third'));
    expect(await title()).toBe('third');
    // A real reload (a fresh document), and the new document is connected to the new server.
    expect(await marker()).toBeUndefined();
    await connected();
  });
});
