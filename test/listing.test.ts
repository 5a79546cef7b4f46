// Directory listings: when one is served, the HTML page (CSP by hash, escaping, order, sizes, links),
// JSON negotiation, names that are never listed, odd entries (FIFOs, symlinks, sparse files), HEAD,
// a 10,000-entry directory, and a listing being built that leaves the event loop free for other requests.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanSize, wantsJson, type ListingEntry } from '../src/features/listing.js';
import { escapeHtml } from '../src/http/pages.js';
import { copySite, keepAliveClient, rawRequest, SITE, startServer, type RawResponse, type TestServer } from './helpers.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

interface ListingJson {
  path: string;
  entries: ListingEntry[];
}

/** One row of the listing table, with its link and label unescaped. */
interface Row {
  href: string;
  label: string;
  size: string;
  modified: string;
}

function text(res: RawResponse): string {
  return res.body.toString('utf8');
}

function json(res: RawResponse): ListingJson {
  return JSON.parse(text(res)) as ListingJson;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Undoes HTML escaping (named and numeric character references), as a browser would. */
function unescapeHtml(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return String.fromCodePoint(Number.parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function stripTags(html: string): string {
  return unescapeHtml(html.replace(/<[^>]*>/g, '')).trim();
}

/** Every `href` on the page, unescaped. */
function linksOf(html: string): string[] {
  return [...html.matchAll(/<a\s[^>]*?href="([^"]*)"/gi)].map((match) => unescapeHtml(match[1]!));
}

/** The rows of the listing table body (the parent link `../` included, when present). */
function rowsOf(html: string): Row[] {
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/i.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/gi)].map(([, row]) => {
    const cells = [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/gi)].map((cell) => cell[1]!);
    const link = /<a\s[^>]*?href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/i.exec(cells[0] ?? '');
    return {
      href: unescapeHtml(link?.[1] ?? ''),
      label: stripTags(link?.[2] ?? ''),
      size: stripTags(cells[1] ?? ''),
      modified: cells[2] ?? '',
    };
  });
}

/** The entry rows only (no parent link), as names: a directory's label ends with `/`. */
function entryRows(html: string): Row[] {
  return rowsOf(html).filter((row) => row.label !== '../');
}

function nameOf(row: Row): string {
  return row.label.endsWith('/') ? row.label.slice(0, -1) : row.label;
}

/** One column header: its label, the sort indicator shown beside it, its link and its aria-sort. */
interface Heading {
  label: string;
  arrow: string;
  href: string | undefined;
  ariaSort: string | undefined;
}

function headingsOf(html: string): Heading[] {
  return [...html.matchAll(/<th(\s[^>]*)?>([\s\S]*?)<\/th>/gi)].map(([, attributes = '', content]) => {
    const shown = stripTags(content!);
    const href = /<a\s[^>]*?href="([^"]*)"/i.exec(content!)?.[1];
    return {
      label: shown.replace(/[▲▼]/g, '').trim(),
      arrow: /[▲▼]/.exec(shown)?.[0] ?? '',
      href: href === undefined ? undefined : unescapeHtml(href),
      ariaSort: /\saria-sort="([^"]*)"/i.exec(attributes)?.[1],
    };
  });
}

/** Rejects when `promise` takes longer than `ms`: a hang becomes a clear failure, not a timeout. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The file or directory a percent-encoded URL path names under `root`. */
function onDisk(root: string, urlPath: string): string {
  return join(root, ...decodeURIComponent(urlPath).split('/'));
}

/**
 * Follows every link of the listing at `listingPath` as a browser resolves it, and checks each one
 * answers 200 with exactly the file it names (a directory: an HTML page). Returns the links followed.
 */
async function expectEveryLinkServes(port: number, listingPath: string, root: string): Promise<string[]> {
  const page = await rawRequest(port, listingPath);
  expect(page.status).toBe(200);
  const hrefs = linksOf(text(page));
  for (const href of hrefs) {
    const { pathname } = new URL(href, `http://listing.test${listingPath}`);
    const res = await rawRequest(port, pathname);
    expect(res.status, `${href} → ${pathname}`).toBe(200);
    const path = onDisk(root, pathname);
    if (statSync(path).isFile()) expect(text(res), `${href} → ${path}`).toBe(readFileSync(path, 'utf8'));
    else expect(res.headers['content-type'], `${href} → ${path}`).toBe('text/html; charset=utf-8');
  }
  return hrefs;
}

function fakeRequest(accept: string | undefined): IncomingMessage {
  return { headers: accept === undefined ? {} : { accept } } as unknown as IncomingMessage;
}

describe('listing helpers', () => {
  it.each([
    ['', undefined, false],
    ['?format=json', undefined, true],
    ['?a=1&format=json', undefined, true],
    ['?format=json&a=1', BROWSER_ACCEPT, true],
    ['?format=jsonp', undefined, false],
    ['?xformat=json', undefined, false],
    ['?format=html', 'application/json', true],
    ['', 'application/json', true],
    ['', 'APPLICATION/JSON', true],
    ['', 'application/json; charset=utf-8', true],
    ['', 'application/json;q=0', false],
    ['', 'text/html, application/json;q=0.9', false],
    ['', 'application/json, text/html;q=0.5', true],
    ['', 'text/html;q=0.5, application/json;q=0.5', false],
    ['', 'application/json, */*', true],
    ['', BROWSER_ACCEPT, false],
    ['', '*/*', false],
    ['', 'text/html', false],
    ['', 'application/*', false],
  ])('wantsJson(query %j, Accept %j) → %s', (query, accept, expected) => {
    expect(wantsJson(fakeRequest(accept), query)).toBe(expected);
  });

  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * KiB, '10 KiB'],
    [500 * KiB, '500 KiB'],
    [MiB, '1.0 MiB'],
    [5 * MiB, '5.0 MiB'],
    [GiB, '1.0 GiB'],
    [1.5 * GiB, '1.5 GiB'],
    [1024 * GiB, '1.0 TiB'],
    // Just under a unit boundary: rounds up into the next unit, never "1024 KiB".
    [MiB - 1, '1.0 MiB'],
    [GiB - 1, '1.0 GiB'],
  ])('humanSize(%i) → %s', (bytes, expected) => {
    expect(humanSize(bytes)).toBe(expected);
  });

  it.each([
    ['plain.txt', 'plain.txt'],
    ['<script>', '&lt;script&gt;'],
    ['a&b', 'a&amp;b'],
    ['"quoted"', '&quot;quoted&quot;'],
    ["it's", 'it&#39;s'],
    ['&amp;', '&amp;amp;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['snow ☃ é', 'snow ☃ é'],
  ])('escapeHtml(%j) → %j', (raw, escaped) => {
    expect(escapeHtml(raw)).toBe(escaped);
    expect(unescapeHtml(escapeHtml(raw))).toBe(raw);
  });
});

describe('listings of the fixture site', () => {
  let site: TestServer;
  let unlisted: TestServer;
  beforeAll(async () => {
    site = await startServer();
    unlisted = await startServer({ listing: false });
  });
  afterAll(async () => {
    await site.close();
    await unlisted.close();
  });

  describe('when a listing is served', () => {
    it('a directory without index.html is listed by default', async () => {
      const res = await rawRequest(site.port, '/no-index/');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(entryRows(text(res)).map(nameOf)).toEqual(['file.txt']);
    });

    it.each([['/no-index/'], ['/no-index/?format=json'], ['/nested/deeper/']])(
      'listing: false → GET %s is 404 without a listing',
      async (target) => {
        const res = await rawRequest(unlisted.port, target);
        expect(res.status).toBe(404);
        expect(text(res)).not.toContain('file.txt');
        expect(text(res)).not.toContain('Index of');
      },
    );

    it('listing: false still serves files and index pages', async () => {
      expect((await rawRequest(unlisted.port, '/no-index/file.txt')).status).toBe(200);
      const index = await rawRequest(unlisted.port, '/nested/');
      expect(index.status).toBe(200);
      expect(text(index)).toBe(readFileSync(join(SITE, 'nested/index.html'), 'utf8'));
    });

    it.each([
      ['/', 'index.html', undefined],
      ['/nested/', 'nested/index.html', undefined],
      ['/nested/?format=json', 'nested/index.html', undefined],
      ['/nested/', 'nested/index.html', 'application/json'],
      ['/snow%20%E2%98%83/', 'snow ☃/index.html', undefined],
      ['/snow%20%E2%98%83/?format=json', 'snow ☃/index.html', 'application/json'],
    ])('a directory with index.html: GET %s serves %s, never a listing (Accept %j)', async (target, index, accept) => {
      const res = await rawRequest(site.port, target, { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(200);
      expect(text(res)).toBe(readFileSync(join(SITE, index), 'utf8'));
      expect(text(res)).not.toContain('Index of');
    });
  });

  describe('the HTML page', () => {
    let res: RawResponse;
    let html: string;
    beforeAll(async () => {
      res = await rawRequest(site.port, '/nested/deeper/');
      html = text(res);
    });

    it('is utf-8 HTML that varies on Accept and is always revalidated', () => {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers.vary).toMatch(/\bAccept\b/i);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-length']).toBe(String(res.body.length));
    });

    it('allows exactly its one <style> element, by the sha256 of its content', () => {
      const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)];
      expect(styles).toHaveLength(1);
      const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
      const csp = String(res.headers['content-security-policy'] ?? '');
      expect(csp.startsWith("default-src 'none'")).toBe(true);
      const directives = csp.split(';').map((directive) => directive.trim());
      expect(directives.filter((directive) => directive.startsWith('style-src'))).toEqual([`style-src 'sha256-${hash}'`]);
      expect(csp).not.toContain('unsafe-inline');
      // An inline style attribute would be blocked by that policy: the page must not rely on one.
      expect(html).not.toMatch(/\sstyle\s*=/i);
    });

    it('has no script and no external URL', () => {
      expect(html.toLowerCase()).not.toContain('<script');
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      const urls = [...html.matchAll(/\s(?:src|href|action|srcset|poster)\s*=\s*["']?([^"'\s>]*)/gi)].map((match) => match[1]!);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
      expect(html).not.toMatch(/url\(|@import/i);
    });

    it('declares its language and titles itself with the path', () => {
      expect(html).toMatch(/<html[^>]*\slang="?[a-z]{2}/i);
      const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1];
      expect(title && unescapeHtml(title)).toContain('/nested/deeper/');
    });

    it('has a breadcrumb linking / and every ancestor, and a parent link', () => {
      const links = linksOf(html);
      expect(links).toContain('/');
      expect(links).toContain('/nested/');
      // The parent link is absolute, so it works with or without a trailing slash in the URL.
      expect(rowsOf(html)[0]?.label).toBe('../');
      expect(rowsOf(html)[0]?.href).toBe('/nested/');
    });

    it('has name, size and modified columns', () => {
      expect(headingsOf(html).map((heading) => heading.label)).toEqual(['Name', 'Size', 'Modified']);
      const [file] = entryRows(html);
      expect(file).toMatchObject({ href: '/nested/deeper/file.txt', label: 'file.txt', size: '10 B' });
      const mtime = statSync(join(SITE, 'nested/deeper/file.txt')).mtime.toISOString();
      expect(stripTags(file!.modified)).toContain(mtime.slice(0, 10));
    });

    it('adapts to dark mode and narrow screens', () => {
      const style = /<style[^>]*>([\s\S]*?)<\/style>/i.exec(html)?.[1] ?? '';
      expect(style).toContain('prefers-color-scheme');
      expect(style).toMatch(/@media[^{]*max-width/);
      expect(html).toMatch(/<meta\s+name="viewport"/i);
    });
  });

  describe('JSON', () => {
    it.each([
      ['/no-index/?format=json', undefined, 'json'],
      ['/no-index/?format=json', BROWSER_ACCEPT, 'json'],
      ['/no-index/', 'application/json', 'json'],
      ['/no-index/', 'text/html, application/json;q=0.9', 'html'],
      ['/no-index/', 'application/json, text/html;q=0.5', 'json'],
      ['/no-index/', BROWSER_ACCEPT, 'html'],
      ['/no-index/', '*/*', 'html'],
      ['/no-index/', undefined, 'html'],
    ])('GET %s with Accept %j → %s', async (target, accept, expected) => {
      const res = await rawRequest(site.port, target, { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(200);
      expect(res.headers.vary).toMatch(/\bAccept\b/i);
      if (expected === 'json') {
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(json(res).entries.map((entry) => entry.name)).toEqual(['file.txt']);
      } else {
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(text(res)).toMatch(/^<!doctype html>/i);
      }
    });

    it('is { path, entries: [{ name, type, size, mtime, url }] }', async () => {
      const res = await rawRequest(site.port, '/no-index/?format=json');
      const mtime = statSync(join(SITE, 'no-index/file.txt')).mtime.toISOString();
      expect(json(res)).toEqual({
        path: '/no-index/',
        entries: [{ name: 'file.txt', type: 'file', size: 36, mtime, url: '/no-index/file.txt' }],
      });
      expect(mtime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/);
      expect(res.headers['cache-control']).toBe('no-cache');
    });
  });

  describe('HEAD', () => {
    it.each([['/no-index/'], ['/no-index/?format=json'], ['/nested/deeper/']])(
      'HEAD %s → the headers of GET, no body',
      async (target) => {
        const get = await rawRequest(site.port, target);
        const head = await rawRequest(site.port, target, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.body).toHaveLength(0);
        const { date: _getDate, ...getHeaders } = get.headers;
        const { date: _headDate, ...headHeaders } = head.headers;
        expect(headHeaders).toEqual(getHeaders);
        expect(head.headers['content-length']).toBe(String(get.body.length));
      },
    );
  });

  describe('the parent link leads to the parent directory', () => {
    let noSlash: TestServer;
    beforeAll(async () => {
      noSlash = await startServer({ trailingSlash: false });
    });
    afterAll(async () => {
      await noSlash.close();
    });

    it.each([
      [true, '/nested/deeper/'],
      [false, '/nested/deeper'],
    ])('trailingSlash %s: ../ on %s resolves to /nested', async (trailingSlash, target) => {
      const server = trailingSlash ? site : noSlash;
      const res = await rawRequest(server.port, target);
      expect(res.status).toBe(200);
      const parent = rowsOf(text(res)).find((row) => row.label === '../');
      expect(parent).toBeDefined();
      const resolved = new URL(parent!.href, `http://listing.test${target}`).pathname;
      expect(resolved.replace(/\/$/, '')).toBe('/nested');
    });
  });
});

describe('order, sizes and dates', () => {
  let dir: string;
  let server: TestServer;
  const dated = new Date('2020-01-02T12:00:00.000Z');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-order-'));
    for (const name of ['dir10', 'zdir', 'dir2', 'dir1']) mkdirSync(join(dir, name));
    for (const name of ['file10.txt', 'z.txt', 'file2.txt', 'a.txt', 'file1.txt']) writeFileSync(join(dir, name), name);
    writeFileSync(join(dir, 'half.bin'), Buffer.alloc(1536));
    writeFileSync(join(dir, 'empty.bin'), '');
    writeFileSync(join(dir, 'five.bin'), '');
    truncateSync(join(dir, 'five.bin'), 5 * MiB);
    writeFileSync(join(dir, 'dated.txt'), 'dated');
    utimesSync(join(dir, 'dated.txt'), dated, dated);
    server = await startServer({ root: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ORDER = [
    'dir1', 'dir2', 'dir10', 'zdir',
    'a.txt', 'dated.txt', 'empty.bin', 'file1.txt', 'file2.txt', 'file10.txt', 'five.bin', 'half.bin', 'z.txt',
  ];

  it('lists folders first, then files, each in natural order (file2 before file10)', async () => {
    const html = text(await rawRequest(server.port, '/'));
    const rows = entryRows(html);
    expect(rows.map(nameOf)).toEqual(ORDER);
    expect(rows.filter((row) => row.label.endsWith('/')).map(nameOf)).toEqual(['dir1', 'dir2', 'dir10', 'zdir']);
  });

  it('has no parent link at /', async () => {
    const html = text(await rawRequest(server.port, '/'));
    expect(linksOf(html)).not.toContain('../');
    expect(rowsOf(html).some((row) => row.label === '../')).toBe(false);
  });

  it('JSON has the same entries in the same order as the HTML', async () => {
    const html = text(await rawRequest(server.port, '/'));
    const listing = json(await rawRequest(server.port, '/?format=json'));
    expect(listing.path).toBe('/');
    expect(listing.entries.map((entry) => entry.name)).toEqual(ORDER);
    expect(entryRows(html).map((row) => ({ name: nameOf(row), href: row.href }))).toEqual(
      listing.entries.map((entry) => ({ name: entry.name, href: entry.url })),
    );
    for (const entry of listing.entries) {
      expect(entry.type).toBe(entry.name.startsWith('dir') || entry.name === 'zdir' ? 'directory' : 'file');
    }
  });

  it.each([
    ['half.bin', '1.5 KiB', 1536],
    ['empty.bin', '0 B', 0],
    ['five.bin', '5.0 MiB', 5 * MiB],
    ['file10.txt', '10 B', 10],
  ])('%s shows size %s', async (name, shown, bytes) => {
    const html = text(await rawRequest(server.port, '/'));
    expect(entryRows(html).find((row) => row.label === name)?.size).toBe(shown);
    const entry = json(await rawRequest(server.port, '/?format=json')).entries.find((each) => each.name === name);
    expect(entry?.size).toBe(bytes);
  });

  it('shows the modification time', async () => {
    const html = text(await rawRequest(server.port, '/'));
    expect(stripTags(entryRows(html).find((row) => row.label === 'dated.txt')?.modified ?? '')).toContain('2020-01-02');
    const entry = json(await rawRequest(server.port, '/?format=json')).entries.find((each) => each.name === 'dated.txt');
    expect(entry?.mtime).toBe('2020-01-02T12:00:00.000Z');
  });

  it('says the time is UTC, in a <time> element carrying the ISO instant', async () => {
    const html = text(await rawRequest(server.port, '/'));
    const modified = entryRows(html).find((row) => row.label === 'dated.txt')?.modified ?? '';
    expect(stripTags(modified)).toBe('2020-01-02 12:00 UTC');
    expect(/<time\s+datetime="([^"]*)"/i.exec(modified)?.[1]).toBe('2020-01-02T12:00:00.000Z');
    for (const row of entryRows(html)) expect(stripTags(row.modified)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  });
});

describe('sorting by name, size or date (?sort=, &order=)', () => {
  let dir: string;
  let server: TestServer;
  // Two folders and four files with known sizes and mtimes; a-mid and d-mid tie on both, so the name decides.
  const ENTRIES: { name: string; size?: number; mtime: string }[] = [
    { name: 'y-dir', mtime: '2019-01-01T00:00:00Z' },
    { name: 'x-dir', mtime: '2023-01-01T00:00:00Z' },
    { name: 'b-small.txt', size: 10, mtime: '2022-01-01T00:00:00Z' },
    { name: 'a-mid.txt', size: 200, mtime: '2018-01-01T00:00:00Z' },
    { name: 'c-big.bin', size: 3000, mtime: '2020-01-01T00:00:00Z' },
    { name: 'd-mid.txt', size: 200, mtime: '2018-01-01T00:00:00Z' },
  ];
  const BY_NAME = ['x-dir', 'y-dir', 'a-mid.txt', 'b-small.txt', 'c-big.bin', 'd-mid.txt'];
  const BY_NAME_DESC = ['y-dir', 'x-dir', 'd-mid.txt', 'c-big.bin', 'b-small.txt', 'a-mid.txt'];
  const BY_SIZE_DESC = ['x-dir', 'y-dir', 'c-big.bin', 'a-mid.txt', 'd-mid.txt', 'b-small.txt'];
  const BY_SIZE_ASC = ['x-dir', 'y-dir', 'b-small.txt', 'a-mid.txt', 'd-mid.txt', 'c-big.bin'];
  const BY_DATE_DESC = ['x-dir', 'y-dir', 'b-small.txt', 'c-big.bin', 'a-mid.txt', 'd-mid.txt'];
  const BY_DATE_ASC = ['y-dir', 'x-dir', 'a-mid.txt', 'd-mid.txt', 'c-big.bin', 'b-small.txt'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-sort-'));
    for (const { name, size } of ENTRIES) {
      if (size === undefined) mkdirSync(join(dir, name));
      else writeFileSync(join(dir, name), Buffer.alloc(size));
    }
    // After every entry exists, so creating one cannot move a folder's mtime again.
    for (const { name, mtime } of ENTRIES) utimesSync(join(dir, name), new Date(mtime), new Date(mtime));
    server = await startServer({ root: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function htmlNames(target: string): Promise<string[]> {
    const res = await rawRequest(server.port, target);
    expect(res.status).toBe(200);
    return entryRows(text(res)).map(nameOf);
  }

  async function jsonNames(target: string, headers: Record<string, string> = {}): Promise<string[]> {
    const res = await rawRequest(server.port, target, { headers });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return json(res).entries.map((entry) => entry.name);
  }

  const SORTS: [string, string[]][] = [
    ['', BY_NAME],
    ['?sort=name', BY_NAME],
    ['?sort=name&order=asc', BY_NAME],
    ['?sort=name&order=desc', BY_NAME_DESC],
    ['?order=desc', BY_NAME_DESC],
    ['?sort=size', BY_SIZE_DESC],
    ['?sort=size&order=desc', BY_SIZE_DESC],
    ['?sort=size&order=asc', BY_SIZE_ASC],
    ['?order=asc&sort=size', BY_SIZE_ASC],
    ['?sort=date', BY_DATE_DESC],
    ['?sort=date&order=desc', BY_DATE_DESC],
    ['?sort=date&order=asc', BY_DATE_ASC],
  ];

  it.each(SORTS)('GET /%s lists folders first, then files, in that order (HTML)', async (query, expected) => {
    expect(await htmlNames(`/${query}`)).toEqual(expected);
  });

  it.each(SORTS)('GET /%s in JSON: the same order, with ?format=json before or after, or by Accept', async (query, expected) => {
    expect(await jsonNames(`/${query}${query ? '&' : '?'}format=json`)).toEqual(expected);
    expect(await jsonNames(`/?format=json${query.replace(/^\?/, '&')}`)).toEqual(expected);
    expect(await jsonNames(`/${query}`, { Accept: 'application/json' })).toEqual(expected);
  });

  it.each([
    ['?sort=bogus', BY_NAME],
    ['?sort=SIZE', BY_NAME],
    ['?sort=', BY_NAME],
    ['?sort', BY_NAME],
    ['?sort=%zz&order=%', BY_NAME],
    ['?sort=size%00', BY_NAME],
    ['?sort[]=size', BY_NAME],
    ['?order=sideways', BY_NAME],
    ['?sort=size&order=up', BY_SIZE_DESC],
    ['?sort=date&order=', BY_DATE_DESC],
    ['?sort=bogus&order=desc', BY_NAME_DESC],
    ['?sort=size&sort=name', BY_SIZE_DESC],
  ])('an unknown value is ignored, never an error: GET /%s', async (query, expected) => {
    expect(await htmlNames(`/${query}`)).toEqual(expected);
    expect(await jsonNames(`/${query}${query ? '&' : '?'}format=json`)).toEqual(expected);
  });

  it.each([
    ['', [
      { label: 'Name', arrow: '▲', href: '?sort=name&order=desc', ariaSort: 'ascending' },
      { label: 'Size', arrow: '', href: '?sort=size&order=desc', ariaSort: undefined },
      { label: 'Modified', arrow: '', href: '?sort=date&order=desc', ariaSort: undefined },
    ]],
    ['?sort=name&order=desc', [
      { label: 'Name', arrow: '▼', href: '?sort=name&order=asc', ariaSort: 'descending' },
      { label: 'Size', arrow: '', href: '?sort=size&order=desc', ariaSort: undefined },
      { label: 'Modified', arrow: '', href: '?sort=date&order=desc', ariaSort: undefined },
    ]],
    ['?sort=size', [
      { label: 'Name', arrow: '', href: '?sort=name&order=asc', ariaSort: undefined },
      { label: 'Size', arrow: '▼', href: '?sort=size&order=asc', ariaSort: 'descending' },
      { label: 'Modified', arrow: '', href: '?sort=date&order=desc', ariaSort: undefined },
    ]],
    ['?sort=date&order=asc', [
      { label: 'Name', arrow: '', href: '?sort=name&order=asc', ariaSort: undefined },
      { label: 'Size', arrow: '', href: '?sort=size&order=desc', ariaSort: undefined },
      { label: 'Modified', arrow: '▲', href: '?sort=date&order=desc', ariaSort: 'ascending' },
    ]],
    ['?sort=bogus&order=sideways', [
      { label: 'Name', arrow: '▲', href: '?sort=name&order=desc', ariaSort: 'ascending' },
      { label: 'Size', arrow: '', href: '?sort=size&order=desc', ariaSort: undefined },
      { label: 'Modified', arrow: '', href: '?sort=date&order=desc', ariaSort: undefined },
    ]],
  ])('on /%s the headers link to each sort, toggling the current one, and mark it', async (query, expected) => {
    const html = text(await rawRequest(server.port, `/${query}`));
    expect(headingsOf(html)).toEqual(expected);
    // The links are escaped in the markup: `&` as `&amp;`.
    expect(html).not.toMatch(/href="[^"]*&(?!amp;)/);
  });

  it('following a header link sorts by it; following it again reverses the order', async () => {
    const sizeLink = (html: string): string => headingsOf(html).find((heading) => heading.label === 'Size')!.href!;
    const first = new URL(sizeLink(text(await rawRequest(server.port, '/'))), 'http://listing.test/');
    const bySize = text(await rawRequest(server.port, first.pathname + first.search));
    expect(entryRows(bySize).map(nameOf)).toEqual(BY_SIZE_DESC);
    const second = new URL(sizeLink(bySize), first);
    expect(entryRows(text(await rawRequest(server.port, second.pathname + second.search))).map(nameOf)).toEqual(BY_SIZE_ASC);
  });

  it('a header link keeps the path when the listing URL has no trailing slash', async () => {
    const noSlash = await startServer({ root: dir, trailingSlash: false });
    try {
      const html = text(await rawRequest(noSlash.port, '/x-dir'));
      const href = headingsOf(html).find((heading) => heading.label === 'Modified')!.href!;
      expect(new URL(href, 'http://listing.test/x-dir').pathname).toBe('/x-dir');
    } finally {
      await noSlash.close();
    }
  });

  it('a listing kept for one sort is never served for another (same path, one after the other)', async () => {
    const cached = await startServer({ root: dir });
    try {
      for (let round = 0; round < 2; round += 1) {
        expect(entryRows(text(await rawRequest(cached.port, '/?sort=size'))).map(nameOf)).toEqual(BY_SIZE_DESC);
        expect(entryRows(text(await rawRequest(cached.port, '/?sort=name'))).map(nameOf)).toEqual(BY_NAME);
        expect(entryRows(text(await rawRequest(cached.port, '/?sort=size&order=asc'))).map(nameOf)).toEqual(BY_SIZE_ASC);
        expect(entryRows(text(await rawRequest(cached.port, '/?sort=date'))).map(nameOf)).toEqual(BY_DATE_DESC);
        const viaJson = json(await rawRequest(cached.port, '/?format=json&sort=date&order=asc'));
        expect(viaJson.entries.map((entry) => entry.name)).toEqual(BY_DATE_ASC);
      }
    } finally {
      await cached.close();
    }
  });

  it('sorted pages keep their one style, allowed by hash, and no script', async () => {
    const res = await rawRequest(server.port, '/?sort=date&order=asc');
    const html = text(res);
    const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)];
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
    expect(String(res.headers['content-security-policy'])).toContain(`style-src 'sha256-${hash}'`);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  });
});

describe('escaping and links (awkward names in a copy of the site)', () => {
  let copy: { root: string; cleanup(): void };
  let server: TestServer;
  const IMG_DIR = '<img src=x onerror=alert(1)>';
  // A file name cannot contain `/`, so `</script>` is impossible: the opening tag is what would run.
  const FILES: Record<string, string> = {
    '<script>alert(1).txt': 'script-named file\n',
    'a&b"c\'.txt': 'ampersand and quotes\n',
    '100% #1 naïve ☃ what?.txt': 'percent, hash, space, unicode, question mark\n',
    'literal%20.txt': 'a literal percent-20\n',
    [`${IMG_DIR}/inner.txt`]: 'inside the img directory\n',
    ['50%25 #tag ü/deep.txt']: 'inside the percent directory\n',
  };
  beforeAll(async () => {
    copy = copySite();
    const weird = join(copy.root, 'weird');
    mkdirSync(join(weird, IMG_DIR), { recursive: true });
    mkdirSync(join(weird, '50%25 #tag ü'));
    for (const [name, content] of Object.entries(FILES)) writeFileSync(join(weird, name), content);
    server = await startServer({ root: copy.root });
  });
  afterAll(async () => {
    await server.close();
    copy.cleanup();
  });

  it('shows every name as escaped text, never as markup', async () => {
    const res = await rawRequest(server.port, '/weird/');
    expect(res.status).toBe(200);
    const html = text(res);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html.toLowerCase()).not.toContain('<img');
    expect(html).not.toContain('a&b"c');
    expect(html).toContain('&lt;script&gt;alert(1).txt');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toMatch(/a&amp;b&quot;c&#0*39;\.txt|a&amp;b&quot;c&#x0*27;\.txt|a&amp;b&quot;c&apos;\.txt/);
    expect(entryRows(html).map(nameOf).sort()).toEqual(
      ['<script>alert(1).txt', 'a&b"c\'.txt', '100% #1 naïve ☃ what?.txt', 'literal%20.txt', IMG_DIR, '50%25 #tag ü'].sort(),
    );
  });

  it('percent-encodes every href: no raw space, quote, #, ?, < or non-ASCII', async () => {
    const html = text(await rawRequest(server.port, '/weird/'));
    const hrefs = entryRows(html).map((row) => row.href);
    expect(hrefs).toHaveLength(6);
    for (const href of hrefs) {
      expect(href).toMatch(/^\/weird\//);
      expect(href).not.toMatch(/[\s"#?<>&\u0080-\uffff]/);
    }
    expect(hrefs).toContain('/weird/literal%2520.txt');
    expect(hrefs).toContain('/weird/50%2525%20%23tag%20%C3%BC/');
  });

  it.each([['/weird/'], [`/weird/${encodeURIComponent(IMG_DIR)}/`], [`/weird/${encodeURIComponent('50%25 #tag ü')}/`]])(
    'every link on %s (breadcrumb, parent, entries) serves exactly what it names',
    async (listingPath) => {
      const hrefs = await expectEveryLinkServes(server.port, listingPath, copy.root);
      expect(hrefs).toContain('/');
      expect(hrefs).toContain(listingPath.replace(/[^/]*\/$/, ''));
    },
  );

  it('the title and breadcrumb of an awkwardly named directory are escaped too', async () => {
    const res = await rawRequest(server.port, `/weird/${encodeURIComponent(IMG_DIR)}/`);
    expect(res.status).toBe(200);
    const html = text(res);
    expect(html.toLowerCase()).not.toContain('<img');
    const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? '';
    expect(unescapeHtml(title)).toContain(`/weird/${IMG_DIR}/`);
    expect(linksOf(html)).toContain(`/weird/${encodeURIComponent(IMG_DIR)}/`);
  });

  it('JSON keeps the raw names, and every url serves that exact file', async () => {
    const res = await rawRequest(server.port, '/weird/', { headers: { Accept: 'application/json' } });
    const listing = json(res);
    expect(listing.path).toBe('/weird/');
    expect(listing.entries.map((entry) => entry.name)).toContain('<script>alert(1).txt');
    for (const entry of listing.entries) {
      const served = await rawRequest(server.port, entry.url);
      expect(served.status, entry.url).toBe(200);
      const path = onDisk(copy.root, entry.url);
      expect(path).toBe(join(copy.root, 'weird', entry.name));
      if (entry.type === 'file') expect(text(served)).toBe(FILES[entry.name]);
    }
  });
});

describe('entries that are never listed, and odd ones (copy of the site without its index)', () => {
  let copy: { root: string; cleanup(): void };
  let server: TestServer;
  beforeAll(async () => {
    copy = copySite();
    const at = (...parts: string[]) => join(copy.root, ...parts);
    unlinkSync(at('index.html'));
    writeFileSync(at('tiny-serve.json'), '{}\n');
    writeFileSync(at('serve.json'), '{}\n');
    writeFileSync(at('no-index', '.dotfile'), 'hidden in a subdirectory\n');
    mkdirSync(at('no-index', '.dotdir'));
    writeFileSync(at('no-index', 'serve.json'), '{"nested": true}\n');
    execFileSync('mkfifo', [at('pipe')]);
    symlinkSync('does-not-exist.txt', at('dangling'));
    symlinkSync('hello.txt', at('hello-link.txt'));
    symlinkSync('nested', at('nested-link'));
    server = await startServer({ root: copy.root });
  });
  afterAll(async () => {
    await server.close();
    copy.cleanup();
  });

  it.each([['.env'], ['.hidden'], ['.well-known'], ['tiny-serve.json'], ['serve.json'], ['pipe'], ['dangling']])(
    'GET / does not list %s',
    async (name) => {
      const res = await within(2000, 'listing /', rawRequest(server.port, '/'));
      expect(res.status).toBe(200);
      const html = text(res);
      expect(entryRows(html).map(nameOf)).not.toContain(name);
      expect(html).not.toContain(`>${escapeHtml(name)}<`);
      const listing = json(await within(2000, 'listing /', rawRequest(server.port, '/?format=json')));
      expect(listing.entries.map((entry) => entry.name)).not.toContain(name);
    },
  );

  it('lists the visible entries at /, folders first', async () => {
    const listing = json(await rawRequest(server.port, '/?format=json'));
    const names = listing.entries.map((entry) => entry.name);
    expect(names).toContain('hello.txt');
    expect(names).toContain('snow ☃');
    expect(names).not.toContain('index.html');
    expect(names.every((name) => !name.startsWith('.'))).toBe(true);
    const types = listing.entries.map((entry) => entry.type);
    expect(types.indexOf('file')).toBe(types.lastIndexOf('directory') + 1);
  });

  it('lists a symlink to a file inside the root as a file, and one to a directory as a directory', async () => {
    const { entries } = json(await rawRequest(server.port, '/?format=json'));
    expect(entries.find((entry) => entry.name === 'hello-link.txt')).toMatchObject({
      type: 'file',
      size: 13,
      url: '/hello-link.txt',
    });
    expect(entries.find((entry) => entry.name === 'nested-link')).toMatchObject({ type: 'directory', url: '/nested-link/' });
    const served = await rawRequest(server.port, '/hello-link.txt');
    expect(text(served)).toBe('hello, world\n');
  });

  it('hides dotfiles below the root too; config names below the root are ordinary files', async () => {
    const { entries } = json(await rawRequest(server.port, '/no-index/?format=json'));
    expect(entries.map((entry) => entry.name)).toEqual(['file.txt', 'serve.json']);
    expect(text(await rawRequest(server.port, '/no-index/serve.json'))).toBe('{"nested": true}\n');
  });

  it('every link on / serves exactly what it names', async () => {
    const hrefs = await expectEveryLinkServes(server.port, '/', copy.root);
    expect(hrefs).toContain('/hash%23name.txt');
    expect(hrefs).toContain('/literal%2520name.txt');
    expect(hrefs).toContain('/unicod%C3%A9.txt');
    expect(hrefs).not.toContain('../');
  });

  it('the unicode directory is listed with href /snow%20%E2%98%83/', async () => {
    const html = text(await rawRequest(server.port, '/'));
    expect(entryRows(html).find((row) => row.label === 'snow ☃/')?.href).toBe('/snow%20%E2%98%83/');
  });

  it('the unicode directory without its index.html is listed (and linked back)', async () => {
    const snowCopy = copySite();
    const snow = await startServer({ root: snowCopy.root });
    try {
      unlinkSync(join(snowCopy.root, 'snow ☃', 'index.html'));
      writeFileSync(join(snowCopy.root, 'snow ☃', 'flake.txt'), 'a flake\n');
      const res = await rawRequest(snow.port, '/snow%20%E2%98%83/');
      expect(res.status).toBe(200);
      const html = text(res);
      expect(unescapeHtml(/<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? '')).toContain('/snow ☃/');
      expect(entryRows(html).map((row) => row.href)).toEqual(['/snow%20%E2%98%83/flake.txt']);
      expect(linksOf(html)).toContain('/snow%20%E2%98%83/');
      await expectEveryLinkServes(snow.port, '/snow%20%E2%98%83/', snowCopy.root);
    } finally {
      await snow.close();
      snowCopy.cleanup();
    }
  });
});

describe('symlinks whose target is not servable', () => {
  let copy: { root: string; cleanup(): void };
  let outside: string;
  let server: TestServer;
  beforeAll(async () => {
    copy = copySite();
    outside = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'outside the root\n');
    mkdirSync(join(copy.root, 'links'));
    writeFileSync(join(copy.root, 'links', 'plain.txt'), 'plain\n');
    symlinkSync(join(outside, 'secret.txt'), join(copy.root, 'links', 'outside-file.txt'));
    symlinkSync(outside, join(copy.root, 'links', 'outside-dir'));
    symlinkSync(join('..', '.env'), join(copy.root, 'links', 'env-link'));
    server = await startServer({ root: copy.root });
  });
  afterAll(async () => {
    await server.close();
    copy.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  // A listed entry whose link answers 404 reveals the size and mtime of a file the server refuses.
  it('links to a file outside the root or to a dotfile are not listed', async () => {
    const { entries } = json(await rawRequest(server.port, '/links/?format=json'));
    expect(entries.map((entry) => entry.name)).toEqual(['plain.txt']);
  });

  it.each([['/links/outside-file.txt'], ['/links/outside-dir/'], ['/links/env-link']])('GET %s → 404', async (target) => {
    expect((await rawRequest(server.port, target)).status).toBe(404);
  });
});

describe('the listing reads metadata only', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-meta-'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    closeSync(openSync(join(dir, 'sparse.bin'), 'w'));
    truncateSync(join(dir, 'sparse.bin'), GiB);
    writeFileSync(join(dir, 'small.txt'), 'small\n');
    server = await startServer({ root: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([['/'], ['/?format=json']])('GET %s with a FIFO and a 1 GiB sparse file answers within 2 s', async (target) => {
    const started = performance.now();
    const res = await within(5000, `GET ${target}`, rawRequest(server.port, target));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThan(64 * KiB);
  });

  it('leaves the FIFO out and shows the sparse file as 1.0 GiB', async () => {
    const html = text(await within(5000, 'GET /', rawRequest(server.port, '/')));
    const rows = entryRows(html);
    expect(rows.map(nameOf)).toEqual(['small.txt', 'sparse.bin']);
    expect(rows.find((row) => row.label === 'sparse.bin')?.size).toBe('1.0 GiB');
    const { entries } = json(await within(5000, 'GET /?format=json', rawRequest(server.port, '/?format=json')));
    expect(entries.find((entry) => entry.name === 'sparse.bin')?.size).toBe(GiB);
  });
});

describe('a directory of 10,000 files', () => {
  const COUNT = 10_000;
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-big-'));
    for (let i = 1; i <= COUNT; i += 1) closeSync(openSync(join(dir, `f${i}.txt`), 'w'));
    server = await startServer({ root: dir });
  }, 60_000);
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists all 10,000 entries in natural order', async () => {
    const res = await within(30_000, 'the big listing', rawRequest(server.port, '/?format=json'));
    expect(res.status).toBe(200);
    const { entries } = json(res);
    expect(entries).toHaveLength(COUNT);
    expect(entries.every((entry, index) => entry.name === `f${index + 1}.txt` && entry.url === `/f${index + 1}.txt`)).toBe(true);
  }, 60_000);

  it('lists them as HTML too', async () => {
    const res = await within(30_000, 'the big HTML listing', rawRequest(server.port, '/'));
    expect(res.status).toBe(200);
    expect(entryRows(text(res))).toHaveLength(COUNT);
  }, 60_000);
});

/**
 * The CPU time this process spent from `since` on, in ms. Wall-clock time between two answers
 * stretches on a loaded machine (the process waits for a core); the CPU time spent between them does
 * not: it is the work the event loop did meanwhile, whatever the machine's load.
 */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

describe('a listing being built', () => {
  const COUNT = 3_000;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listing-busy-'));
    for (let i = 1; i < COUNT; i += 1) closeSync(openSync(join(dir, `f${i}.txt`), 'w'));
    writeFileSync(join(dir, 'small.txt'), 'the small file\n');
  }, 60_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Asks for `target` (a listing) while `small`, on its own connection, asks for a small file again
   * and again until the listing arrives. Returns the listing, how many small answers came meanwhile,
   * and the longest stall between two of them as a share of the CPU time the whole build took.
   */
  async function listWhileAsking(port: number, small: ReturnType<typeof keepAliveClient>, target: string) {
    const start = process.cpuUsage();
    let listed = false;
    const listing = rawRequest(port, target).finally(() => (listed = true));
    const answeredAt = [0];
    while (!listed) {
      const res = await small.get('/small.txt');
      expect(text(res)).toBe('the small file\n');
      answeredAt.push(cpuMsSince(start));
    }
    const res = await listing;
    const buildMs = cpuMsSince(start);
    const longestStallMs = Math.max(...answeredAt.slice(1).map((at, index) => at - answeredAt[index]!));
    return { res, answers: answeredAt.length - 1, stallShare: longestStallMs / buildMs };
  }

  // The longest stretch the loop could not interrupt (sorting and serializing the entries) is about a
  // tenth of a build's CPU time here; a loop blocked for 500 ms by the build is most of it. Three
  // builds (each order is built on its own), judged by the median, so that one garbage collection
  // landing in one build's stall cannot fail the test; a stall in every build still does.
  it('keeps the event loop turning: small requests on another connection are answered throughout', async () => {
    // A fresh server: nothing is in its answer cache, so each listing is really built.
    const server = await startServer({ root: dir });
    const small = keepAliveClient(server.port);
    try {
      expect(text(await small.get('/small.txt'))).toBe('the small file\n');
      const shares: number[] = [];
      for (const order of ['sort=name&order=asc', 'sort=name&order=desc', 'sort=size']) {
        const built = await within(30_000, `the listing ${order}`, listWhileAsking(server.port, small, `/?format=json&${order}`));
        expect(built.res.status).toBe(200);
        expect(json(built.res).entries).toHaveLength(COUNT);
        expect(built.answers, `small answers while the listing ${order} was built`).toBeGreaterThanOrEqual(5);
        shares.push(built.stallShare);
      }
      const median = [...shares].sort((a, b) => a - b)[1]!;
      expect(median, `longest stall per build, as a share of its CPU time: ${shares.map((share) => share.toFixed(2)).join(', ')}`).toBeLessThan(0.25);
    } finally {
      small.close();
      await server.close();
    }
  }, 60_000);
});
