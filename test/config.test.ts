// The config file: validateConfig and loadConfig as units, then the built CLI reading tiny-serve.json,
// serve.json or --config (flags override the file, the file is never served, errors are one line).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig, type FileConfig } from '../src/cli/config.js';
import { UserError } from '../src/errors.js';
import type { Redirect } from '../src/types.js';
import { copySite, rawRequest, SITE } from './helpers.js';
import { REPO, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

/** The message validateConfig throws for `raw`, failing the test if it throws nothing or another error. */
function configError(raw: unknown): string {
  try {
    validateConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error(`validateConfig accepted ${JSON.stringify(raw)}`);
}

/** A fresh temporary directory for one test; removed by `removeTemps` (afterEach). */
const temps: string[] = [];
function tempDir(prefix = 'tiny-serve-config-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

describe('validateConfig: accepted keys', () => {
  const rewrites = [{ source: '/blog/:slug', destination: '/posts/:slug.html' }];
  const redirects: Redirect[] = [
    { source: '/old/:id', destination: '/new/:id', type: 302 },
    { source: '/x/**', destination: 'https://example.com/x', type: 308 },
  ];
  const headers = [
    { source: '**/*.js', headers: [{ key: 'X-Test', value: 'one' }, { key: 'X-Powered-By', value: null }] },
  ];

  it.each([
    ['port', 8080],
    ['port', 0],
    ['port', 65535],
    ['host', '0.0.0.0'],
    ['strictPort', true],
    ['quiet', false],
    ['compress', false],
    ['cache', 3600],
    ['cache', 0],
    ['cacheHashed', true],
    ['etag', false],
    ['listing', false],
    ['single', true],
    ['single', 'app.html'],
    ['cleanUrls', true],
    ['cleanUrls', ['/app/**', '!/app/raw/**']],
    ['cleanUrls', []],
    ['listing', ['/assets/**']],
    ['unlisted', ['.DS_Store', '*.map', '/docs/drafts']],
    ['renderSingle', true],
    ['symlinks', false],
    ['public', 'dist'],
    ['public', '/srv/site/_site'],
    ['trailingSlash', false],
    ['cors', true],
    ['header', ['X-Frame-Options: DENY', 'X-Empty:']],
    ['header', []],
    ['auth', 'user:secret'],
    ['rewrites', rewrites],
    ['rewrites', []],
    ['redirects', redirects],
    ['headers', headers],
  ])('%s: %j', (key, value) => {
    expect(validateConfig({ [key]: value })).toEqual({ [key]: value });
  });

  it.each([true, false, ['/assets/**']])('directoryListing: %j becomes listing', (value) => {
    expect(validateConfig({ directoryListing: value })).toEqual({ listing: value });
  });

  it('a redirect without type gets 301', () => {
    expect(validateConfig({ redirects: [{ source: '/a', destination: '/b' }] })).toEqual({
      redirects: [{ source: '/a', destination: '/b', type: 301 }],
    });
  });

  it('an empty object is an empty config', () => {
    expect(validateConfig({})).toEqual({});
  });

  it('every key at once', () => {
    const all = {
      port: 4000,
      host: 'localhost',
      strictPort: true,
      quiet: true,
      compress: false,
      cache: 60,
      cacheHashed: true,
      etag: false,
      listing: false,
      single: 'index.html',
      cleanUrls: true,
      trailingSlash: false,
      cors: true,
      header: ['X-A: 1'],
      auth: 'a:b',
      rewrites,
      redirects,
      headers,
    } satisfies FileConfig;
    expect(validateConfig(all)).toEqual(all);
  });

  // Every key serve 14's schema allows (@zeit/schemas config-static), in one file.
  it('a serve.json with every key serve 14 accepts', () => {
    const serveJson = {
      public: 'dist',
      cleanUrls: ['/app/**'],
      rewrites,
      redirects,
      headers,
      directoryListing: ['/assets/**', '!/assets/private'],
      unlisted: ['.DS_Store', '.git'],
      trailingSlash: true,
      renderSingle: true,
      symlinks: true,
    };
    const { directoryListing, ...rest } = serveJson;
    expect(validateConfig(serveJson)).toEqual({ ...rest, listing: directoryListing });
  });
});

describe('validateConfig: rejected configs name the key', () => {
  it.each([
    ['unknown key', { colour: true }, 'colour'],
    ['unknown key, other case', { Listing: false }, 'Listing'],
    ['unknown key beside good ones', { listing: false, spa: true }, 'spa'],
    // Keys every object inherits are still unknown keys.
    ['unknown key "constructor"', { constructor: 1 }, 'constructor'],
    ['unknown key "toString"', { toString: 'x' }, 'toString'],
    ['unknown key "hasOwnProperty"', { hasOwnProperty: true }, 'hasOwnProperty'],
    ['unknown key "__proto__"', JSON.parse('{"__proto__": {"listing": false}}') as unknown, '__proto__'],
    ['port as a string', { port: '3000' }, 'port'],
    ['port too large', { port: 65536 }, 'port'],
    ['port negative', { port: -1 }, 'port'],
    ['port fractional', { port: 80.5 }, 'port'],
    ['host as a number', { host: 1 }, 'host'],
    ['strictPort as a string', { strictPort: 'yes' }, 'strictPort'],
    ['quiet as a number', { quiet: 1 }, 'quiet'],
    ['compress as a string', { compress: 'false' }, 'compress'],
    ['cache negative', { cache: -1 }, 'cache'],
    ['cache fractional', { cache: 1.5 }, 'cache'],
    ['cache as a string', { cache: '60' }, 'cache'],
    ['cache null', { cache: null }, 'cache'],
    ['cacheHashed as a number', { cacheHashed: 1 }, 'cacheHashed'],
    ['etag null', { etag: null }, 'etag'],
    ['listing as a string', { listing: 'no' }, 'listing'],
    ['directoryListing as a number', { directoryListing: 0 }, 'directoryListing'],
    ['single as a number', { single: 1 }, 'single'],
    ['single null', { single: null }, 'single'],
    ['cleanUrls as a string', { cleanUrls: 'true' }, 'cleanUrls'],
    ['cleanUrls with a number', { cleanUrls: ['/a/**', 1] }, 'cleanUrls[1]'],
    ['cleanUrls with a bad pattern', { cleanUrls: ['/a**'] }, 'cleanUrls[0]'],
    ['directoryListing with a bad pattern', { directoryListing: ['/[abc'] }, 'directoryListing[0]'],
    ['listing as an object', { listing: { '/a': true } }, 'listing'],
    ['unlisted as a string', { unlisted: '*.map' }, 'unlisted'],
    ['unlisted with a bad pattern', { unlisted: ['/@(x)'] }, 'unlisted[0]'],
    ['renderSingle as a string', { renderSingle: 'yes' }, 'renderSingle'],
    ['symlinks null', { symlinks: null }, 'symlinks'],
    ['public as a number', { public: 1 }, 'public'],
    ['public empty', { public: '' }, 'public'],
    ['public as a list', { public: ['dist'] }, 'public'],
    ['trailingSlash as a number', { trailingSlash: 1 }, 'trailingSlash'],
    ['cors as a string', { cors: 'yes' }, 'cors'],
    ['header as a string', { header: 'X-A: 1' }, 'header'],
    ['header item as a number', { header: [1] }, 'header[0]'],
    ['header item without a colon', { header: ['X-A 1'] }, 'header[0]'],
    ['header item with CR/LF', { header: ['X-A: 1', 'X-B: a\r\nSet-Cookie: x'] }, 'header[1]'],
    ['auth as a number', { auth: 1 }, 'auth'],
    ['auth as a boolean', { auth: true }, 'auth'],
    ['rewrites as an object', { rewrites: {} }, 'rewrites'],
    ['rewrite as a string', { rewrites: ['/a'] }, 'rewrites[0]'],
    ['rewrite without destination', { rewrites: [{ source: '/a' }] }, 'rewrites[0].destination'],
    ['rewrite without source', { rewrites: [{ destination: '/a' }] }, 'rewrites[0].source'],
    ['rewrite with a bad pattern', { rewrites: [{ source: '/@(a)', destination: '/b' }] }, 'rewrites[0].source'],
    ['rewrite with a ** pattern glued to text', { rewrites: [{ source: '/a**', destination: '/b' }] }, 'rewrites[0].source'],
    [
      'second rewrite with a bad pattern',
      { rewrites: [{ source: '/ok', destination: '/b' }, { source: '/**/:id', destination: '/b' }] },
      'rewrites[1].source',
    ],
    ['rewrite with a relative destination', { rewrites: [{ source: '/a', destination: 'b.html' }] }, 'rewrites[0].destination'],
    ['rewrite with a space in the destination', { rewrites: [{ source: '/a', destination: '/b c' }] }, 'rewrites[0].destination'],
    ['rewrite with an unknown key', { rewrites: [{ source: '/a', destination: '/b', type: 301 }] }, 'rewrites[0].type'],
    ['redirects as a string', { redirects: '/a' }, 'redirects'],
    ['redirect type 303', { redirects: [{ source: '/a', destination: '/b', type: 303 }] }, 'redirects[0].type'],
    ['redirect type 200', { redirects: [{ source: '/a', destination: '/b', type: 200 }] }, 'redirects[0].type'],
    ['redirect type as a string', { redirects: [{ source: '/a', destination: '/b', type: '301' }] }, 'redirects[0].type'],
    ['redirect with a bad pattern', { redirects: [{ source: '/:1x', destination: '/b' }] }, 'redirects[0].source'],
    [
      'redirect to a javascript: URL',
      { redirects: [{ source: '/a', destination: 'javascript:alert(1)' }] },
      'redirects[0].destination',
    ],
    ['redirect with CR/LF in the destination', { redirects: [{ source: '/a', destination: '/b\r\nX: y' }] }, 'redirects[0].destination'],
    ['redirect with an unknown key', { redirects: [{ source: '/a', destination: '/b', code: 302 }] }, 'redirects[0].code'],
    ['headers as an object', { headers: {} }, 'headers'],
    ['header rule list as an object', { headers: [{ source: '**', headers: {} }] }, 'headers[0].headers'],
    [
      'header value with CR/LF',
      { headers: [{ source: '**', headers: [{ key: 'X-A', value: 'a\r\nSet-Cookie: x' }] }] },
      'headers[0].headers[0]',
    ],
    ['header value with LF', { headers: [{ source: '**', headers: [{ key: 'X-A', value: 'a\nb' }] }] }, 'headers[0].headers[0]'],
    ['header name with a space', { headers: [{ source: '**', headers: [{ key: 'X A', value: 'a' }] }] }, 'headers[0].headers[0]'],
    ['a connection header', { headers: [{ source: '**', headers: [{ key: 'Connection', value: 'close' }] }] }, 'headers[0].headers[0]'],
    ['header value as a number', { headers: [{ source: '**', headers: [{ key: 'X-A', value: 1 }] }] }, 'headers[0].headers[0].value'],
    ['header rule with a bad pattern', { headers: [{ source: '/@(x)', headers: [] }] }, 'headers[0].source'],
    ['header rule with an unknown key', { headers: [{ source: '**', headers: [], when: 'always' }] }, 'headers[0].when'],
    [
      'header with an unknown key',
      { headers: [{ source: '**', headers: [{ key: 'X-A', value: 'a', name: 'b' }] }] },
      'headers[0].headers[0].name',
    ],
  ])('%s', (_name, raw, key) => {
    expect(configError(raw)).toContain(`"${key}"`);
  });

  it.each([null, [], 'listing', 42, true])('a non-object (%j) is refused', (raw) => {
    expect(configError(raw)).toMatch(/JSON object/);
  });
});

describe('loadConfig', () => {
  afterEach(removeTemps);

  it('without a config file: no path, empty config', () => {
    expect(loadConfig(tempDir())).toEqual({ path: undefined, config: {} });
  });

  it('reads tiny-serve.json', () => {
    const root = tempDir();
    const path = writeJson(join(root, 'tiny-serve.json'), { listing: false });
    expect(loadConfig(root)).toEqual({ path, config: { listing: false } });
  });

  it('reads serve.json when there is no tiny-serve.json (directoryListing → listing)', () => {
    const root = tempDir();
    const path = writeJson(join(root, 'serve.json'), { directoryListing: false, cleanUrls: true });
    expect(loadConfig(root)).toEqual({ path, config: { listing: false, cleanUrls: true } });
  });

  it('prefers tiny-serve.json over serve.json', () => {
    const root = tempDir();
    const path = writeJson(join(root, 'tiny-serve.json'), { etag: false });
    writeJson(join(root, 'serve.json'), { cors: true });
    expect(loadConfig(root)).toEqual({ path, config: { etag: false } });
  });

  it('skips a directory named tiny-serve.json', () => {
    const root = tempDir();
    mkdirSync(join(root, 'tiny-serve.json'));
    const path = writeJson(join(root, 'serve.json'), { cors: true });
    expect(loadConfig(root)).toEqual({ path, config: { cors: true } });
  });

  it('an explicit path wins over the files in the root', () => {
    const root = tempDir();
    writeJson(join(root, 'tiny-serve.json'), { etag: false });
    const path = writeJson(join(tempDir(), 'other.json'), { quiet: true });
    expect(loadConfig(root, path)).toEqual({ path, config: { quiet: true } });
  });

  it('an explicit relative path is resolved against the working directory', () => {
    const path = writeJson(join(tempDir(), 'relative.json'), { cors: true });
    expect(loadConfig(tempDir(), relative(process.cwd(), path))).toEqual({ path, config: { cors: true } });
  });

  it.each([
    ['missing', (dir: string) => join(dir, 'nope.json')],
    ['a directory', (dir: string) => dir],
  ])('an explicit path that is %s is an error naming it', (_name, pathIn) => {
    const path = pathIn(tempDir());
    expect(() => loadConfig(tempDir(), path)).toThrow(UserError);
    expect(() => loadConfig(tempDir(), path)).toThrow(path);
  });

  it.each([
    ['a trailing comma', '{ "listing": false, }'],
    ['an empty file', ''],
    ['comments', '// config\n{ "listing": false }'],
  ])('invalid JSON (%s) is an error naming the file', (_name, content) => {
    const root = tempDir();
    const path = join(root, 'tiny-serve.json');
    writeFileSync(path, content);
    expect(() => loadConfig(root)).toThrow(UserError);
    expect(() => loadConfig(root)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON`));
  });

  it.each([
    ['an unknown key', { nope: 1 }, 'unknown key "nope"'],
    ['a wrong type', { cache: 'forever' }, '"cache" must be'],
    ['"ssl" that is not a boolean', { ssl: 'yes' }, '"ssl" must be true or false'],
    ['a non-object', [1, 2], 'JSON object'],
  ])('a file with %s is an error naming the file and the key', (_name, content, message) => {
    const root = tempDir();
    const path = writeJson(join(root, 'serve.json'), content);
    let thrown: unknown;
    try {
      loadConfig(root);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as Error).message).toContain(`${path}: `);
    expect((thrown as Error).message).toContain(message);
  });
});

describe('the CLI with a config file', () => {
  afterEach(async () => {
    await stopAll();
    removeTemps();
  });

  /** A writable copy of the fixture site, removed after the test. */
  function siteCopy(): string {
    const copy = copySite();
    temps.push(copy.root);
    return copy.root;
  }

  /** A copy without the root index.html, so `/` is a listing. */
  function listedSiteCopy(): string {
    const root = siteCopy();
    rmSync(join(root, 'index.html'));
    return root;
  }

  /** Starts the built CLI on 127.0.0.1, any port; returns the port and the process. */
  async function serve(args: string[]) {
    const cli = startCli([...args, '-p', '0', '--host', '127.0.0.1']);
    return { cli, port: await cli.port() };
  }

  async function listedNames(port: number, path: string): Promise<string[]> {
    const res = await rawRequest(port, `${path}?format=json`);
    expect(res.status).toBe(200);
    return (JSON.parse(res.body.toString('utf8')) as { entries: { name: string }[] }).entries.map((entry) => entry.name);
  }

  it.each([
    ['tiny-serve.json listing: false', 'tiny-serve.json', { listing: false }, [], 404],
    ['tiny-serve.json listing: false, --listing', 'tiny-serve.json', { listing: false }, ['--listing'], 200],
    ['tiny-serve.json listing: true, --no-listing', 'tiny-serve.json', { listing: true }, ['--no-listing'], 404],
    ['tiny-serve.json listing: true', 'tiny-serve.json', { listing: true }, [], 200],
    ['serve.json directoryListing: false', 'serve.json', { directoryListing: false }, [], 404],
    ['serve.json listing: false, --listing', 'serve.json', { listing: false }, ['--listing'], 200],
  ])('%s → GET /no-index/ %i', async (_name, fileName, config, flags, status) => {
    const root = siteCopy();
    writeJson(join(root, fileName), config);
    const { cli, port } = await serve([root, ...flags]);

    expect((await rawRequest(port, '/no-index/')).status).toBe(status);
    expect((await rawRequest(port, '/hello.txt')).status).toBe(200);
    expect(cli.stdout).toContain(`config ${relative(REPO, join(root, fileName))}`);
    expect(cli.stderr).toBe('');
  });

  it('reads tiny-serve.json, not serve.json, when both exist', async () => {
    const root = siteCopy();
    writeJson(join(root, 'tiny-serve.json'), { listing: true });
    writeJson(join(root, 'serve.json'), { listing: false });
    const { cli, port } = await serve([root]);

    expect((await rawRequest(port, '/no-index/')).status).toBe(200);
    expect(cli.stdout).toContain(`config ${relative(REPO, join(root, 'tiny-serve.json'))}`);
    expect(cli.stdout).not.toContain(`config ${relative(REPO, join(root, 'serve.json'))}`);
  });

  it('without a config file the banner mentions none', async () => {
    const { cli, port } = await serve([SITE]);
    expect((await rawRequest(port, '/no-index/')).status).toBe(200);
    expect(cli.stdout).not.toMatch(/config /);
  });

  it('--config <file outside the root> is used instead of the root files', async () => {
    const root = siteCopy();
    writeJson(join(root, 'tiny-serve.json'), { listing: true });
    const other = writeJson(join(tempDir(), 'other.json'), { listing: false });
    const { cli, port } = await serve([root, '--config', other]);

    expect((await rawRequest(port, '/no-index/')).status).toBe(404);
    expect(cli.stdout).toContain(`config ${relative(REPO, other)}`);
  });

  it('--config <file inside the root> is used, never served and never listed', async () => {
    const root = siteCopy();
    const other = writeJson(join(root, 'other.json'), { listing: false });
    writeJson(join(root, 'nested', 'local.json'), { listing: false });
    const { port } = await serve([root, '--config', relative(REPO, other)]);

    expect((await rawRequest(port, '/no-index/')).status).toBe(404);
    expect((await rawRequest(port, '/other.json')).status).toBe(404);
    expect((await rawRequest(port, '/other.json', { method: 'HEAD' })).status).toBe(404);
    // Other JSON files are ordinary files.
    expect((await rawRequest(port, '/nested/local.json')).status).toBe(200);
  });

  it('--config listing: true keeps the config itself out of the root listing', async () => {
    const root = listedSiteCopy();
    const other = writeJson(join(root, 'site-config.json'), { listing: true });
    const { port } = await serve([root, '--config', other]);

    const names = await listedNames(port, '/');
    expect(names).toContain('hello.txt');
    expect(names).not.toContain('site-config.json');
    expect((await rawRequest(port, '/site-config.json')).status).toBe(404);
  });

  // The config may hold `auth`: reached through a symlinked path, it must stay as private.
  it('--config through a symlinked root path is still never served', async () => {
    const base = tempDir();
    const root = listedSiteCopy();
    const link = join(base, 'link');
    symlinkSync(root, link);
    writeJson(join(root, 'private.json'), { listing: true, auth: 'user:secret' });
    const { port } = await serve([link, '--config', join(link, 'private.json')]);

    const credentials = { Authorization: `Basic ${Buffer.from('user:secret').toString('base64')}` };
    const res = await rawRequest(port, '/private.json', { headers: credentials });
    expect(res.status).toBe(404);
    expect(res.body.toString('utf8')).not.toContain('secret');
    const listing = await rawRequest(port, '/?format=json', { headers: credentials });
    expect(listing.status).toBe(200);
    expect(listing.body.toString('utf8')).not.toContain('private.json');
  });

  it('the config files are never served and never listed', async () => {
    const root = listedSiteCopy();
    writeJson(join(root, 'tiny-serve.json'), { listing: true });
    writeJson(join(root, 'serve.json'), { listing: false });
    const { port } = await serve([root]);

    for (const path of ['/tiny-serve.json', '/serve.json', '/tiny-serve.json?x=1', '/%74iny-serve.json']) {
      const res = await rawRequest(port, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString('utf8'), path).not.toContain('"listing"');
    }
    const names = await listedNames(port, '/');
    expect(names).toContain('hello.txt');
    expect(names).not.toContain('tiny-serve.json');
    expect(names).not.toContain('serve.json');
  });

  it('applies rules from the file: redirects, rewrites, cleanUrls', async () => {
    const root = siteCopy();
    writeJson(join(root, 'tiny-serve.json'), {
      cleanUrls: true,
      redirects: [{ source: '/old/:id', destination: '/new/:id', type: 302 }],
      rewrites: [{ source: '/blog/:slug', destination: '/nested/:slug.html' }],
      headers: [{ source: '**/*.txt', headers: [{ key: 'X-From-Config', value: 'yes' }] }],
    });
    const { port } = await serve([root]);

    const redirect = await rawRequest(port, '/old/a%20b?q=1');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/new/a%20b?q=1');
    const rewritten = await rawRequest(port, '/blog/page');
    expect(rewritten.status).toBe(200);
    expect(rewritten.body.toString('utf8')).toContain('nested page');
    expect((await rawRequest(port, '/nested/page')).status).toBe(200);
    expect((await rawRequest(port, '/hello.txt')).headers['x-from-config']).toBe('yes');
  });

  describe('errors: exit 1 with one stderr line naming the file and the key', () => {
    it.each([
      ['an unknown key', 'tiny-serve.json', '{ "listing": false, "colour": "red" }', 'colour'],
      ['a wrong type', 'tiny-serve.json', '{ "listing": "no" }', 'listing'],
      ['a wrong nested type', 'tiny-serve.json', '{ "rewrites": [{ "source": "/a", "destination": 5 }] }', 'rewrites[0].destination'],
      ['a bad pattern', 'tiny-serve.json', '{ "redirects": [{ "source": "/@(a)", "destination": "/b" }] }', 'redirects[0].source'],
      ['a bad redirect type', 'tiny-serve.json', '{ "redirects": [{ "source": "/a", "destination": "/b", "type": 303 }] }', 'redirects[0].type'],
      ['an unknown key in serve.json', 'serve.json', '{ "publik": "dist" }', 'publik'],
      ['invalid JSON', 'tiny-serve.json', '{ "listing": false, }', 'invalid JSON'],
      ['an unknown key "__proto__"', 'tiny-serve.json', '{ "__proto__": { "listing": false } }', '__proto__'],
      ['a malformed auth value', 'tiny-serve.json', '{ "auth": "no-colon" }', 'auth'],
    ])('%s', async (_name, fileName, content, key) => {
      const root = siteCopy();
      const path = join(root, fileName);
      writeFileSync(path, content);
      const result = await runCli([root, '-p', '0']);

      expect(result.code).toBe(1);
      const lines = linesOf(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tiny-serve: /);
      expect(lines[0]).toContain(path);
      expect(lines[0]).toContain(key);
      expect(result.stdout).toBe('');
    });

    it.each([
      ['an unknown key', '{ "spa": true }', 'spa'],
      ['invalid JSON', '{ listing: false }', 'invalid JSON'],
    ])('--config file with %s', async (_name, content, key) => {
      const path = join(tempDir(), 'custom.json');
      writeFileSync(path, content);
      const result = await runCli([siteCopy(), '-p', '0', '--config', path]);

      expect(result.code).toBe(1);
      const lines = linesOf(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(path);
      expect(lines[0]).toContain(key);
    });

    it('a missing --config file', async () => {
      const path = join(tempDir(), 'missing.json');
      const result = await runCli([SITE, '-p', '0', '--config', path]);

      expect(result.code).toBe(1);
      const lines = linesOf(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tiny-serve: /);
      expect(lines[0]).toContain(path);
      expect(result.stdout).toBe('');
    });
  });
});
