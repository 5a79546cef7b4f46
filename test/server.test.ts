// Server limits, port fallback and graceful close (src/server.ts), tested with raw sockets on port 0.
import { Agent, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../src/handler/handler.js';
import { SERVER_LIMITS, closeGracefully, createServer } from '../src/server/server.js';
import { listen } from '../src/server/listen.js';
import { SITE } from './helpers.js';
import { delay, httpGet, occupyPort } from './cli-helpers.js';

const HOST = '127.0.0.1';

/** Servers and sockets a test opened, closed in afterEach whatever happened. */
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((done) => {
          if (!server.listening) return done();
          server.closeAllConnections();
          server.close(() => done());
        }),
    ),
  );
});

/** A fresh tiny-serve server (not yet listening), registered for cleanup. */
function siteServer(): Server {
  const server = createServer(createHandler({ root: SITE }));
  servers.push(server);
  return server;
}

/** A tiny-serve server listening on an ephemeral loopback port. */
async function startSite(): Promise<{ server: Server; port: number }> {
  const server = siteServer();
  await new Promise<void>((done) => server.listen(0, HOST, done));
  return { server, port: (server.address() as AddressInfo).port };
}

/** An open raw connection, registered for cleanup; errors (resets) are recorded, not thrown. */
function openSocket(port: number): Socket {
  const socket = connect(port, HOST);
  sockets.push(socket);
  socket.on('error', () => {});
  return socket;
}

/** Writes `data` as is and returns everything the server sends until it closes the connection. */
async function exchange(port: number, data: string): Promise<string> {
  const socket = openSocket(port);
  let received = '';
  socket.setEncoding('latin1').on('data', (text: string) => {
    received += text;
  });
  const closed = new Promise<void>((done) => socket.once('close', () => done()));
  socket.write(data);
  await closed;
  return received;
}

function statusOf(response: string): number {
  const match = response.match(/^HTTP\/1\.[01] (\d{3}) /);
  if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(response.slice(0, 200))}`);
  return Number(match[1]);
}

describe('request limits', () => {
  it('answers 431 when the headers exceed 16 KiB', async () => {
    const { port } = await startSite();
    const header = `X-Filler: ${'a'.repeat(17 * 1024)}\r\n`;

    const response = await exchange(port, `GET /hello.txt HTTP/1.1\r\nHost: x\r\n${header}Connection: close\r\n\r\n`);

    expect(statusOf(response)).toBe(431);
  });

  it('accepts headers just under 16 KiB', async () => {
    const { port } = await startSite();
    const header = `X-Filler: ${'a'.repeat(15 * 1024)}\r\n`;

    const response = await exchange(port, `GET /hello.txt HTTP/1.1\r\nHost: x\r\n${header}Connection: close\r\n\r\n`);

    expect(statusOf(response)).toBe(200);
    expect(response).toMatch(/\r\n\r\nhello, world\n$/);
  });

  it('answers 400 to an HTTP/1.1 request without Host', async () => {
    const { port } = await startSite();

    const response = await exchange(port, 'GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n');

    expect(statusOf(response)).toBe(400);
    expect(response).not.toContain('hello, world');
  });

  it('serves an HTTP/1.0 request without Host', async () => {
    const { port } = await startSite();

    const response = await exchange(port, 'GET /hello.txt HTTP/1.0\r\n\r\n');

    expect(statusOf(response)).toBe(200);
    expect(response).toMatch(/\r\n\r\nhello, world\n$/);
  });

  it(
    'disconnects a slowloris client that sends one header byte a second, within 20 s',
    async () => {
      const { port } = await startSite();
      const socket = openSocket(port);
      await new Promise<void>((done) => socket.once('connect', () => done()));
      let received = '';
      socket.setEncoding('latin1').on('data', (text: string) => {
        received += text;
      });
      const closed = new Promise<void>((done) => socket.once('close', () => done()));

      const started = Date.now();
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => {
        if (socket.writable) socket.write('X');
      }, 1_000);
      try {
        await closed;
      } finally {
        clearInterval(trickle);
      }
      const elapsed = Date.now() - started;

      expect(elapsed).toBeLessThan(20_000);
      // Dropped by the headers timeout, not earlier: a slow but legitimate client gets its 10 s.
      expect(elapsed).toBeGreaterThanOrEqual(SERVER_LIMITS.headersTimeout - 1_000);
      expect(received).toMatch(/^(HTTP\/1\.1 408 |$)/);
    },
    25_000,
  );
});

describe('listen', () => {
  it('binds a later port when the wanted one is busy and strictPort is false', async () => {
    const busy = await occupyPort(HOST);
    try {
      const server = siteServer();

      const port = await listen(server, { port: busy.port, host: HOST, strictPort: false });

      expect(port).toBeGreaterThan(busy.port);
      expect(port).toBeLessThan(busy.port + 20);
      expect((server.address() as AddressInfo).port).toBe(port);
      expect((await httpGet(HOST, port, '/hello.txt')).status).toBe(200);
    } finally {
      await busy.close();
    }
  });

  it('rejects with EADDRINUSE on a busy port when strictPort is true', async () => {
    const busy = await occupyPort(HOST);
    try {
      const server = siteServer();

      await expect(listen(server, { port: busy.port, host: HOST, strictPort: true })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      expect(server.listening).toBe(false);
    } finally {
      await busy.close();
    }
  });

  it('binds an ephemeral port for port 0', async () => {
    const server = siteServer();

    const port = await listen(server, { port: 0, host: HOST, strictPort: true });

    expect(port).toBeGreaterThan(0);
    expect((server.address() as AddressInfo).port).toBe(port);
    expect((await httpGet(HOST, port, '/hello.txt')).status).toBe(200);
  });
});

describe('closeGracefully', () => {
  it('resolves and frees the port', async () => {
    const { server, port } = await startSite();

    await closeGracefully(server, 3_000);

    expect(server.listening).toBe(false);
    // The same port can be bound again right away.
    const rebound = siteServer();
    await new Promise<void>((done, fail) => {
      rebound.once('error', fail);
      rebound.listen(port, HOST, done);
    });
    expect((rebound.address() as AddressInfo).port).toBe(port);
  });

  it('closes an idle keep-alive connection at once instead of waiting it out', async () => {
    const { server, port } = await startSite();
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await httpGet(HOST, port, '/hello.txt', agent)).status).toBe(200);
      const idle = Object.values(agent.freeSockets).flat();
      expect(idle).toHaveLength(1);
      const clientClosed = new Promise<void>((done) => idle[0]!.once('close', () => done()));

      const started = Date.now();
      // A grace period longer than the keep-alive timeout: only closing idle sockets can be quick.
      await closeGracefully(server, 10_000);

      expect(Date.now() - started).toBeLessThan(2_000);
      const closedInTime = await Promise.race([clientClosed.then(() => true), delay(1_000).then(() => false)]);
      expect(closedInTime).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});
