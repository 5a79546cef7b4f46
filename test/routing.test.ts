// URL → file rules beyond the plain mapping: the SPA fallback, clean URLs, the trailing-slash policy,
// config rewrites (only where no file matches, never out of the root) and config redirects.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySite, rawRequest, SITE, startServer, type RawResponse, type TestServer } from './helpers.js';
import { linesOf, runCli } from './cli-helpers.js';
import { createHandler } from '../src/handler/handler.js';
import type { HandlerOptions } from '../src/types.js';

const ROOT_INDEX = readFileSync(join(SITE, 'index.html'), 'utf8');
const NESTED_INDEX = readFileSync(join(SITE, 'nested/index.html'), 'utf8');
const NESTED_PAGE = readFileSync(join(SITE, 'nested/page.html'), 'utf8');
const HELLO = readFileSync(join(SITE, 'hello.txt'), 'utf8');
const CUSTOM_404 = readFileSync(join(SITE, '404.html'), 'utf8');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

function text(res: RawResponse): string {
  return res.body.toString('utf8');
}

/** Starts a server on the fixture site for the enclosing describe block, closed after it. */
function serverWith(options: Partial<HandlerOptions>): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => server!;
}

describe('SPA fallback', () => {
  describe('single: true', () => {
    const site = serverWith({ single: true });

    it.each([
      ['Accept: text/html', '/dashboard', 'text/html'],
      ['a browser Accept', '/deep/link/here', BROWSER_ACCEPT],
      ['HTML with a lower q', '/route', 'application/json, text/html;q=0.5'],
      ['a missing path in an existing directory', '/nested/missing', 'text/html'],
      ['a missing path in directory form', '/missing/dir/', 'text/html'],
      // Decided by the request, not the name: a dotted last segment is a route too.
      ['a dotted last segment', '/users/jane.doe', BROWSER_ACCEPT],
      ['a navigation to a name with an extension', '/missing/app.js', 'text/html'],
    ])('GET of a missing path with %s → 200 index.html', async (_name, target, accept) => {
      const res = await rawRequest(site().port, target, { headers: { Accept: accept } });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers.vary).toMatch(/\bAccept\b/);
      expect(text(res)).toBe(ROOT_INDEX);
    });

    it('HEAD of a missing route → 200 with the fallback headers and no body', async () => {
      const res = await rawRequest(site().port, '/some/route', { method: 'HEAD', headers: { Accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(ROOT_INDEX)));
      expect(res.body.length).toBe(0);
    });

    it.each([
      ['/hello.txt', HELLO],
      ['/nested/', NESTED_INDEX],
      ['/nested/page.html', NESTED_PAGE],
      ['/', ROOT_INDEX],
    ])('an existing file wins: GET %s', async (target, body) => {
      const res = await rawRequest(site().port, target, { headers: { Accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it('an existing directory without a slash still redirects', async () => {
      const res = await rawRequest(site().port, '/nested', { headers: { Accept: 'text/html' } });
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/nested/');
    });

    it.each([
      ['no Accept header (curl without -H)', '/some/client/route', undefined],
      ['Accept: */* (fetch, curl)', '/users/42/edit', '*/*'],
      ['Accept: text/* (no navigation sends it)', '/settings', 'text/*'],
      ['a script', '/missing/app.js', '*/*'],
      ['an image', '/img/x.png', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'],
      ['a stylesheet', '/missing.css', 'text/css,*/*;q=0.1'],
      ['an API call with a dotted name', '/api/users/jane.doe', 'application/json, text/plain, */*'],
      ['Accept: application/json', '/api/users', 'application/json'],
      ['Accept: image/*', '/photo', 'image/*'],
      ['text/html refused with q=0', '/route', 'text/html;q=0, application/json'],
      ['a missing /.well-known path', '/.well-known/missing', 'text/html'],
      ['a missing /.well-known directory form', '/.well-known/missing/', 'text/html'],
    ])('%s → 404 (GET %s, Accept %s)', async (_name, target, accept) => {
      const res = await rawRequest(site().port, target, { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(404);
      expect(res.headers.vary).toMatch(/\bAccept\b/);
      expect(text(res)).not.toBe(ROOT_INDEX);
    });

    it('the existing /.well-known file is still served', async () => {
      const res = await rawRequest(site().port, '/.well-known/security.txt');
      expect(res.status).toBe(200);
      expect(text(res)).not.toBe(ROOT_INDEX);
    });

    it.each(['POST', 'PUT', 'DELETE'])('%s of a missing route → 405', async (method) => {
      const res = await rawRequest(site().port, '/some/route', { method, headers: { Accept: 'text/html' } });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(text(res)).not.toBe(ROOT_INDEX);
    });

    it("answers with index.html's ETag, and 304 to a revalidation", async () => {
      const direct = await rawRequest(site().port, '/index.html');
      const fallback = await rawRequest(site().port, '/some/client/route', { headers: { Accept: 'text/html' } });
      expect(fallback.status).toBe(200);
      expect(fallback.headers.etag).toBeDefined();
      expect(fallback.headers.etag).toBe(direct.headers.etag);

      const revalidated = await rawRequest(site().port, '/some/client/route', {
        headers: { Accept: 'text/html', 'If-None-Match': fallback.headers.etag! },
      });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.etag).toBe(fallback.headers.etag);
      expect(revalidated.body.length).toBe(0);
    });
  });

  describe.each([
    ["single: 'nested/page.html'", 'nested/page.html'],
    ["single: '/nested/page.html'", '/nested/page.html'],
  ])('%s', (_name, single) => {
    const site = serverWith({ single });

    it.each([
      ['/some/route', NESTED_PAGE],
      ['/nested/missing', NESTED_PAGE],
      ['/', ROOT_INDEX],
      ['/nested/', NESTED_INDEX],
      ['/hello.txt', HELLO],
    ])('GET %s → 200', async (target, body) => {
      const res = await rawRequest(site().port, target, { headers: { Accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it('a missing stylesheet → 404', async () => {
      const res = await rawRequest(site().port, '/missing.css', { headers: { Accept: 'text/css,*/*;q=0.1' } });
      expect(res.status).toBe(404);
    });

    it("has the fallback file's ETag", async () => {
      const direct = await rawRequest(site().port, '/nested/page.html');
      const fallback = await rawRequest(site().port, '/some/route', { headers: { Accept: 'text/html' } });
      expect(fallback.headers.etag).toBeDefined();
      expect(fallback.headers.etag).toBe(direct.headers.etag);
    });
  });

  describe('without single', () => {
    const site = serverWith({});

    it.each([
      ['/some/client/route', undefined],
      ['/dashboard', 'text/html'],
    ])('GET %s → 404 with the 404 page', async (target, accept) => {
      const res = await rawRequest(site().port, target, { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(404);
      expect(text(res)).toBe(CUSTOM_404);
    });
  });

  describe('a fallback that is not a file inside the root', () => {
    it.each<[string, HandlerOptions['single'], RegExp]>([
      ['a missing file', 'app.html', /^single-page fallback not found: .*app\.html$/],
      ['a directory', 'nested', /^single-page fallback not found: .*nested$/],
      ['a path outside the root', '../outside.html', /^single-page fallback \.\.\/outside\.html is outside the served directory$/],
    ])('is refused when the handler is created: %s', (_name, single, message) => {
      expect(() => createHandler({ root: SITE, single })).toThrow(message);
    });

    it('is refused for single: true without index.html', () => {
      const root = mkdtempSync(join(tmpdir(), 'tiny-serve-spa-'));
      try {
        expect(() => createHandler({ root, single: true })).toThrow(/^single-page fallback not found: .*index\.html$/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('--single app.html without app.html exits 1 with one line', async () => {
      const result = await runCli([SITE, '-p', '0', '--single', 'app.html']);
      expect(result.code).toBe(1);
      expect(linesOf(result.stderr)).toEqual([`tiny-serve: single-page fallback not found: ${join(SITE, 'app.html')}`]);
    });
  });
});

describe('clean URLs', () => {
  describe('cleanUrls: true', () => {
    const site = serverWith({ cleanUrls: true });

    it.each([
      ['/nested/page', NESTED_PAGE],
      ['/nested/page?a=1', NESTED_PAGE],
      ['/nested/', NESTED_INDEX],
      ['/', ROOT_INDEX],
      ['/hello.txt', HELLO],
    ])('GET %s → 200', async (target, body) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it.each([
      ['/nested/page.html', '/nested/page'],
      ['/nested/page.html?a=1', '/nested/page?a=1'],
      ['/index.html', '/'],
      ['/index.html?a=1', '/?a=1'],
      ['/nested/index.html', '/nested/'],
      ['/404.html', '/404'],
    ])('GET %s → 301 %s', async (target, location) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(location);
    });

    it('HEAD /nested/page.html → 301 too', async () => {
      const res = await rawRequest(site().port, '/nested/page.html', { method: 'HEAD' });
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/nested/page');
    });

    it.each(['/hello', '/nested/page/', '/nested/missing'])('GET %s → 404', async (target) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(404);
    });
  });

  describe('cleanUrls with trailingSlash: false', () => {
    const site = serverWith({ cleanUrls: true, trailingSlash: false });

    it.each([
      ['/nested/index.html', '/nested'],
      ['/index.html', '/'],
      ['/nested/page.html', '/nested/page'],
    ])('GET %s → 301 %s', async (target, location) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(location);
    });
  });

  describe('a real directory beside a same-named .html file', () => {
    let copy: ReturnType<typeof copySite>;
    let slash: TestServer;
    let noSlash: TestServer;
    beforeAll(async () => {
      copy = copySite();
      writeFileSync(join(copy.root, 'nested.html'), 'NESTED-DOT-HTML\n');
      slash = await startServer({ root: copy.root, cleanUrls: true });
      noSlash = await startServer({ root: copy.root, cleanUrls: true, trailingSlash: false });
    });
    afterAll(async () => {
      await slash?.close();
      await noSlash?.close();
      copy?.cleanup();
    });

    it('/nested redirects to the directory, not to nested.html', async () => {
      const res = await rawRequest(slash.port, '/nested');
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/nested/');
      expect(text(res)).not.toContain('NESTED-DOT-HTML');
    });

    it('/nested/ serves the directory index', async () => {
      const res = await rawRequest(slash.port, '/nested/');
      expect(res.status).toBe(200);
      expect(text(res)).toBe(NESTED_INDEX);
    });

    it('with trailingSlash: false, /nested serves the directory index', async () => {
      const res = await rawRequest(noSlash.port, '/nested');
      expect(res.status).toBe(200);
      expect(text(res)).toBe(NESTED_INDEX);
    });
  });

  describe('without cleanUrls', () => {
    const site = serverWith({});

    it.each([
      ['/nested/page', 404],
      ['/nested/page.html', 200],
      ['/index.html', 200],
      ['/nested/index.html', 200],
    ])('GET %s → %i', async (target, status) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(status);
      expect(res.headers.location).toBeUndefined();
    });
  });
});

describe('trailing slash', () => {
  describe('by default (trailingSlash: true)', () => {
    const site = serverWith({});

    it.each([
      ['/nested', '/nested/'],
      ['/nested?a=1', '/nested/?a=1'],
      ['/nested/deeper', '/nested/deeper/'],
      ['/no-index', '/no-index/'],
    ])('GET %s → 301 %s', async (target, location) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(location);
    });

    it.each([
      ['/nested/', NESTED_INDEX],
      ['/', ROOT_INDEX],
    ])('GET %s → 200', async (target, body) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });
  });

  describe('trailingSlash: false', () => {
    const site = serverWith({ trailingSlash: false });

    it.each([
      ['/nested/', '/nested'],
      ['/nested/?a=1', '/nested?a=1'],
      ['/nested/deeper/', '/nested/deeper'],
      ['/no-index/', '/no-index'],
    ])('GET %s → 301 %s', async (target, location) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(location);
    });

    it.each([
      ['/nested', NESTED_INDEX],
      ['/nested?a=1', NESTED_INDEX],
      ['/', ROOT_INDEX],
    ])('GET %s → 200 with the index', async (target, body) => {
      const res = await rawRequest(site().port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it('GET /no-index → 200 listing of the directory', async () => {
      const res = await rawRequest(site().port, '/no-index?format=json');
      expect(res.status).toBe(200);
      const listing = JSON.parse(text(res)) as { entries: { name: string }[] };
      expect(listing.entries.map((entry) => entry.name)).toEqual(['file.txt']);
    });

    it('a file in directory form is still missing', async () => {
      const res = await rawRequest(site().port, '/hello.txt/');
      expect(res.status).toBe(404);
    });
  });
});

describe('rewrites', () => {
  const site = serverWith({
    rewrites: [
      { source: '/blog/:slug', destination: '/nested/:slug.html' },
      { source: '/docs/**', destination: '/nested/index.html' },
      { source: '/*.htm', destination: '/nested/page.html' },
      { source: '/{legacy,old-site}/*', destination: '/hello.txt' },
      { source: '/first/**', destination: '/hello.txt' },
      { source: '/first/page', destination: '/nested/page.html' },
      { source: '/gone/:name', destination: '/does-not-exist/:name' },
      { source: '/section', destination: '/nested' },
      { source: '**', destination: '/index.html' },
    ],
  });

  it.each([
    ['a :param substituted into the destination', '/blog/page', NESTED_PAGE],
    ['a :param naming the index', '/blog/index', NESTED_INDEX],
    ['a ** glob', '/docs/guide/intro', NESTED_INDEX],
    ['a ** glob, no rest', '/docs', NESTED_INDEX],
    ['a *.ext glob', '/legacy.htm', NESTED_PAGE],
    ['a brace alternative (first)', '/legacy/x', HELLO],
    ['a brace alternative (second)', '/old-site/y.php', HELLO],
    ['the first matching rule', '/first/page', HELLO],
    ['a rewrite to a directory (its index, no redirect)', '/section', NESTED_INDEX],
    ['the catch-all', '/anything/else', ROOT_INDEX],
    ['the catch-all, with a query', '/other-site/x?a=1', ROOT_INDEX],
  ])('%s: GET %s → 200', async (_name, target, body) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(text(res)).toBe(body);
  });

  it.each([
    ['/hello.txt', HELLO],
    ['/nested/page.html', NESTED_PAGE],
    ['/nested/', NESTED_INDEX],
  ])('an existing file wins over every rule (** does not hijack %s)', async (target, body) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(200);
    expect(text(res)).toBe(body);
  });

  it('an existing directory still gets its trailing-slash redirect', async () => {
    const res = await rawRequest(site().port, '/nested');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/nested/');
  });

  it('HEAD follows the rewrite', async () => {
    const res = await rawRequest(site().port, '/blog/page', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(NESTED_PAGE)));
    expect(res.body.length).toBe(0);
  });

  // The first matching rule decides, even when its destination is missing: later rules (the
  // catch-all here) are not tried.
  it.each([
    ['a missing destination', '/gone/x'],
    ['a :param naming no file', '/blog/missing'],
  ])('%s → 404 (GET %s)', async (_name, target) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(404);
    expect(text(res)).not.toBe(ROOT_INDEX);
  });

  it('a rewrite never reaches a hidden file', async () => {
    const hidden = await startServer({ rewrites: [{ source: '/env', destination: '/.env' }] });
    try {
      const res = await rawRequest(hidden.port, '/env');
      expect(res.status).toBe(404);
    } finally {
      await hidden.close();
    }
  });
});

describe('rewrites never leave the root', () => {
  const MARKER = 'OUTSIDE-THE-ROOT-rewrite-3c1d';
  let base: string;
  let server: TestServer;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tiny-serve-rewrite-'));
    mkdirSync(join(base, 'site', 'nested'), { recursive: true });
    writeFileSync(join(base, 'site', 'index.html'), '<p>inside</p>\n');
    writeFileSync(join(base, 'site', 'nested', 'page.html'), '<p>inside page</p>\n');
    writeFileSync(join(base, 'outside.txt'), `${MARKER}\n`);
    writeFileSync(join(base, 'outside.html'), `${MARKER}\n`);
    server = await startServer({
      root: join(base, 'site'),
      cleanUrls: true,
      rewrites: [
        { source: '/escape', destination: '/../outside.txt' },
        { source: '/escape-deep', destination: '/nested/../../outside.txt' },
        { source: '/escape-encoded', destination: '/%2e%2e/outside.txt' },
        { source: '/blog/:slug', destination: '/nested/:slug.html' },
        { source: '/raw/:slug', destination: '/:slug' },
        { source: '/up/:slug', destination: '/../:slug' },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  // A request whose own path climbs out, in any encoding, is refused before any rule applies: 400
  // (README, Security). A rewrite whose destination would climb out is not applied: the path matched
  // no file, so 404. Nothing from outside either way.
  it.each([
    ['/escape', 404],
    ['/escape-deep', 404],
    ['/escape-encoded', 404],
    ['/blog/..%2f..%2fetc%2fpasswd', 400],
    ['/blog/..%2f..%2foutside', 400],
    ['/blog/%2e%2e%2f%2e%2e%2foutside', 400],
    ['/blog/%252e%252e%252f%252e%252e%252foutside', 404],
    ['/raw/..%2foutside.txt', 400],
    ['/raw/%2e%2e%2foutside.txt', 400],
    ['/raw/%252e%252e%252foutside.txt', 404],
    ['/up/outside.txt', 404],
    ['/up/outside', 404],
  ])('GET %s → %i, nothing from outside', async (target, status) => {
    const res = await rawRequest(server.port, target);
    expect(res.status).toBe(status);
    expect(text(res)).not.toContain(MARKER);
    expect(text(res)).not.toContain('root:');
  });

  it('the rewrite itself works inside the root', async () => {
    const res = await rawRequest(server.port, '/blog/page');
    expect(res.status).toBe(200);
    expect(text(res)).toBe('<p>inside page</p>\n');
  });
});

describe('a rewrite to .html under cleanUrls', () => {
  const site = serverWith({
    cleanUrls: true,
    rewrites: [
      { source: '/about', destination: '/nested/page.html' },
      { source: '/blog/:slug', destination: '/nested/:slug.html' },
      { source: '/home', destination: '/index.html' },
    ],
  });

  it.each([
    ['/about', NESTED_PAGE],
    ['/blog/page', NESTED_PAGE],
    ['/blog/index', NESTED_INDEX],
    ['/home', ROOT_INDEX],
  ])('GET %s → 200, served without a redirect', async (target, body) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(text(res)).toBe(body);
  });
});

describe('redirects', () => {
  const site = serverWith({
    redirects: [
      { source: '/old/:id', destination: '/new/:id' },
      { source: '/found/:id', destination: '/f/:id', type: 302 },
      { source: '/temp', destination: '/t', type: 307 },
      { source: '/perm', destination: '/p', type: 308 },
      { source: '/moved-perm', destination: '/m', type: 301 },
      { source: '/with-query', destination: '/target?from=config' },
      { source: '/ext/:x', destination: 'https://example.com/:x' },
      { source: '/ext-query', destination: 'https://example.com/?a=1' },
      { source: '/evil', destination: '//evil.com/x' },
      { source: '/evil-many', destination: '///evil.com/x' },
      { source: '/evil-backslash', destination: '/\\evil.com/x' },
      { source: '/hello.txt', destination: '/nested/' },
      { source: '/gallery/**', destination: '/images' },
      { source: '/ab/:a/:b', destination: '/ba/:b/:a' },
    ],
  });

  it.each([
    ['default 301', '/old/abc', 301, '/new/abc'],
    [':param percent-encoded', '/old/a%20b', 301, '/new/a%20b'],
    [':param with UTF-8', '/old/caf%C3%A9', 301, '/new/caf%C3%A9'],
    [':param with reserved characters', '/old/a%3Fb%23c', 301, '/new/a%3Fb%23c'],
    [':param with a literal percent', '/old/100%25', 301, '/new/100%25'],
    ['query appended', '/old/abc?x=1&y=2', 301, '/new/abc?x=1&y=2'],
    ['two params reordered', '/ab/1/2', 301, '/ba/2/1'],
    ['302', '/found/1', 302, '/f/1'],
    ['307', '/temp', 307, '/t'],
    ['308', '/perm', 308, '/p'],
    ['explicit 301', '/moved-perm', 301, '/m'],
    ['destination query kept', '/with-query', 301, '/target?from=config'],
    ['destination query not extended', '/with-query?q=1', 301, '/target?from=config'],
    ['absolute URL', '/ext/abc', 301, 'https://example.com/abc'],
    ['absolute URL, encoded param', '/ext/a%20b', 301, 'https://example.com/a%20b'],
    ['absolute URL, query appended', '/ext/abc?q=1', 301, 'https://example.com/abc?q=1'],
    ['absolute URL with its own query', '/ext-query?q=2', 301, 'https://example.com/?a=1'],
    ['// destination becomes a path', '/evil', 301, '/evil.com/x'],
    ['// destination with a query', '/evil?q=1', 301, '/evil.com/x?q=1'],
    ['/// destination becomes a path', '/evil-many', 301, '/evil.com/x'],
    ['/\\ destination becomes a path', '/evil-backslash', 301, '/evil.com/x'],
    ['a rule over an existing file', '/hello.txt', 301, '/nested/'],
    ['a ** source', '/gallery/2024/summer/1.jpg', 301, '/images'],
  ])('%s: GET %s → %i %s', async (_name, target, status, location) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });

  it('HEAD is redirected the same way', async () => {
    const res = await rawRequest(site().port, '/old/abc', { method: 'HEAD' });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/new/abc');
    expect(res.body.length).toBe(0);
  });

  it('POST of a redirected path → 405', async () => {
    const res = await rawRequest(site().port, '/old/abc', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.location).toBeUndefined();
  });

  it.each([
    ['/old', 404],
    ['/old/a/b', 404],
    ['/nested/page.html', 200],
  ])('a path no rule matches is served normally: GET %s → %i', async (target, status) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBeUndefined();
  });

  it('a Location never carries CR/LF from the request', async () => {
    const res = await rawRequest(site().port, '/old/a%0D%0ASet-Cookie:%20x=1?q=%0d%0a');
    expect(res.status).toBe(301);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.location).toBe('/new/a%0D%0ASet-Cookie%3A%20x%3D1?q=%0d%0a');
  });
});
