// Cross-origin isolation (`crossOriginIsolated`, `--cross-origin-isolated`): COOP, COEP and CORP on
// every kind of response over HTTP/1.1 and HTTP/2, what --cors, --header and header rules make of
// them, proxied answers (COOP and COEP unless the backend sent its own), the config key and the flag.
// The browser's own verdict is in isolation-browser.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as h2Connect, type ClientHttp2Session } from 'node:http2';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_PATH, WORKER_PATH } from '../src/features/live-reload.js';
import { createHandler } from '../src/handler/handler.js';
import { serve, type ServeHandle, type ServeOptions } from '../src/server/serve.js';
import type { HandlerOptions } from '../src/types.js';
import { SITE, collect, copySite, makeCertificates, rawRequest, startServer, type Certificates, type RawResponse, type TestServer } from './helpers.js';
import { httpGet, startCli, stopAll } from './cli-helpers.js';
import { cleanupsPerTest, startBackend, startEcho } from './proxy-backends.js';

const COOP = 'cross-origin-opener-policy';
const COEP = 'cross-origin-embedder-policy';
const CORP = 'cross-origin-resource-policy';
const ISOLATED = { [COOP]: 'same-origin', [COEP]: 'require-corp', [CORP]: 'same-origin' };
const ORIGIN = 'http://elsewhere.example';

const { cleanups, backend } = cleanupsPerTest();

/** The three headers as a response carries them (undefined where absent). */
function isolationOf(headers: RawResponse['headers']): Record<string, unknown> {
  return { [COOP]: headers[COOP], [COEP]: headers[COEP], [CORP]: headers[CORP] };
}

/** Every value sent for `name` in a GET of `path`, from the raw header list: a header set twice shows twice. */
function rawValuesOf(port: number, path: string, name: string): Promise<string[]> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const values: string[] = [];
      for (let index = 0; index < res.rawHeaders.length; index += 2) {
        if (res.rawHeaders[index]!.toLowerCase() === name) values.push(res.rawHeaders[index + 1]!);
      }
      collect(res).then(() => done(values), fail);
    });
    req.on('error', fail);
    req.end();
  });
}

async function served(options: Partial<HandlerOptions>): Promise<TestServer> {
  const server = await startServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** One request for each kind of response the server makes, with the status it must get. */
type Kind = [name: string, status: number, path: string, headers?: Record<string, string>, method?: string];
const KINDS: Kind[] = [
  ['a file', 200, '/hello.txt'],
  ['a range', 206, '/hello.txt', { Range: 'bytes=0-4' }],
  ['a compressed file', 200, '/assets/lorem.txt', { 'Accept-Encoding': 'br' }],
  ['a listing', 200, '/no-index/'],
  ['a JSON listing', 200, '/no-index/', { Accept: 'application/json' }],
  ["the site's 404.html", 404, '/missing.txt'],
  ['a directory redirect', 301, '/nested'],
  ['405', 405, '/hello.txt', {}, 'DELETE'],
  ['OPTIONS', 204, '/hello.txt', {}, 'OPTIONS'],
  ['416', 416, '/hello.txt', { Range: 'bytes=999-' }],
  ['412', 412, '/hello.txt', { 'If-Match': '"other"' }],
  ['400 (a malformed path)', 400, '/%E0%A4%A'],
];

describe('crossOriginIsolated: true', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ crossOriginIsolated: true });
  });
  afterAll(async () => {
    await site.close();
  });

  it.each(KINDS)('%s carries COOP, COEP and CORP, once each', async (_name, status, path, headers = {}, method = 'GET') => {
    const res = await rawRequest(site.port, path, { method, headers });

    expect(res.status).toBe(status);
    expect(isolationOf(res.headers)).toEqual(ISOLATED);
  });

  it('a 304 carries them too', async () => {
    const { headers } = await rawRequest(site.port, '/hello.txt');
    const res = await rawRequest(site.port, '/hello.txt', { headers: { 'If-None-Match': headers.etag! } });

    expect(res.status).toBe(304);
    expect(isolationOf(res.headers)).toEqual(ISOLATED);
  });

  it('a listing keeps its own Content-Security-Policy beside them', async () => {
    const res = await rawRequest(site.port, '/no-index/');

    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.body.toString()).toContain('file.txt');
  });
});

describe('crossOriginIsolated with other options', () => {
  it('without it, no response carries any of them', async () => {
    const site = await served({});
    for (const [, status, path, headers = {}, method = 'GET'] of KINDS) {
      const res = await rawRequest(site.port, path, { method, headers });
      expect(res.status).toBe(status);
      expect(isolationOf(res.headers)).toEqual({ [COOP]: undefined, [COEP]: undefined, [CORP]: undefined });
    }
  });

  it('with cors, CORP lets any origin embed the files, and a preflight is isolated too', async () => {
    const site = await served({ crossOriginIsolated: true, cors: true });
    const file = await rawRequest(site.port, '/hello.txt', { headers: { Origin: ORIGIN } });
    const preflight = await rawRequest(site.port, '/hello.txt', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });

    expect(file.headers['access-control-allow-origin']).toBe('*');
    expect(isolationOf(file.headers)).toEqual({ ...ISOLATED, [CORP]: 'cross-origin' });
    expect(preflight.status).toBe(204);
    expect(isolationOf(preflight.headers)).toEqual({ ...ISOLATED, [CORP]: 'cross-origin' });
  });

  it('a 401 from auth is isolated', async () => {
    const site = await served({ crossOriginIsolated: true, auth: 'user:secret' });
    const res = await rawRequest(site.port, '/hello.txt');

    expect(res.status).toBe(401);
    expect(isolationOf(res.headers)).toEqual(ISOLATED);
  });

  it('live reload’s client and shared worker scripts are isolated, same-origin', async () => {
    const server = await served({ crossOriginIsolated: true, watch: true });
    for (const path of [CLIENT_PATH, WORKER_PATH]) {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(200);
      expect(isolationOf(res.headers)).toEqual(ISOLATED);
    }
  });

  it('as middleware, the app’s own answers after next() carry them too', async () => {
    const files = createHandler({ root: SITE, crossOriginIsolated: true });
    const app = createServer((req, res) => files(req, res, () => res.end('from the app')));
    await new Promise<void>((done) => app.listen(0, '127.0.0.1', done));
    cleanups.push(() => {
      files.close();
      app.closeAllConnections();
      return new Promise<void>((done) => app.close(() => done()));
    });
    const res = await rawRequest((app.address() as AddressInfo).port, '/not-a-file');

    expect(res.body.toString()).toBe('from the app');
    expect(isolationOf(res.headers)).toEqual(ISOLATED);
  });

  it('--header replaces one of them: sent once, with its value', async () => {
    const site = await served({ crossOriginIsolated: true, header: ['Cross-Origin-Embedder-Policy: credentialless'] });

    expect(await rawValuesOf(site.port, '/hello.txt', COEP)).toEqual(['credentialless']);
    expect(await rawValuesOf(site.port, '/hello.txt', COOP)).toEqual(['same-origin']);
  });

  it('a header rule changes or removes them for its paths only', async () => {
    const site = await served({
      crossOriginIsolated: true,
      headers: [
        { source: '/nested/**', headers: [{ key: 'Cross-Origin-Opener-Policy', value: null }] },
        { source: '/assets/**', headers: [{ key: 'Cross-Origin-Resource-Policy', value: 'cross-origin' }] },
      ],
    });
    const nested = await rawRequest(site.port, '/nested/page.html');
    const asset = await rawRequest(site.port, '/assets/lorem.txt');
    const other = await rawRequest(site.port, '/hello.txt');

    expect(isolationOf(nested.headers)).toEqual({ ...ISOLATED, [COOP]: undefined });
    expect(isolationOf(asset.headers)).toEqual({ ...ISOLATED, [CORP]: 'cross-origin' });
    expect(isolationOf(other.headers)).toEqual(ISOLATED);
  });
});

describe('proxied answers under crossOriginIsolated', () => {
  async function serveProxy(options: Partial<ServeOptions>): Promise<ServeHandle> {
    const handle = await serve({ root: SITE, host: '127.0.0.1', port: 0, ...options });
    cleanups.push(() => handle.close());
    return handle;
  }

  it('get COOP and COEP, never CORP, on a prefix and on the fallback', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ crossOriginIsolated: true, proxy: [{ prefix: '/api', target: echo.url }, { target: echo.url }] });
    const prefixed = await rawRequest(site.port, '/api/users');
    const fallback = await rawRequest(site.port, '/not/a/file');

    for (const res of [prefixed, fallback]) {
      expect(res.status).toBe(200);
      expect(isolationOf(res.headers)).toEqual({ [COOP]: 'same-origin', [COEP]: 'require-corp', [CORP]: undefined });
    }
    expect(echo.seen).toHaveLength(2);
  });

  it('keep the backend’s own COOP, COEP and CORP as it sent them', async () => {
    const own = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', [COEP]: 'credentialless', [COOP]: 'same-origin-allow-popups', [CORP]: 'cross-origin' });
        res.end('backend');
      }),
    );
    const site = await serveProxy({ crossOriginIsolated: true, proxy: [{ prefix: '/api', target: own.url }] });
    const res = await rawRequest(site.port, '/api');

    expect(isolationOf(res.headers)).toEqual({ [COOP]: 'same-origin-allow-popups', [COEP]: 'credentialless', [CORP]: 'cross-origin' });
  });

  it('get --header’s values for COOP and COEP', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({
      crossOriginIsolated: true,
      header: ['Cross-Origin-Embedder-Policy: credentialless'],
      proxy: [{ prefix: '/api', target: echo.url }],
    });
    const res = await rawRequest(site.port, '/api');

    expect(isolationOf(res.headers)).toEqual({ [COOP]: 'same-origin', [COEP]: 'credentialless', [CORP]: undefined });
  });

  it('without it, go back as the backend sent them', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const res = await rawRequest(site.port, '/api');

    expect(isolationOf(res.headers)).toEqual({ [COOP]: undefined, [COEP]: undefined, [CORP]: undefined });
  });
});

describe('over HTTP/2', () => {
  let certs: Certificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.cleanup());

  function h2Headers(session: ClientHttp2Session, path: string): Promise<Record<string, unknown>> {
    return new Promise((done, fail) => {
      const stream = session.request({ ':path': path });
      stream.once('error', fail);
      stream.once('response', (headers) => {
        stream.resume();
        stream.once('end', () => done(headers));
      });
      stream.end();
    });
  }

  it('a file, a listing and a 404 carry the same three headers as over HTTP/1.1', async () => {
    const handle = await serve({ root: SITE, host: '127.0.0.1', port: 0, sslCert: certs.cert, sslKey: certs.key, crossOriginIsolated: true });
    cleanups.push(() => handle.close());
    const session = h2Connect(handle.url, { ca: readFileSync(certs.cert) });
    cleanups.push(() => void session.destroy());

    for (const [path, status] of [['/hello.txt', 200], ['/no-index/', 200], ['/missing.txt', 404]] as const) {
      const headers = await h2Headers(session, path);
      expect(headers[':status']).toBe(status);
      expect(isolationOf(headers as RawResponse['headers'])).toEqual(ISOLATED);
    }
    expect(session.alpnProtocol).toBe('h2');
  });
});

describe('CLI (built bundle)', () => {
  afterEach(async () => {
    await stopAll();
  });

  it('--cross-origin-isolated sends the headers and says so in the banner', async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--cross-origin-isolated']);
    const res = await httpGet('127.0.0.1', await cli.port(), '/hello.txt');

    expect(res.status).toBe(200);
    expect(isolationOf(res.headers)).toEqual(ISOLATED);
    expect(cli.stdout).toContain('cross-origin isolated');
  });

  it('reads crossOriginIsolated from the config file, and --no-cross-origin-isolated turns it off', async () => {
    const site = copySite();
    cleanups.push(site.cleanup);
    writeFileSync(join(site.root, 'tiny-serve.json'), JSON.stringify({ crossOriginIsolated: true }));
    const on = startCli([site.root, '-p', '0', '-H', '127.0.0.1']);
    const off = startCli([site.root, '-p', '0', '-H', '127.0.0.1', '--no-cross-origin-isolated']);

    expect(isolationOf((await httpGet('127.0.0.1', await on.port(), '/hello.txt')).headers)).toEqual(ISOLATED);
    expect(isolationOf((await httpGet('127.0.0.1', await off.port(), '/hello.txt')).headers)).toEqual({ [COOP]: undefined, [COEP]: undefined, [CORP]: undefined });
  });
});
