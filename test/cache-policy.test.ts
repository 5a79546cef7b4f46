// Cache-Control: no-cache by default, `cache` seconds for everything, immutable for content-hashed
// bundler output (never HTML), ETags turned off, option validation, and the matching CLI flags.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachePolicy, hasContentHash } from '../src/handler/cache-policy.js';
import { createHandler } from '../src/handler/handler.js';
import { SITE, copySite, rawRequest, startServer, type TestServer } from './helpers.js';
import { linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

const HASHED = ['/assets/app.3f9a1c2b.js', '/assets/chunk-BX3k9aQz.js'];
const PLAIN = ['/', '/index.html', '/hello.txt', '/app.js', '/style.css', '/assets/lorem.txt', '/assets/photo.png'];

describe('hasContentHash', () => {
  it.each([
    ['app.3f9a1c2b.js', true],
    ['chunk-BX3k9aQz.js', true],
    ['index-4f8a9c1d.css', true],
    ['main.abc12345.js', true],
    ['app.js', false],
    ['app-settings.js', false],
    ['my-component.js', false],
    ['styles.css', false],
    ['README', false],
    // Rollup/Vite's default 8 base64url characters: `-` and `_` belong to the hash, and a hash may
    // hold no digit at all when its letters do not read as words.
    ['index-C-0bB3sm.css', true],
    ['lazy-CQMiRbvb.js', true],
    ['vendor-_7kq-4Tz.js', true],
    ['index-CkZtfNpA.js', true],
    ['index--abc1234.js', true],
    // webpack's long hex and esbuild's 8-character uppercase base32.
    ['main.4f8a9c1d2e3b4a5f6789.js', true],
    ['chunk-ABCD2345.js', true],
    ['chunk-QWERTYUI.js', true],
    // Names that fill the same 8 characters with words (lowercase, camelCase, PascalCase), also
    // joined by `-` or `_`: a word taken for a hash would be cached for a year.
    ['use-navigate.js', false],
    ['hooks-useState.js', false],
    ['icon-MyButton.svg', false],
    ['use-get-user.js', false],
    ['lib-my_utils.js', false],
    ['card-nav--big.css', false],
    ['index.js', false],
    ['style.css', false],
    ['useState.js', false],
    ['MyButton.js', false],
    ['jquery.min.js', false],
    ['vendor.bundle.js', false],
  ])('%s → %s', (name, expected) => {
    expect(hasContentHash(name)).toBe(expected);
  });
});

describe('cachePolicy', () => {
  const JS = 'application/javascript; charset=utf-8';
  const HTML = 'text/html; charset=utf-8';
  // The values the README promises, spelled out: a table built from the module's own constants
  // could not tell when one of them changed.
  const IMMUTABLE = 'public, max-age=31536000, immutable';
  const NO_CACHE = 'no-cache';

  it.each([
    ['no options', {}, 'app.3f9a1c2b.js', JS, NO_CACHE],
    ['no options, plain', {}, 'app.js', JS, NO_CACHE],
    ['cache: 600', { cache: 600 }, 'app.js', JS, 'public, max-age=600'],
    ['cache: 600, hashed name without cacheHashed', { cache: 600 }, 'app.3f9a1c2b.js', JS, 'public, max-age=600'],
    ['cache: 0', { cache: 0 }, 'index.html', HTML, 'public, max-age=0'],
    ['cacheHashed, hashed js', { cacheHashed: true }, 'app.3f9a1c2b.js', JS, IMMUTABLE],
    ['cacheHashed, plain js', { cacheHashed: true }, 'app.js', JS, NO_CACHE],
    ['cacheHashed, hashed html', { cacheHashed: true }, 'page.3f9a1c2b.html', HTML, NO_CACHE],
    ['cacheHashed + cache, hashed js', { cache: 600, cacheHashed: true }, 'chunk-BX3k9aQz.js', JS, IMMUTABLE],
    ['cacheHashed + cache, plain', { cache: 600, cacheHashed: true }, 'hello.txt', 'text/plain; charset=utf-8', 'public, max-age=600'],
    ['cacheHashed + cache, hashed html', { cache: 600, cacheHashed: true }, 'page.3f9a1c2b.html', HTML, 'public, max-age=600'],
    ['cacheHashed, Vite-hashed html', { cacheHashed: true }, 'index-CQMiRbvb.html', HTML, NO_CACHE],
  ])('%s: %s → %s', (_name, options, fileName, contentType, expected) => {
    expect(cachePolicy(options)(fileName, contentType)).toBe(expected);
  });
});

describe('Cache-Control over HTTP', () => {
  describe('by default', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => {
      await server.close();
    });

    it.each([...PLAIN, ...HASHED])('%s is no-cache', async (path) => {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
    });
  });

  describe('with cache: 600', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ cache: 600 });
    });
    afterAll(async () => {
      await server.close();
    });

    it.each(['/index.html', '/app.js', '/assets/app.3f9a1c2b.js', '/hello.txt', '/assets/lorem.txt'])(
      '%s is public, max-age=600 on the 200 and on the 304',
      async (path) => {
        const res = await rawRequest(server.port, path);
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('public, max-age=600');
        const revalidated = await rawRequest(server.port, path, { headers: { 'If-None-Match': res.headers.etag! } });
        expect(revalidated.status).toBe(304);
        expect(revalidated.headers['cache-control']).toBe('public, max-age=600');
      },
    );

    it('keeps the policy on a compressed response and its 304', async () => {
      const headers = { 'Accept-Encoding': 'gzip' };
      const res = await rawRequest(server.port, '/assets/lorem.txt', { headers });
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['cache-control']).toBe('public, max-age=600');
      const revalidated = await rawRequest(server.port, '/assets/lorem.txt', {
        headers: { ...headers, 'If-None-Match': res.headers.etag! },
      });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers['cache-control']).toBe('public, max-age=600');
    });
  });

  describe('with cacheHashed', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ cacheHashed: true });
    });
    afterAll(async () => {
      await server.close();
    });

    it.each(HASHED)('%s is immutable for a year', async (path) => {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it.each(PLAIN)('%s stays no-cache', async (path) => {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
    });

    it('keeps immutable on the 304 of a hashed file', async () => {
      const res = await rawRequest(server.port, HASHED[0]!);
      const revalidated = await rawRequest(server.port, HASHED[0]!, { headers: { 'If-None-Match': res.headers.etag! } });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });
  });

  describe('with cache: 600 and cacheHashed', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ cache: 600, cacheHashed: true });
    });
    afterAll(async () => {
      await server.close();
    });

    it.each([
      ...HASHED.map((path) => [path, 'public, max-age=31536000, immutable'] as const),
      ...PLAIN.map((path) => [path, 'public, max-age=600'] as const),
    ])('%s → %s', async (path, expected) => {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe(expected);
    });
  });

  describe('Vite-style names in a copy of the site', () => {
    // Written into a private copy so the shared fixture tree (and the listing tests that count it)
    // stays as it is.
    let site: ReturnType<typeof copySite>;
    let server: TestServer;
    beforeAll(async () => {
      site = copySite();
      writeFileSync(join(site.root, 'assets/index-C-0bB3sm.css'), 'body { margin: 0; }\n');
      writeFileSync(join(site.root, 'assets/use-navigate.js'), 'export const navigate = () => {};\n');
      server = await startServer({ root: site.root, cacheHashed: true });
    });
    afterAll(async () => {
      await server.close();
      site.cleanup();
    });

    it.each([
      ['/assets/index-C-0bB3sm.css', 'public, max-age=31536000, immutable'],
      ['/assets/use-navigate.js', 'no-cache'],
    ])('%s → %s', async (path, expected) => {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe(expected);
    });
  });

  describe('an HTML file with a hash-like name', () => {
    let site: ReturnType<typeof copySite>;
    const servers: TestServer[] = [];
    beforeAll(() => {
      site = copySite();
      copyFileSync(join(site.root, 'index.html'), join(site.root, 'assets/page.3f9a1c2b.html'));
    });
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });
    afterAll(() => {
      site.cleanup();
    });

    it.each([
      ['cacheHashed', { cacheHashed: true }, 'no-cache'],
      ['cacheHashed and cache: 600', { cacheHashed: true, cache: 600 }, 'public, max-age=600'],
    ])('is never immutable (%s)', async (_name, options, expected) => {
      const server = await startServer({ root: site.root, ...options });
      servers.push(server);
      const res = await rawRequest(server.port, '/assets/page.3f9a1c2b.html');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe(expected);
      // The hashed JS next to it still is.
      expect((await rawRequest(server.port, HASHED[0]!)).headers['cache-control']).toBe(
        'public, max-age=31536000, immutable',
      );
    });
  });
});

describe('with etag: false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ etag: false });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['identity', {}],
    ['gzip', { 'Accept-Encoding': 'gzip' }],
  ])('sends no ETag but a Last-Modified (%s)', async (_name, headers: Record<string, string>) => {
    const res = await rawRequest(server.port, '/assets/lorem.txt', { headers });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['last-modified']).toMatch(/ GMT$/);
  });

  it.each([
    ['identity', {}],
    ['gzip', { 'Accept-Encoding': 'gzip' }],
  ])('answers If-Modified-Since with the Last-Modified with a 304 (%s)', async (_name, headers: Record<string, string>) => {
    const res = await rawRequest(server.port, '/hello.txt', { headers });
    const revalidated = await rawRequest(server.port, '/hello.txt', {
      headers: { ...headers, 'If-Modified-Since': res.headers['last-modified']! },
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.etag).toBeUndefined();
    expect(revalidated.body.length).toBe(0);
  });

  it('answers If-None-Match with an old tag with a 200', async () => {
    const res = await rawRequest(server.port, '/hello.txt', { headers: { 'If-None-Match': '"d-18c0a1b2c3d-1234"' } });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');
  });

  it('answers If-Match: * with a 200', async () => {
    const res = await rawRequest(server.port, '/hello.txt', { headers: { 'If-Match': '*' } });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');
  });
});

describe('option validation', () => {
  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('createHandler rejects a %s cache with a TypeError', (_name, cache) => {
    expect(() => createHandler({ root: SITE, cache })).toThrow(TypeError);
  });

  it.each([0, 600, 31536000])('createHandler accepts cache: %s', (cache) => {
    expect(typeof createHandler({ root: SITE, cache })).toBe('function');
  });
});

// These spawn the built bundle: run `node build.mjs` first (npm test does).
describe('CLI flags', () => {
  afterEach(async () => {
    await stopAll();
  });

  async function serve(args: string[]): Promise<number> {
    return startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--quiet', ...args]).port();
  }

  it('--cache 60 sends public, max-age=60', async () => {
    const port = await serve(['--cache', '60']);
    for (const path of ['/index.html', '/hello.txt', '/assets/app.3f9a1c2b.js']) {
      const res = await rawRequest(port, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=60');
    }
  });

  it.each([['abc'], ['1.5'], ['-1'], ['']])('--cache %j exits 1 with one line on stderr', async (value) => {
    const result = await runCli([SITE, '-p', '0', '--cache', value]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^tiny-serve: .*cache/);
  });

  it('--no-etag sends no ETag', async () => {
    const port = await serve(['--no-etag']);
    const res = await rawRequest(port, '/hello.txt');
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['last-modified']).toBeDefined();
  });

  it('sends an ETag without --no-etag', async () => {
    const port = await serve([]);
    const res = await rawRequest(port, '/hello.txt');
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('--no-compress serves lorem.txt as identity to a gzip client', async () => {
    const port = await serve(['--no-compress']);
    const res = await rawRequest(port, '/assets/lorem.txt', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe('19345');
    expect(res.body.length).toBe(19345);
  });

  it('compresses lorem.txt for a gzip client without --no-compress', async () => {
    const port = await serve([]);
    const res = await rawRequest(port, '/assets/lorem.txt', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
  });

  it('--cache-hashed makes the hashed fixture immutable, and nothing else', async () => {
    const port = await serve(['--cache-hashed']);
    for (const path of HASHED) {
      expect((await rawRequest(port, path)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await rawRequest(port, '/index.html')).headers['cache-control']).toBe('no-cache');
    expect((await rawRequest(port, '/hello.txt')).headers['cache-control']).toBe('no-cache');
  });
});
