// The dev proxy against real backends started here: prefix matching and the fallback, paths and
// queries as sent, headers both ways (hop-by-hop, X-Forwarded-*, Host, Set-Cookie, Location),
// streaming (chunked, SSE, WebSocket), failures (502, 504, a backend dying mid-body, a client
// leaving), what can never be reached (absolute-form targets, dot segments), --auth, HTTP/2 clients.
import { describe, expect, it } from 'vitest';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { serve, type ServeHandle, type ServeOptions } from '../src/server/serve.js';
import { createHandler } from '../src/handler/handler.js';
import { SITE, collect, exchange, rawRequest, waitFor, type RawResponse } from './helpers.js';
import { freePort } from './cli-helpers.js';
import { startBackend, startEcho, startWebSocketBackend, textFrame, acceptFor, cleanupsPerTest } from './proxy-backends.js';

const HOST = '127.0.0.1';

const { cleanups, backend } = cleanupsPerTest();

async function serveProxy(options: Partial<ServeOptions>): Promise<ServeHandle> {
  const handle = await serve({ root: SITE, host: HOST, port: 0, ...options });
  cleanups.push(() => handle.close());
  return handle;
}

/** What the echo backend saw, from its JSON answer. */
function echoed(res: RawResponse): { method: string; url: string; headers: Record<string, string>; bytes: number } {
  return JSON.parse(res.body.toString());
}

describe('which requests go to the backend', () => {
  it.each([
    ['/api', '/api'],
    ['/api/users', '/api/users'],
    ['/api?x=1&y=%20', '/api?x=1&y=%20'],
    ['/api/users/a%2Fb?q', '/api/users/a%2Fb?q'],
    ['/api/', '/api/'],
  ])('%s reaches the backend as %s', async (path, expected) => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    expect(echoed(res).url).toBe(expected);
  });

  it.each(['/apix', '/apix/users', '/ap', '/hello.txt'])('%s is the site’s, never the backend’s', async (path) => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(path === '/hello.txt' ? 200 : 404);
    expect(echo.seen).toEqual([]);
  });

  it('the longest matching prefix wins, and a prefix given with a trailing slash matches without it', async () => {
    const [outer, inner] = [await backend(startEcho()), await backend(startEcho())];
    const site = await serveProxy({ proxy: [{ prefix: '/api/', target: outer.url }, { prefix: '/api/v2', target: inner.url }] });
    await rawRequest(site.port, '/api/v2/x');
    await rawRequest(site.port, '/api/v1/x');
    await rawRequest(site.port, '/api');
    expect(inner.seen.map(({ url }) => url)).toEqual(['/api/v2/x']);
    expect(outer.seen.map(({ url }) => url)).toEqual(['/api/v1/x', '/api']);
  });

  it('a target with its own path puts it in front of the request path', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: `${echo.url}/v2/` }] });
    expect(echoed(await rawRequest(site.port, '/api/users?page=2')).url).toBe('/v2/api/users?page=2');
  });

  it('every method, and the request body, go through', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const body = Buffer.alloc(100_000, 7);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await send(site.port, { method, path: '/api/items', body });
      expect(echoed(res)).toMatchObject({ method, url: '/api/items', bytes: body.length });
    }
  });

  it('a bare target is the fallback: missing paths and methods the site refuses go there, files stay the site’s', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ target: echo.url }] });
    expect((await rawRequest(site.port, '/hello.txt')).body.toString()).toBe('hello, world\n');
    expect(echoed(await rawRequest(site.port, '/no/such/page?x=1')).url).toBe('/no/such/page?x=1');
    expect(echoed(await send(site.port, { method: 'POST', path: '/hello.txt', body: Buffer.from('x') }))).toMatchObject({ method: 'POST', bytes: 1 });
    expect(echo.seen.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /no/such/page?x=1', 'POST /hello.txt']);
  });

  it('without a fallback, a missing path is still 404 and POST still 405', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    expect((await rawRequest(site.port, '/no/such/page')).status).toBe(404);
    expect((await send(site.port, { method: 'POST', path: '/hello.txt', body: Buffer.from('x') })).status).toBe(405);
    expect(echo.seen).toEqual([]);
  });
});

describe('beside a base path', () => {
  it('prefixes stay absolute: /api goes to the backend, /repo/api is the site’s', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ base: '/repo/', proxy: [{ prefix: '/api', target: echo.url }] });
    expect(echoed(await rawRequest(site.port, '/api/users?x=1')).url).toBe('/api/users?x=1');
    expect((await rawRequest(site.port, '/repo/api/users')).status).toBe(404);
    expect((await rawRequest(site.port, '/repo/hello.txt')).body.toString()).toBe('hello, world\n');
    expect(echo.seen.map(({ url }) => url)).toEqual(['/api/users?x=1']);
  });

  it('the fallback gets a missing path under the base as it was requested; outside the base is still 404', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ base: '/repo/', proxy: [{ target: echo.url }] });
    expect(echoed(await rawRequest(site.port, '/repo/no/such/page?x=1')).url).toBe('/repo/no/such/page?x=1');
    expect((await rawRequest(site.port, '/elsewhere')).status).toBe(404);
    expect(echo.seen.map(({ url }) => url)).toEqual(['/repo/no/such/page?x=1']);
  });
});

describe('beside live reload', () => {
  it('live reload’s paths stay its own with a fallback target, and its event stream still flows', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ target: echo.url }], watch: true });
    const client = await rawRequest(site.port, '/__tiny-serve/client.js');
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const events = await open(site.port, '/__tiny-serve/events');
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(await nextChunk(events)).toBe('retry: 1000\n\n');
    events.destroy();
    expect(echo.seen).toEqual([]);
  });
});

describe('never an open proxy', () => {
  it('an absolute-form request target reaches the configured backend only, with its path', async () => {
    const [echo, other] = [await backend(startEcho()), await backend(startEcho())];
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const toApi = await exchange(site.port, `GET http://127.0.0.1:${other.port}/api/x HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: close\r\n\r\n`, { pipelined: true });
    expect(toApi.head).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(toApi.body).url).toBe('/api/x');
    const elsewhere = await exchange(site.port, `GET http://127.0.0.1:${other.port}/secret HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: close\r\n\r\n`, { pipelined: true });
    expect(elsewhere.head).toMatch(/^HTTP\/1\.1 404/);
    expect(other.seen).toEqual([]);
    expect(echo.seen.map(({ url }) => url)).toEqual(['/api/x']);
  });

  it.each(['/api/../hello.txt', '/api/%2e%2e/hello.txt', '/api/%2E%2E/x', '/api/..%2fx', '/api/.%2e/x', '/x/../api/y', '/api/..'])(
    '%s never reaches the backend (400)',
    async (path) => {
      const echo = await backend(startEcho());
      const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
      expect((await rawRequest(site.port, path)).status).toBe(400);
      expect(echo.seen).toEqual([]);
    },
  );

  it.each([
    ['/api/./x', '/api/x'],
    ['/api/%2e/x', '/api/x'],
    ['/./api/x', '/api/x'],
    ['//api/x', '/api/x'],
    ['/%61pi/x', '/api/x'],
    ['/%2Fapi/x?q', '/api/x?q'],
  ])('%s is matched after normalizing and reaches the backend as %s', async (path, expected) => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    expect(echoed(await rawRequest(site.port, path)).url).toBe(expected);
  });

  it('/apix/../api is refused rather than matched either way', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    expect((await rawRequest(site.port, '/apix/%2e%2e/api')).status).toBe(400);
    expect(echo.seen).toEqual([]);
  });
});

describe('headers', () => {
  it('hop-by-hop request fields are dropped; the backend sees the target’s Host and X-Forwarded-*', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const res = await rawRequest(site.port, '/api/x', {
      headers: {
        Host: 'dev.local:5173',
        Connection: 'keep-alive, X-Secret',
        'X-Secret': 'connection-only',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
        'X-Forwarded-For': '203.0.113.9',
        'X-Forwarded-Host': 'spoofed.example',
        'X-Forwarded-Proto': 'https',
        'X-Kept': 'yes',
      },
    });
    const { headers } = echoed(res);
    expect(headers.host).toBe(`127.0.0.1:${echo.port}`);
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-forwarded-host']).toBe('dev.local:5173');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-kept']).toBe('yes');
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization', 'upgrade']) expect(headers).not.toHaveProperty(name);
  });

  it('keepHost sends the client’s Host', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url, keepHost: true }] });
    const res = await rawRequest(site.port, '/api/x', { headers: { Host: 'dev.local:5173' } });
    expect(echoed(res).headers.host).toBe('dev.local:5173');
  });

  it('status, headers and every Set-Cookie pass through; hop-by-hop response fields do not; nothing is added', async () => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(201, {
          'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/; Domain=127.0.0.1; HttpOnly', 'c=3; Domain=.example.com'],
          Connection: 'X-Hop',
          'X-Hop': 'one connection',
          'Proxy-Authenticate': 'Basic',
          'X-Backend': 'yes',
          'Content-Type': 'text/plain',
        });
        res.end('x'.repeat(5000));
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const res = await rawRequest(site.port, '/api/x', { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Domain=.example.com']);
    expect(res.headers['x-backend']).toBe('yes');
    expect(res.headers).not.toHaveProperty('x-hop');
    expect(res.headers).not.toHaveProperty('proxy-authenticate');
    // Never compressed, given an ETag or Cache-Control by the file server.
    expect(res.headers).not.toHaveProperty('content-encoding');
    expect(res.headers).not.toHaveProperty('etag');
    expect(res.headers).not.toHaveProperty('cache-control');
    expect(res.body.toString()).toBe('x'.repeat(5000));
  });

  it.each([
    ['http://127.0.0.1:PORT/v2/login?next=/a', '/login?next=/a'],
    ['http://127.0.0.1:PORT/v2', '/'],
    ['http://127.0.0.1:PORT//evil.example/', '/evil.example/'],
    ['http://127.0.0.1:PORT/elsewhere', '/elsewhere'],
    ['https://other.example/x', 'https://other.example/x'],
    ['/relative/path', '/relative/path'],
  ])('Location %s comes back as %s', async (location, expected) => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(302, { Location: location.replace('PORT', String(api.port)) });
        res.end();
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: `${api.url}/v2` }] });
    expect((await rawRequest(site.port, '/api/x')).headers.location).toBe(expected);
  });
});

/** A request with an optional body; resolves with the whole response. */
function send(port: number, { method, path, body, headers = {} }: { method: string; path: string; body?: Buffer; headers?: Record<string, string> }): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const length = body === undefined ? {} : { 'Content-Length': String(body.length) };
    const req = request({ host: HOST, port, method, path, headers: { ...length, ...headers }, agent: false }, (res) => collect(res).then(done, fail));
    req.on('error', fail);
    req.end(body);
  });
}

/** Opens a GET and resolves with the response as soon as its head arrives. */
function open(port: number, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const req = request({ host: HOST, port, path, headers, agent: false }, done);
    req.on('error', fail);
    req.end();
  });
}

/** The rest of a response that `nextChunk` paused. */
function remainder(res: IncomingMessage): Promise<RawResponse> {
  const rest = collect(res);
  res.resume();
  return rest;
}

/** Resolves with the next chunk of `res`, and pauses it. */
function nextChunk(res: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    res.once('data', (chunk: Buffer) => {
      res.pause();
      done(chunk.toString());
    });
    res.once('error', fail);
    res.resume();
  });
}

describe('streaming', () => {
  it('a chunked answer streams: the first chunk arrives before the backend sends the second', async () => {
    let finish: (() => void) | undefined;
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first;');
        finish = () => res.end('second');
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const res = await open(site.port, '/api/stream');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(await nextChunk(res)).toBe('first;');
    finish!();
    expect((await remainder(res)).body.toString()).toBe('second');
  });

  it('server-sent events: the first event reaches a client that accepts gzip at once, uncompressed', async () => {
    let second: (() => void) | undefined;
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.write('data: one\n\n');
        second = () => res.end('data: two\n\n');
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/events', target: api.url }], compress: true });
    const res = await open(site.port, '/events', { 'Accept-Encoding': 'gzip, deflate, br', Accept: 'text/event-stream' });
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers).not.toHaveProperty('content-encoding');
    expect(await nextChunk(res)).toBe('data: one\n\n');
    second!();
    expect((await remainder(res)).body.toString()).toBe('data: two\n\n');
  });

  it('a compressed answer from the backend passes as it is', async () => {
    const zipped = gzipSync('compressed by the backend');
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': zipped.length, ETag: '"backend"' });
        res.end(zipped);
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const res = await rawRequest(site.port, '/api/x', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers).toMatchObject({ 'content-encoding': 'gzip', etag: '"backend"', 'content-length': String(zipped.length) });
    expect(res.body.equals(zipped)).toBe(true);
  });
});

describe('failures', () => {
  it('a backend refusing connections: 502 with a small page naming the target', async () => {
    const port = await freePort();
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: `http://127.0.0.1:${port}` }] });
    const res = await rawRequest(site.port, '/api/x');
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body.toString()).toContain(`http://127.0.0.1:${port}`);
    expect(res.body.toString()).toContain('ECONNREFUSED');
  });

  it('a backend that does not answer within the timeout: 504, and the backend request is closed', async () => {
    let closed = 0;
    const api = await backend(
      startBackend((req) => {
        req.socket.once('close', () => (closed += 1));
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url, timeout: 0.2 }] });
    const res = await rawRequest(site.port, '/api/slow');
    expect(res.status).toBe(504);
    expect(res.body.toString()).toContain(api.url);
    expect(await waitFor(() => closed === 1, 2_000)).toBe(true);
  });

  it.each([
    ['with Content-Length', { 'Content-Length': '100000' }],
    ['chunked', {}],
  ])('a backend dying mid-body (%s) destroys the client connection: never a short body that looks complete', async (_name, headers) => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...headers });
        res.write(Buffer.alloc(1000, 1), () => setTimeout(() => res.socket?.destroy(), 50));
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const res = await open(site.port, '/api/file');
    const outcome = await collect(res).then(
      () => 'complete',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    expect(outcome).toBe('ECONNRESET');
  });

  it('a client leaving aborts the backend request', async () => {
    let arrived = 0;
    let closed = 0;
    const api = await backend(
      startBackend((req) => {
        arrived += 1;
        req.socket.once('close', () => (closed += 1));
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const req = request({ host: HOST, port: site.port, path: '/api/wait', agent: false });
    req.on('error', () => {});
    req.end();
    expect(await waitFor(() => arrived === 1, 2_000)).toBe(true);
    req.destroy();
    expect(await waitFor(() => closed === 1, 2_000)).toBe(true);
  });

  it('a client leaving mid-download closes the backend connection', async () => {
    let closed = 0;
    const api = await backend(
      startBackend((req, res) => {
        req.socket.once('close', () => (closed += 1));
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.write(Buffer.alloc(1000));
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    const res = await open(site.port, '/api/download');
    await nextChunk(res);
    res.destroy();
    expect(await waitFor(() => closed === 1, 2_000)).toBe(true);
  });
});

describe('auth', () => {
  it('--auth guards proxied paths, and its credentials stay here', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }], auth: 'user:secret' });
    expect((await rawRequest(site.port, '/api/x')).status).toBe(401);
    expect(echo.seen).toEqual([]);
    const authorized = await rawRequest(site.port, '/api/x', { headers: { Authorization: `Basic ${Buffer.from('user:secret').toString('base64')}` } });
    expect(authorized.status).toBe(200);
    expect(echoed(authorized).headers).not.toHaveProperty('authorization');
  });
});

/** A field's value in a raw response head (names compared without case). */
function headerOf(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((field) => field.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** Sends a WebSocket handshake on a raw socket; resolves with the socket and the head of the answer. */
function openWebSocket(
  port: number,
  path: string,
  extraHeaders = '',
): Promise<{ socket: import('node:net').Socket; head: string; rest: () => Buffer; closed: Promise<void> }> {
  return new Promise((done, fail) => {
    const socket = connect(port, HOST, () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extraHeaders}\r\n`,
      ),
    );
    cleanups.push(() => void socket.destroy());
    let received = Buffer.alloc(0);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', function onData(chunk: Buffer) {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = received.subarray(0, end).toString('latin1');
      let rest = received.subarray(end + 4);
      socket.off('data', onData);
      socket.on('data', (more: Buffer) => (rest = Buffer.concat([rest, more])));
      done({ socket, head, rest: () => rest, closed });
    });
    socket.once('close', () => fail(new Error(`closed before an answer: ${received.toString('latin1')}`)));
  });
}

describe('WebSocket', () => {
  it('an upgrade under a prefix is tunnelled: the 101 relayed (with the subprotocol), bytes both ways', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: ws.url }] });
    const client = await openWebSocket(site.port, '/hmr?token=1', 'Sec-WebSocket-Protocol: vite-hmr\r\n');
    expect(client.head).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    expect(headerOf(client.head, 'sec-websocket-accept')).toBe(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='));
    expect(headerOf(client.head, 'sec-websocket-protocol')).toBe('vite-hmr');
    expect(ws.seen[0]).toMatchObject({ url: '/hmr?token=1' });
    expect(await waitFor(() => client.rest().equals(textFrame('hello')), 2_000)).toBe(true);
    client.socket.write('ping bytes');
    expect(await waitFor(() => client.rest().toString().endsWith('ping bytes'), 2_000)).toBe(true);
    expect(ws.tunnels).toBe(1);
    client.socket.destroy();
    expect(await waitFor(() => ws.tunnels === 0, 2_000)).toBe(true);
  });

  it('a backend closing its end of the tunnel closes the client’s', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: ws.url }] });
    const client = await openWebSocket(site.port, '/hmr');
    expect(client.head).toMatch(/^HTTP\/1\.1 101/);
    expect(await waitFor(() => ws.tunnels === 1, 2_000)).toBe(true);
    await ws.close();
    await client.closed;
    expect(client.socket.destroyed).toBe(true);
  });

  it('an upgrade for a path that is not proxied gets its usual answer, then the connection closes', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: ws.url }] });
    const client = await openWebSocket(site.port, '/hello.txt');
    expect(client.head).toMatch(/^HTTP\/1\.1 200 OK/);
    await client.closed;
    expect(client.rest().toString()).toBe('hello, world\n');
    expect(ws.seen).toEqual([]);
  });

  it('--auth guards upgrades too', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: ws.url }], auth: 'user:secret' });
    const refused = await openWebSocket(site.port, '/hmr');
    expect(refused.head).toMatch(/^HTTP\/1\.1 401/);
    expect(ws.seen).toEqual([]);
    const allowed = await openWebSocket(site.port, '/hmr', `Authorization: Basic ${Buffer.from('user:secret').toString('base64')}\r\n`);
    expect(allowed.head).toMatch(/^HTTP\/1\.1 101/);
  });

  it('a backend that refuses the upgrade has its answer relayed', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: echo.url }] });
    const client = await openWebSocket(site.port, '/hmr');
    expect(client.head).toMatch(/^HTTP\/1\.1 200/);
    await client.closed;
    expect(JSON.parse(client.rest().toString()).headers.upgrade).toBe('websocket');
  });

  it('closing the server ends open tunnels, and no backend connection is left', async () => {
    const ws = await backend(startWebSocketBackend());
    const echo = await backend(startEcho());
    const site = await serve({ root: SITE, host: HOST, port: 0, proxy: [{ prefix: '/hmr', target: ws.url }, { prefix: '/api', target: echo.url }] });
    const client = await openWebSocket(site.port, '/hmr');
    expect(client.head).toMatch(/^HTTP\/1\.1 101/);
    expect(await waitFor(() => ws.tunnels === 1, 2_000)).toBe(true);
    expect((await rawRequest(site.port, '/api/x')).status).toBe(200);
    expect(echo.connections).toBe(1); // the proxy's keep-alive connection, idle
    await site.close();
    await client.closed;
    expect(await waitFor(() => ws.tunnels === 0 && echo.connections === 0, 2_000)).toBe(true);
  });
});

describe('options', () => {
  it.each([
    [{ target: 'ftp://127.0.0.1/' }, 'proxy target "ftp://127.0.0.1/" must be an http:// or https:// URL'],
    [{ target: 'not a url' }, 'proxy target "not a url" must be an http:// or https:// URL'],
    [{ target: 'http://user:pw@127.0.0.1:1' }, 'proxy target "http://user:pw@127.0.0.1:1" must not carry a user or password'],
    [{ target: 'http://127.0.0.1:1/?x=1' }, 'proxy target "http://127.0.0.1:1/?x=1" must not carry a query or fragment'],
    [{ prefix: 'api', target: 'http://127.0.0.1:1' }, 'proxy prefix "api" must start with /'],
    [{ prefix: '/api/../x', target: 'http://127.0.0.1:1' }, 'proxy prefix "/api/../x" must be a plain path (no ?, #, \\ or dot segments)'],
    [{ prefix: '/api', target: 'http://127.0.0.1:1', timeout: 0 }, 'proxy timeout must be a number of seconds from 0.001 to 2147483, got 0'],
    // Below a millisecond node would turn the timer off; past 2^31 - 1 ms it warns and fires at once.
    [{ prefix: '/api', target: 'http://127.0.0.1:1', timeout: 0.0001 }, 'proxy timeout must be a number of seconds from 0.001 to 2147483, got 0.0001'],
    [{ prefix: '/api', target: 'http://127.0.0.1:1', timeout: 3_000_000 }, 'proxy timeout must be a number of seconds from 0.001 to 2147483, got 3000000'],
  ])('%j is refused at creation: %s', (rule, message) => {
    expect(() => createHandler({ root: SITE, proxy: [rule as never] })).toThrow(message);
  });

  it('two fallbacks, or one prefix twice, are refused', () => {
    expect(() => createHandler({ root: SITE, proxy: [{ target: 'http://a' }, { target: 'http://b' }] })).toThrow('only one proxy target without a prefix');
    expect(() => createHandler({ root: SITE, proxy: [{ prefix: '/a/', target: 'http://a' }, { prefix: '/a', target: 'http://b' }] })).toThrow(
      'proxy prefix /a given twice',
    );
  });
});

describe('what the review found', () => {
  it('--cors, --header and header rules leave a proxied answer as the backend sent it; preflights reach the backend', async () => {
    const api = await backend(
      startBackend((req, res) => {
        res.writeHead(req.method === 'OPTIONS' ? 204 : 200, {
          'Access-Control-Allow-Origin': 'http://app.local',
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Allow-Methods': 'GET, PUT, DELETE',
          'Cache-Control': 'private',
        });
        res.end();
      }),
    );
    const site = await serveProxy({
      cors: true,
      header: ['Cache-Control: no-store'],
      headers: [{ source: '/api/**', headers: [{ key: 'X-Rule', value: 'yes' }] }],
      proxy: [{ prefix: '/api', target: api.url }],
    });
    const got = await rawRequest(site.port, '/api/x', { headers: { Origin: 'http://app.local' } });
    expect(got.headers).toMatchObject({ 'access-control-allow-origin': 'http://app.local', 'cache-control': 'private' });
    expect(got.headers['x-rule']).toBeUndefined();
    const preflight = await rawRequest(site.port, '/api/x', {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.local', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, PUT, DELETE');
    expect(api.seen.map(({ method }) => method)).toEqual(['GET', 'OPTIONS']);
    // The site's own files keep the option headers.
    expect((await rawRequest(site.port, '/hello.txt')).headers).toMatchObject({ 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  });

  it('a fallback target’s answer is not decorated either', async () => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Access-Control-Allow-Origin': 'http://app.local', 'Cache-Control': 'private' });
        res.end('from the backend');
      }),
    );
    const site = await serveProxy({ cors: true, header: ['Cache-Control: no-store'], proxy: [{ target: api.url }] });
    const got = await rawRequest(site.port, '/no/such/file');
    expect(got.body.toString()).toBe('from the backend');
    expect(got.headers).toMatchObject({ 'access-control-allow-origin': 'http://app.local', 'cache-control': 'private' });
  });

  it('with a fallback target, an upgrade is tunnelled even where a file exists (HMR connects to /)', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ target: ws.url }] });
    for (const path of ['/', '/hello.txt']) {
      const client = await openWebSocket(site.port, path);
      expect(client.head, path).toMatch(/^HTTP\/1\.1 101/);
      client.socket.destroy();
    }
    expect(ws.seen.map(({ url }) => url)).toEqual(['/', '/hello.txt']);
    // A plain GET of the file is still the site's.
    expect((await rawRequest(site.port, '/hello.txt')).body.toString()).toBe('hello, world\n');
  });

  it('bytes the client sends right behind its upgrade request reach the backend', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveProxy({ proxy: [{ prefix: '/hmr', target: ws.url }] });
    const socket = connect(site.port, HOST);
    cleanups.push(() => void socket.destroy());
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    // One write: the head and the first bytes of the new protocol arrive together.
    socket.write(
      `GET /hmr HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nearly bytes',
    );
    // The backend echoes every byte it receives after its own first frame.
    expect(await waitFor(() => received.endsWith('early bytes'), 3_000)).toBe(true);
  });

  it('an upgrade request with a body goes as a plain request, body and all (curl --http2 -d)', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    const socket = connect(site.port, HOST);
    cleanups.push(() => void socket.destroy());
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise((done) => socket.once('close', done));
    socket.write(
      'POST /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
        'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello',
    );
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    const body = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ method: 'POST', url: '/api/x', bytes: 5 });
    expect(body.headers.upgrade).toBeUndefined();
  });

  it('a proxied exchange has no idle limit on the client’s side, and uploads no time limit', async () => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(': ok\n\n');
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    let serverSocket: import('node:net').Socket | undefined;
    site.server.on('request', (req: IncomingMessage) => (serverSocket = req.socket as import('node:net').Socket));
    const res = await open(site.port, '/api/events');
    expect(await nextChunk(res)).toBe(': ok\n\n');
    // An event stream may stay quiet for longer than the server's 120 s for idle sockets.
    expect(serverSocket?.timeout).toBe(0);
    expect((site.server as import('node:http').Server).requestTimeout).toBe(0);
    res.destroy();
  });

  it('without a proxy, the server keeps its whole-request limit', async () => {
    const site = await serveProxy({});
    expect((site.server as import('node:http').Server).requestTimeout).toBe(30_000);
  });

  it('the backend sees this server in Via, after any proxies before it', async () => {
    const echo = await backend(startEcho());
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: echo.url }] });
    expect(echoed(await rawRequest(site.port, '/api/a')).headers.via).toBe('1.1 tiny-serve');
    expect(echoed(await rawRequest(site.port, '/api/b', { headers: { Via: '1.1 corp-proxy' } })).headers.via).toBe('1.1 corp-proxy, 1.1 tiny-serve');
  });

  it('a cookie’s Domain=.<target> (with the leading dot) is dropped too', async () => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Set-Cookie': ['a=1; Domain=.127.0.0.1; Path=/', 'b=2; Domain=other.example'] });
        res.end();
      }),
    );
    const site = await serveProxy({ proxy: [{ prefix: '/api', target: api.url }] });
    expect((await rawRequest(site.port, '/api/x')).headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Domain=other.example']);
  });
});
