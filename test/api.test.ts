// The programmatic API, used as a package user does: through `tiny-serve` (package.json `exports`,
// so the built dist/index.js and its dist/types declarations), never through src/.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { connect as connectHttp2, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createHandler,
  serve,
  type HandlerOptions,
  type HeaderRule,
  type Redirect,
  type RequestHandler,
  type Rewrite,
  type ServeHandle,
  type ServeOptions,
} from 'tiny-serve';
import { SITE, collect, makeCertificates, type RawResponse } from './helpers.js';
import { occupyPort } from './cli-helpers.js';

const REPO = resolve(import.meta.dirname, '..');

/** One request without keep-alive, so closing a server never waits on this client. */
function send(method: string, url: string): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const req = request(url, { method, agent: false }, (res) => collect(res).then(done, fail));
    req.on('error', fail);
    req.end();
  });
}

const get = (url: string): Promise<RawResponse> => send('GET', url);

/** Cleanups registered by each test, run after it even when it fails. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Listens on an ephemeral loopback port; closed after the test. */
async function listenOnLoopback(server: Server, handler: RequestHandler): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(
    () =>
      new Promise<void>((done) => {
        handler.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Starts `serve` and closes it after the test (close() is safe to call twice). */
async function started(options: ServeOptions): Promise<ServeHandle> {
  const handle = await serve(options);
  cleanups.push(() => handle.close());
  return handle;
}

describe('createHandler from the package entry', () => {
  it('is a plain node:http request listener', async () => {
    const handler = createHandler({ root: SITE });
    const base = await listenOnLoopback(createServer(handler), handler);

    const file = await get(`${base}/hello.txt`);
    expect(file.status).toBe(200);
    expect(file.body.toString()).toBe('hello, world\n');
    expect(file.headers['content-type']).toBe('text/plain; charset=utf-8');

    expect((await get(`${base}/missing.txt`)).status).toBe(404);
    expect((await send('POST', `${base}/hello.txt`)).status).toBe(405);
  });

  it('throws a clear error for a root that is not a directory', () => {
    expect(() => createHandler({ root: join(SITE, 'no-such-dir') })).toThrow(`directory not found: ${join(SITE, 'no-such-dir')}`);
    expect(() => createHandler({ root: join(SITE, 'hello.txt') })).toThrow(`not a directory: ${join(SITE, 'hello.txt')}`);
  });
});

describe('createHandler as middleware in an app with its own routes', () => {
  async function startApp(): Promise<string> {
    const handler = createHandler({ root: SITE });
    const app = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/api/status') {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"ok":true}');
        return;
      }
      handler(req, res, () => {
        res.setHeader('Content-Type', 'text/plain');
        res.end('app route');
      });
    });
    return listenOnLoopback(app, handler);
  }

  it('serves a file that exists', async () => {
    const base = await startApp();
    const res = await get(`${base}/hello.txt`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');
  });

  it('leaves the app its own routes', async () => {
    const base = await startApp();
    const res = await get(`${base}/api/status`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"ok":true}');
  });

  it('passes a missing path on to next(), every time (a remembered miss too)', async () => {
    const base = await startApp();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await get(`${base}/dashboard/settings`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('app route');
    }
  });

  it.each(['POST', 'PUT', 'DELETE'])('passes %s on to next(), even for a path that is a file', async (method) => {
    const base = await startApp();
    const res = await send(method, `${base}/hello.txt`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('app route');
  });
});

describe('serve()', () => {
  it('listens on a free port on localhost by default and returns url, port, server and close', async () => {
    const handle = await started({ root: SITE });
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://localhost:${handle.port}/`);
    expect((handle.server.address() as AddressInfo).port).toBe(handle.port);

    const res = await get(new URL('hello.txt', handle.url).href);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');
  });

  it('passes handler options through', async () => {
    const handle = await started({ root: SITE, host: '127.0.0.1', cors: true, listing: false });
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}/`);
    const file = await get(`${handle.url}hello.txt`);
    expect(file.headers['access-control-allow-origin']).toBe('*');
    expect((await get(`${handle.url}no-index/`)).status).toBe(404);
  });

  it('close() stops the server and frees the port', async () => {
    const handle = await started({ root: SITE, host: '127.0.0.1' });
    await handle.close();
    expect(handle.server.listening).toBe(false);
    await expect(get(`${handle.url}hello.txt`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The same port can be bound again at once.
    const again = await started({ root: SITE, host: '127.0.0.1', port: handle.port, strictPort: true });
    expect(again.port).toBe(handle.port);
    await handle.close(); // a second close is harmless
  });

  it('close() does not wait for a keep-alive connection to time out', async () => {
    const handle = await started({ root: SITE, host: '127.0.0.1' });
    const res = await fetch(`${handle.url}hello.txt`); // fetch keeps its connection alive
    expect(await res.text()).toBe('hello, world\n');
    const before = Date.now();
    await handle.close();
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it('moves to the next port when the port is busy, unless strictPort', async () => {
    const busy = await occupyPort('127.0.0.1');
    cleanups.push(() => busy.close());

    const moved = await started({ root: SITE, host: '127.0.0.1', port: busy.port });
    expect(moved.port).toBeGreaterThan(busy.port);
    expect(moved.port).toBeLessThan(busy.port + 20);

    await expect(serve({ root: SITE, host: '127.0.0.1', port: busy.port, strictPort: true })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('rejects with a clear message for a bad root, and for a bad port', async () => {
    const missing = join(SITE, 'no-such-dir');
    await expect(serve({ root: missing })).rejects.toThrow(`directory not found: ${missing}`);
    await expect(serve({ root: join(SITE, 'hello.txt') })).rejects.toThrow('not a directory');
    await expect(serve({ root: SITE, port: 70000 })).rejects.toThrow('`port` must be a whole number from 0 to 65535');
    await expect(serve({ root: SITE, cache: -1 })).rejects.toThrow('`cache` must be a whole number of seconds');
  });

  it('serves HTTPS with HTTP/2 on every listen endpoint, with urls and servers for each', async () => {
    const certificates = makeCertificates();
    cleanups.push(() => certificates.cleanup());
    const socket = join(certificates.dir, 'site.sock');
    const site = await started({ root: SITE, listen: ['tcp://127.0.0.1:0', `unix:${socket}`], sslCert: certificates.cert, sslKey: certificates.key });

    expect(site.urls).toEqual([`https://127.0.0.1:${site.port}/`, `unix:${socket}`]);
    expect(site.url).toBe(site.urls[0]);
    expect(site.servers).toHaveLength(2);
    expect(site.server.constructor.name).toBe('Http2SecureServer');
    const session = connectHttp2(site.url, { ca: readFileSync(certificates.cert) });
    cleanups.push(() => void session.close());
    const stream = session.request({ ':path': '/hello.txt' });
    const [headers, body] = await Promise.all([
      once(stream, 'response').then(([received]) => received as Record<string, unknown>),
      text(stream),
    ]);
    expect(headers[':status']).toBe(200);
    expect(body).toBe('hello, world\n');
    expect(session.alpnProtocol).toBe('h2');
  });

  it('rejects a bad certificate with the one-line reason', async () => {
    const missing = join(SITE, 'no-such-cert.pem');
    await expect(serve({ root: SITE, sslCert: missing })).rejects.toThrow(`cannot read --ssl-cert ${missing}: no such file`);
    await expect(serve({ root: SITE, sslKey: 'key.pem' })).rejects.toThrow('`sslKey` and `sslPass` need `sslCert`');
  });
});

describe('the package entry', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    exports: { '.': { types: string; default: string } };
  };

  it('points exports at the built bundle and its declarations', () => {
    const declarations = join(REPO, pkg.exports['.'].types);
    expect(existsSync(join(REPO, pkg.exports['.'].default))).toBe(true);
    expect(existsSync(declarations)).toBe(true);
    expect(readFileSync(declarations, 'utf8')).toMatch(/\bServeOptions\b/);
  });

  it('exports only createHandler and serve at run time', async () => {
    expect(Object.keys(await import('tiny-serve')).sort()).toEqual(['createHandler', 'serve']);
  });

  // Checked by `tsc --noEmit` (npm test) against dist/types, through package.json `exports`.
  it('exports the option and handle types', () => {
    expectTypeOf<ServeOptions>().toExtend<HandlerOptions>();
    expectTypeOf(serve).parameter(0).toEqualTypeOf<ServeOptions>();
    expectTypeOf(serve).returns.resolves.toEqualTypeOf<ServeHandle>();
    expectTypeOf<ServeHandle['url']>().toEqualTypeOf<string>();
    expectTypeOf<ServeHandle['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(createHandler).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf<RequestHandler>().parameter(2).toEqualTypeOf<((error?: unknown) => void) | undefined>();
    expectTypeOf<HandlerOptions['headers']>().toEqualTypeOf<HeaderRule[] | undefined>();
    expectTypeOf<HandlerOptions['rewrites']>().toEqualTypeOf<Rewrite[] | undefined>();
    expectTypeOf<HandlerOptions['redirects']>().toEqualTypeOf<Redirect[] | undefined>();
    expectTypeOf<ServeOptions['port']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ServeOptions['strictPort']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ServeOptions['listen']>().toEqualTypeOf<string | string[] | undefined>();
    expectTypeOf<ServeOptions['http2']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ServeHandle['urls']>().toEqualTypeOf<string[]>();
    // The handler also fits node:http2's compatibility API.
    expectTypeOf(createHandler).returns.toExtend<(req: Http2ServerRequest, res: Http2ServerResponse) => void>();
    // @ts-expect-error `root` is required
    const noRoot: ServeOptions = { port: 0 };
    // @ts-expect-error unknown options are type errors
    const typo: ServeOptions = { root: '.', cleanUrl: true };
    // Only the type checker looks at these two (a run-time assertion on them would hold whatever they were).
    void [noRoot, typo];
  });
});
