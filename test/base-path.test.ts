// The base path (`--base /repo/`, config `base`, the `base` option): the site under a sub-path, the
// redirects into it, 404 outside it (traversal included), and every feature under it: directory and
// clean-URL redirects, listings, the SPA fallback, 404.html, config rules, live reload, HTTPS, serve()'s
// URLs, the middleware's next(), and the CLI (flag spellings, config key, banner, --open, errors).
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as h2Connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBase } from '../src/handler/base-path.js';
import { createHandler } from '../src/handler/handler.js';
import { serve, type ServeHandle } from '../src/server/serve.js';
import { settingsFrom } from '../src/cli/settings.js';
import { validateConfig } from '../src/cli/config.js';
import { UserError } from '../src/errors.js';
import type { HandlerOptions } from '../src/types.js';
import {
  SITE,
  collect,
  copySite,
  makeCertificates,
  rawRequest,
  startServer,
  useServedCopy,
  waitFor,
  type Certificates,
  type RawResponse,
  type TestServer,
} from './helpers.js';
import { httpGet, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

const read = (path: string): string => readFileSync(join(SITE, path), 'utf8');
const ROOT_INDEX = read('index.html');
const NESTED_INDEX = read('nested/index.html');
const NESTED_PAGE = read('nested/page.html');
const HELLO = read('hello.txt');
const CUSTOM_404 = read('404.html');
/** The built-in 404 page's title: what a path outside the base gets, never the site's 404.html. */
const BUILT_IN_404 = '<title>404 Not Found</title>';
const STACK_LINE = /^\s+at /m;

const text = (res: RawResponse): string => res.body.toString('utf8');

/** A server on the fixture site for the enclosing describe block, closed after it. */
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

/** Every href of an HTML page, unescaped. */
function hrefsOf(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map(([, href]) => href!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'"));
}

describe('parseBase', () => {
  it.each([
    ['repo', '/repo/'],
    ['/repo', '/repo/'],
    ['/repo/', '/repo/'],
    ['repo/', '/repo/'],
    ['/a/b', '/a/b/'],
    ['/my%20repo/', '/my repo/'],
    ['/my repo', '/my repo/'],
    ['/café/', '/café/'],
    ['/', '/'],
    ['', '/'],
  ])('%j → %j', (raw, normalised) => {
    expect(parseBase(raw)).toBe(normalised);
    // Normalising again changes nothing: the CLI's value goes through the handler's check too.
    expect(parseBase(parseBase(raw))).toBe(normalised);
  });

  it.each([
    ['/a?b', 'it contains "?"'],
    ['/a#b', 'it contains "#"'],
    ['/a/../b', 'it has a "." or ".." segment'],
    ['..', 'it has a "." or ".." segment'],
    ['./repo', 'it has a "." or ".." segment'],
    ['/a/%2e%2e/', 'it has a "." or ".." segment'],
    ['/a//b/', 'it has an empty segment ("//")'],
    ['//repo', 'it has an empty segment ("//")'],
    ['a\\b', 'it contains a backslash'],
    ['/a%5cb', 'it contains a backslash'],
    ['/a\nb', 'it contains a control character'],
    ['/a%00b', 'it contains a control character'],
    ['/a%E0%A4%A', 'malformed percent-encoding'],
    ['/100%25/', 'it contains "%"'],
    ['https://example.com/repo/', 'it is a URL; give only its path'],
  ])('%j is refused: %s', (raw, problem) => {
    let thrown: unknown;
    try {
      parseBase(raw, '--base');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as Error).message).toBe(`invalid --base ${JSON.stringify(raw)}: ${problem}; use a path such as /my-repo/`);
  });

  it('createHandler refuses a bad base with the same one line', () => {
    expect(() => createHandler({ root: SITE, base: '/a?b' })).toThrow(new UserError('invalid base "/a?b": it contains "?"; use a path such as /my-repo/'));
  });
});

describe('under a base', () => {
  const site = serverWith({ base: '/repo/' });

  it.each([
    ['/repo', 301, '/repo/'],
    ['/repo?x=1&y', 301, '/repo/?x=1&y'],
    ['/', 302, '/repo/'],
    ['/?utm=a', 302, '/repo/?utm=a'],
  ])('GET %s → %i %s', async (target, status, location) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });

  it.each([
    ['/repo/', ROOT_INDEX],
    ['/repo/index.html', ROOT_INDEX],
    ['/repo/hello.txt', HELLO],
    ['/repo/nested/', NESTED_INDEX],
    ['/repo/nested/page.html', NESTED_PAGE],
    ['/%72epo/hello.txt', HELLO], // the same path, percent-encoded
  ])('GET %s serves the file', async (target, body) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(200);
    expect(text(res)).toBe(body);
  });

  it.each([
    '/hello.txt',
    '/index.html',
    '/nested/',
    '/404.html',
    '/repox/hello.txt',
    '/repox',
    '/rep',
    '/Repo/hello.txt',
    '/__tiny-serve/client.js',
    '/other/repo/hello.txt',
  ])('GET %s (outside the base) → the built-in 404', async (target) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(404);
    expect(text(res)).toContain(BUILT_IN_404);
    expect(res.headers.location).toBeUndefined();
  });

  it('HEAD outside the base → 404 without a body', async () => {
    const res = await rawRequest(site().port, '/hello.txt', { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(res.body.length).toBe(0);
  });

  it.each([
    ['/repo/../secret', 400],
    ['/repo/../hello.txt', 400],
    ['/repo/%2e%2e/hello.txt', 400],
    ['/repo/..%2fhello.txt', 400],
    ['/repo/%2E%2E%2Fhello.txt', 400],
    ['/repo/..', 400],
    ['/repox/../repo/hello.txt', 400],
    ['/repo\\hello.txt', 400],
    ['/repo%5chello.txt', 400],
    ['/repox/%2e%2e/repo/hello.txt', 400],
    ['/repo/.hidden/secret.txt', 404],
    ['/repo/.env', 404],
  ])('raw %s → %i', async (target, status) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(status);
    expect(text(res)).not.toContain(HELLO);
  });

  it('an absolute-form target is scoped like its path', async () => {
    expect((await rawRequest(site().port, `http://127.0.0.1:${site().port}/repo/hello.txt`)).status).toBe(200);
    expect((await rawRequest(site().port, `http://127.0.0.1:${site().port}/hello.txt`)).status).toBe(404);
  });

  it.each([
    ['/repo/nested', '/repo/nested/'],
    ['/repo/nested?a=1', '/repo/nested/?a=1'],
    ['/repo/snow%20%E2%98%83', '/repo/snow%20%E2%98%83/'],
  ])('a directory without its slash redirects under the base: %s → %s', async (target, location) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(location);
  });

  it('a missing path under the base → 404 with the site\'s 404.html', async () => {
    const res = await rawRequest(site().port, '/repo/missing');
    expect(res.status).toBe(404);
    expect(text(res)).toBe(CUSTOM_404);
  });

  it('repeated requests (answered from the answer cache) never mix the base and the root', async () => {
    for (let round = 0; round < 3; round += 1) {
      expect((await rawRequest(site().port, '/repo/hello.txt')).status).toBe(200);
      expect((await rawRequest(site().port, '/hello.txt')).status).toBe(404);
      expect(text(await rawRequest(site().port, '/repo/missing'))).toBe(CUSTOM_404);
      expect(text(await rawRequest(site().port, '/missing'))).toContain(BUILT_IN_404);
    }
  });
});

describe('a base of several segments, or with characters URLs encode', () => {
  const deep = serverWith({ base: '/a/b' });
  const spaced = serverWith({ base: '/my repo/' });

  it.each([
    ['/a/b', 301, '/a/b/'],
    ['/', 302, '/a/b/'],
    ['/a', 404, undefined],
    ['/a/', 404, undefined],
    ['/a/hello.txt', 404, undefined],
    ['/a/b/hello.txt', 200, undefined],
  ])('base /a/b/: GET %s → %i', async (target, status, location) => {
    const res = await rawRequest(deep().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });

  it.each([
    ['/my%20repo', 301, '/my%20repo/'],
    ['/', 302, '/my%20repo/'],
    ['/my%20repo/nested', 301, '/my%20repo/nested/'],
    ['/my%20repo/hello.txt', 200, undefined],
  ])('base "/my repo/": GET %s → %i', async (target, status, location) => {
    const res = await rawRequest(spaced().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });

  it('base "/my repo/": listing links are percent-encoded under it', async () => {
    const res = await rawRequest(spaced().port, '/my%20repo/no-index/');
    expect(res.status).toBe(200);
    expect(hrefsOf(text(res)).filter((href) => !href.startsWith('?'))).toEqual(['/my%20repo/', '/my%20repo/no-index/', '/my%20repo/', '/my%20repo/no-index/file.txt']);
  });

  it('a base of `/` is no base', async () => {
    const server = await startServer({ base: '/' });
    try {
      expect((await rawRequest(server.port, '/hello.txt')).status).toBe(200);
      expect(text(await rawRequest(server.port, '/'))).toBe(ROOT_INDEX);
    } finally {
      await server.close();
    }
  });
});

describe('listings under a base', () => {
  const site = serverWith({ base: '/repo/' });

  it.each(['/repo/no-index/', '/repo/assets/', '/repo/assets/?sort=size&order=asc'])('every link of %s stays under the base', async (target) => {
    const res = await rawRequest(site().port, target);
    expect(res.status).toBe(200);
    const page = text(res);
    expect(page).toContain(`<title>Index of ${target.split('?')[0]}</title>`);
    const hrefs = hrefsOf(page);
    const paths = hrefs.filter((href) => !href.startsWith('?'));
    expect(paths.length).toBeGreaterThan(3);
    for (const href of paths) expect(href).toMatch(/^\/repo\//);
    // The breadcrumb starts at the base, and the parent of a top directory is the base.
    expect(page).toContain('<h1>Index of <a href="/repo/">/repo/</a>');
    expect(page).toContain('<a href="/repo/">../</a>');
  });

  it('every path in the JSON listing is under the base', async () => {
    const res = await rawRequest(site().port, '/repo/assets/?format=json');
    expect(res.status).toBe(200);
    const listing = JSON.parse(text(res)) as { path: string; entries: { url: string }[] };
    expect(listing.path).toBe('/repo/assets/');
    expect(listing.entries.length).toBeGreaterThan(3);
    for (const entry of listing.entries) expect(entry.url).toMatch(/^\/repo\/assets\/[^/]/);
  });

  it('the listing links lead to the files', async () => {
    const listing = JSON.parse(text(await rawRequest(site().port, '/repo/no-index/?format=json'))) as { entries: { url: string }[] };
    const res = await rawRequest(site().port, listing.entries[0]!.url);
    expect(res.status).toBe(200);
    expect(text(res)).toBe(read('no-index/file.txt'));
  });

  describe('at the base itself', () => {
    let root: ReturnType<typeof copySite> | undefined;
    let server: TestServer | undefined;
    beforeAll(async () => {
      root = copySite();
      unlinkSync(join(root.root, 'index.html'));
      server = await startServer({ root: root.root, base: '/repo/' });
    });
    afterAll(async () => {
      await server?.close();
      root?.cleanup();
    });

    it('has no parent link, and no link leaves the base', async () => {
      const res = await rawRequest(server!.port, '/repo/');
      expect(res.status).toBe(200);
      const page = text(res);
      expect(page).not.toContain('../</a>');
      const paths = hrefsOf(page).filter((href) => !href.startsWith('?'));
      expect(paths).toContain('/repo/hello.txt');
      expect(paths).toContain('/repo/nested/');
      for (const href of paths) expect(href).toMatch(/^\/repo\//);
      expect(JSON.parse(text(await rawRequest(server!.port, '/repo/?format=json'))).path).toBe('/repo/');
    });
  });
});

describe('--single under a base', () => {
  const site = serverWith({ base: '/repo/', single: true });

  it.each(['/repo/some/client/route', '/repo/dashboard'])('GET %s → the fallback', async (target) => {
    const res = await rawRequest(site().port, target, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(text(res)).toBe(ROOT_INDEX);
  });

  it.each(['/some/client/route', '/dashboard', '/repox/route'])('GET %s (outside) → 404, never the fallback', async (target) => {
    const res = await rawRequest(site().port, target, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(text(res)).not.toBe(ROOT_INDEX);
  });

  it('a missing asset under the base is still a 404', async () => {
    expect((await rawRequest(site().port, '/repo/missing/app.js', { headers: { Accept: '*/*' } })).status).toBe(404);
  });
});

describe('--clean-urls and the trailing-slash policy under a base', () => {
  const clean = serverWith({ base: '/repo/', cleanUrls: true });
  const noSlash = serverWith({ base: '/repo/', trailingSlash: false });

  it.each([
    ['/repo/nested/page.html', '/repo/nested/page'],
    ['/repo/nested/page.html?q=1', '/repo/nested/page?q=1'],
    ['/repo/nested/index.html', '/repo/nested/'],
    ['/repo/index.html', '/repo/'],
  ])('clean URLs: %s → 301 %s', async (target, location) => {
    const res = await rawRequest(clean().port, target);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(location);
  });

  it('clean URLs: /repo/nested/page serves page.html', async () => {
    const res = await rawRequest(clean().port, '/repo/nested/page');
    expect(res.status).toBe(200);
    expect(text(res)).toBe(NESTED_PAGE);
  });

  it.each([
    ['/repo/nested/', 301, '/repo/nested'],
    ['/repo', 301, '/repo/'],
    ['/repo/', 200, undefined],
    ['/repo/nested', 200, undefined],
  ])('trailingSlash false: %s → %i', async (target, status, location) => {
    const res = await rawRequest(noSlash().port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });
});

describe('config rules under a base (written relative to it)', () => {
  const site = serverWith({
    base: '/repo/',
    redirects: [
      { source: '/old/:slug', destination: '/nested/:slug' },
      { source: '/away', destination: 'https://example.com/elsewhere', type: 302 },
    ],
    rewrites: [{ source: '/app/**', destination: '/nested/page.html' }],
    headers: [
      { source: '/hello.txt', headers: [{ key: 'X-Rule', value: 'relative' }] },
      { source: '/repo/hello.txt', headers: [{ key: 'X-Written-With-Base', value: 'yes' }] },
    ],
  });

  it('a redirect matches the path inside the base, and a path destination gets the base', async () => {
    const res = await rawRequest(site().port, '/repo/old/page.html?x=1');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/repo/nested/page.html?x=1');
    const followed = await rawRequest(site().port, res.headers.location!);
    expect(text(followed)).toBe(NESTED_PAGE);
  });

  it('an http(s) destination stays as it is', async () => {
    const res = await rawRequest(site().port, '/repo/away');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://example.com/elsewhere');
  });

  it('a rule does not apply outside the base', async () => {
    expect((await rawRequest(site().port, '/old/page.html')).status).toBe(404);
    expect((await rawRequest(site().port, '/away')).status).toBe(404);
    expect((await rawRequest(site().port, '/app/x')).status).toBe(404);
  });

  it('a rewrite serves its destination under the base', async () => {
    const res = await rawRequest(site().port, '/repo/app/deep/route');
    expect(res.status).toBe(200);
    expect(text(res)).toBe(NESTED_PAGE);
  });

  it('header rules match the path inside the base', async () => {
    const inside = await rawRequest(site().port, '/repo/hello.txt');
    expect(inside.headers['x-rule']).toBe('relative');
    expect(inside.headers['x-written-with-base']).toBeUndefined();
    const outside = await rawRequest(site().port, '/hello.txt');
    expect(outside.status).toBe(404);
    expect(outside.headers['x-rule']).toBeUndefined();
  });
});

describe('as middleware (with next) under a base', () => {
  let server: ReturnType<typeof createServer> | undefined;
  let handler: ReturnType<typeof createHandler> | undefined;
  let port = 0;
  beforeAll(async () => {
    handler = createHandler({ root: SITE, base: '/repo/' });
    server = createServer((req, res) =>
      handler!(req, res, () => {
        res.writeHead(418, { 'Content-Type': 'text/plain' });
        res.end('the app\n');
      }),
    );
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    handler?.close();
    server?.closeAllConnections();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  });

  it.each([
    ['/', 418],
    ['/api/users', 418],
    ['/repox/hello.txt', 418],
    ['/repo/missing', 418],
    ['/repo/hello.txt', 200],
    ['/repo', 301],
  ])('GET %s → %i', async (target, status) => {
    expect((await rawRequest(port, target)).status).toBe(status);
  });
});

/** A client of an event stream: its raw text, read as it arrives. */
function openEvents(port: number, path: string): Promise<{ req: ClientRequest; res: IncomingMessage; raw: () => string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (raw += chunk));
      res.on('error', () => {});
      done({ req, res, raw: () => raw });
    });
    req.on('error', fail);
    req.end();
  });
}

describe('live reload under a base', () => {
  const live = useServedCopy({ base: '/repo/', watch: true });
  const TAG = '<script src="/repo/__tiny-serve/client.js"></script>';

  it('HTML gets the client script from under the base, with an exact length', async () => {
    const res = await rawRequest(live.server.port, '/repo/', { headers: { 'Accept-Encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(text(res)).toContain(TAG);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.body.length).toBe(Buffer.byteLength(ROOT_INDEX) + Buffer.byteLength(TAG));
  });

  it('the site\'s 404.html gets it too', async () => {
    const res = await rawRequest(live.server.port, '/repo/missing');
    expect(res.status).toBe(404);
    expect(text(res)).toContain(TAG);
  });

  it('the scripts are under the base and point under it; the root-level paths are 404', async () => {
    const client = await rawRequest(live.server.port, '/repo/__tiny-serve/client.js');
    expect(client.status).toBe(200);
    expect(text(client)).toContain('"/repo/__tiny-serve/events"');
    expect(text(client)).toContain('"/repo/__tiny-serve/shared-worker.js"');
    const worker = await rawRequest(live.server.port, '/repo/__tiny-serve/shared-worker.js');
    expect(worker.status).toBe(200);
    expect(text(worker)).toContain('"/repo/__tiny-serve/events"');
    for (const path of ['/__tiny-serve/client.js', '/__tiny-serve/shared-worker.js', '/__tiny-serve/events']) {
      expect((await rawRequest(live.server.port, path)).status).toBe(404);
    }
  });

  it('the event stream under the base announces a change', async () => {
    const stream = await openEvents(live.server.port, '/repo/__tiny-serve/events');
    try {
      expect(stream.res.statusCode).toBe(200);
      expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(await waitFor(() => stream.raw().includes('retry:'), 5_000)).toBe(true);
      writeFileSync(join(live.root, 'hello.txt'), 'changed\n');
      expect(await waitFor(() => stream.raw().includes('event: change'), 5_000)).toBe(true);
      expect(stream.raw()).toContain('"/hello.txt"');
    } finally {
      stream.req.destroy();
    }
  });
});

describe('serve() and HTTPS under a base', () => {
  let certs: Certificates;
  let ca: Buffer;
  const handles: ServeHandle[] = [];
  beforeAll(() => {
    certs = makeCertificates();
    ca = readFileSync(certs.cert);
  });
  afterAll(() => certs.cleanup());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
  });

  function httpsGet(url: string): Promise<RawResponse> {
    return new Promise((done, fail) => {
      const req = httpsRequest(url, { ca, agent: false }, (res) => void collect(res).then(done, fail));
      req.on('error', fail);
      req.end();
    });
  }

  it('url and urls are the site\'s: under the base (a socket\'s stay the socket\'s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-base-'));
    try {
      const handle = await serve({ root: SITE, host: '127.0.0.1', base: 'repo', listen: ['tcp://127.0.0.1:0', `unix:${join(dir, 's.sock')}`] });
      handles.push(handle);
      expect(handle.url).toBe(`http://127.0.0.1:${handle.port}/repo/`);
      expect(handle.urls).toEqual([`http://127.0.0.1:${handle.port}/repo/`, `unix:${join(dir, 's.sock')}`]);
      expect(text(await rawRequest(handle.port, new URL('hello.txt', handle.url).pathname))).toBe(HELLO);
    } finally {
      await Promise.all(handles.splice(0).map((handle) => handle.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over HTTPS: the URL has the base, files are served under it, / redirects to it', async () => {
    const handle = await serve({ root: SITE, host: '127.0.0.1', sslCert: certs.cert, sslKey: certs.key, base: '/repo/' });
    handles.push(handle);
    expect(handle.url).toBe(`https://127.0.0.1:${handle.port}/repo/`);
    const file = await httpsGet(`${handle.url}hello.txt`);
    expect(file.status).toBe(200);
    expect(text(file)).toBe(HELLO);
    const root = await httpsGet(`https://127.0.0.1:${handle.port}/`);
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/repo/');
    const directory = await httpsGet(`${handle.url}nested`);
    expect(directory.headers.location).toBe('/repo/nested/');
    expect((await httpsGet(`https://127.0.0.1:${handle.port}/hello.txt`)).status).toBe(404);
  });

  it('over HTTP/2: the same answers under the base', async () => {
    const handle = await serve({ root: SITE, host: '127.0.0.1', sslCert: certs.cert, sslKey: certs.key, base: '/repo/' });
    handles.push(handle);
    const session = h2Connect(`https://127.0.0.1:${handle.port}`, { ca });
    try {
      const ask = (path: string): Promise<{ status: number; location: unknown; body: string }> =>
        new Promise((done, fail) => {
          const stream = session.request({ ':path': path });
          let body = '';
          let head: Record<string, unknown> = {};
          stream.setEncoding('utf8');
          stream.on('response', (headers) => (head = headers));
          stream.on('data', (chunk: string) => (body += chunk));
          stream.on('end', () => done({ status: Number(head[':status']), location: head.location, body }));
          stream.on('error', fail);
          stream.end();
        });
      expect(await ask('/repo/hello.txt')).toEqual({ status: 200, location: undefined, body: HELLO });
      expect(await ask('/')).toMatchObject({ status: 302, location: '/repo/' });
      expect(await ask('/repo')).toMatchObject({ status: 301, location: '/repo/' });
      expect((await ask('/hello.txt')).status).toBe(404);
    } finally {
      session.destroy();
    }
  });
});

describe('CLI settings', () => {
  it.each(['repo', '/repo', '/repo/'])('--base %s → /repo/', (flag) => {
    expect(settingsFrom({ dir: '.', base: flag }, {}, { path: undefined, config: {} }).handlerOptions.base).toBe('/repo/');
  });

  it('the config key is normalised, and the flag wins over it', () => {
    const config = validateConfig({ base: 'from-file' });
    expect(config.base).toBe('/from-file/');
    const loaded = { path: '/srv/site/tiny-serve.json', config };
    expect(settingsFrom({ dir: '.' }, {}, loaded).handlerOptions.base).toBe('/from-file/');
    expect(settingsFrom({ dir: '.', base: '/flag/' }, {}, loaded).handlerOptions.base).toBe('/flag/');
  });

  it('a bad config value names the key', () => {
    expect(() => validateConfig({ base: '/a/../b' })).toThrow(new UserError('invalid "base" "/a/../b": it has a "." or ".." segment; use a path such as /my-repo/'));
    expect(() => validateConfig({ base: 3 })).toThrow(new UserError('"base" must be a string'));
  });
});

describe('the CLI', () => {
  afterEach(stopAll);

  it.each(['repo', '/repo', '/repo/'])('--base %s: the banner shows the URL with the base, and the site is under it', async (flag) => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--base', flag]);
    const port = await cli.port();
    expect(cli.stdout).toContain(`Local:    http://127.0.0.1:${port}/repo/\n`);
    expect((await httpGet('127.0.0.1', port, '/repo/hello.txt')).body.toString()).toBe(HELLO);
    const root = await httpGet('127.0.0.1', port, '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/repo/');
  });

  it('--base=/a/b and an exposed host: every banner URL has the base', async () => {
    const cli = startCli([SITE, '-p', '0', '--host', '0.0.0.0', '--base=/a/b']);
    await cli.port();
    const urls = linesOf(cli.stdout).filter((line) => /^\s+(Local|Network):\s+http/.test(line));
    expect(urls.length).toBeGreaterThan(0);
    for (const line of urls) expect(line).toMatch(/:\d+\/a\/b\/$/);
  });

  it('the config file\'s base, overridden by --base', async () => {
    const site = copySite();
    try {
      writeFileSync(join(site.root, 'tiny-serve.json'), JSON.stringify({ base: 'from-file', redirects: [{ source: '/old', destination: '/hello.txt' }] }));
      const fromFile = startCli([site.root, '-p', '0', '-H', '127.0.0.1']);
      const port = await fromFile.port();
      expect(fromFile.stdout).toContain(`http://127.0.0.1:${port}/from-file/\n`);
      const redirect = await httpGet('127.0.0.1', port, '/from-file/old');
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe('/from-file/hello.txt');

      const overridden = startCli([site.root, '-p', '0', '-H', '127.0.0.1', '--base', '/flag/']);
      const other = await overridden.port();
      expect(overridden.stdout).toContain(`http://127.0.0.1:${other}/flag/\n`);
      expect((await httpGet('127.0.0.1', other, '/flag/hello.txt')).status).toBe(200);
    } finally {
      await stopAll();
      site.cleanup();
    }
  });

  it.each([
    [['--base', '/a?b'], 'tiny-serve: invalid --base "/a?b": it contains "?"; use a path such as /my-repo/'],
    [['--base', '/a/../b'], 'tiny-serve: invalid --base "/a/../b": it has a "." or ".." segment; use a path such as /my-repo/'],
    [['--base', 'http://example.com/repo/'], 'tiny-serve: invalid --base "http://example.com/repo/": it is a URL; give only its path; use a path such as /my-repo/'],
    [['--base', '/a//b'], 'tiny-serve: invalid --base "/a//b": it has an empty segment ("//"); use a path such as /my-repo/'],
    [['--base'], 'tiny-serve: --base needs a value: a path such as /my-repo/'],
    [['--base', '/a/', '--base', '/b/'], 'tiny-serve: --base was given twice'],
  ])('%j exits 1 with one line', async (flags, line) => {
    const result = await runCli([SITE, '-p', '0', ...flags]);
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([line]);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('a bad base in the config file exits 1 with one line naming the file and key', async () => {
    const site = copySite();
    try {
      const config = join(site.root, 'tiny-serve.json');
      writeFileSync(config, JSON.stringify({ base: '/a#b' }));
      const result = await runCli([site.root, '-p', '0']);
      expect(result.code).toBe(1);
      expect(linesOf(result.stderr)).toEqual([`tiny-serve: ${config}: invalid "base" "/a#b": it contains "#"; use a path such as /my-repo/`]);
    } finally {
      site.cleanup();
    }
  });

  it('--help shows the flag', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--base +Serve the site under this path/);
    expect(result.stdout).toContain('tiny-serve dist --base /my-repo/');
  });

  it('leaves live reload\'s requests under the base out of the log, and logs the site\'s', async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--watch', '--base', '/repo/']);
    const port = await cli.port();
    expect((await httpGet('127.0.0.1', port, '/repo/__tiny-serve/client.js')).status).toBe(200);
    expect((await httpGet('127.0.0.1', port, '/repo/__tiny-serve/shared-worker.js')).status).toBe(200);
    expect((await httpGet('127.0.0.1', port, '/repo/hello.txt')).status).toBe(200);
    cli.child.kill('SIGTERM'); // every response has closed (and been logged, if at all) once it exits
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toMatch(/GET \/repo\/hello\.txt 200/);
    expect(cli.stdout).not.toContain('/__tiny-serve/');
  });
});

