// Real backends for the proxy tests, each on a port the OS picks: an echo (method, path, headers and
// body length it saw), and servers built from a handler (SSE, chunked, slow, dying mid-body); a
// minimal WebSocket backend (the RFC 6455 handshake, then it echoes raw bytes). Each counts its open
// connections and the requests it saw, and is closed with `close()`.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach } from 'vitest';

export interface Backend {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests seen, in order. */
  seen: Seen[];
  /** Connections open right now. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

type BackendHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A backend answering with `handler`; `onUpgrade` listens for upgrades when given. */
export async function startBackend(
  handler: BackendHandler,
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<Backend> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (onUpgrade) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
      onUpgrade(req, socket, head);
    });
  }
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    get connections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** Answers JSON with what it saw: method, url, headers, and the number of body bytes. */
export function startEcho(): Promise<Backend> {
  return startBackend((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * A WebSocket backend: the handshake (echoing the first offered subprotocol, as Vite's HMR server
 * does with `vite-hmr`), a first frame it sends itself right after its 101 (text "hello"), then
 * every byte it receives sent back. `tunnels` counts its open upgraded sockets.
 */
export async function startWebSocketBackend(): Promise<Backend & { readonly tunnels: number }> {
  const open = new Set<Duplex>();
  const backend = await startBackend(
    (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain' });
      res.end('upgrade required');
    },
    (req, socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.on('error', () => socket.destroy());
      const protocol = String(req.headers['sec-websocket-protocol'] ?? '').split(',')[0]!.trim();
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(String(req.headers['sec-websocket-key']))}\r\n` +
          (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
          '\r\n',
      );
      socket.write(textFrame('hello'));
      socket.pipe(socket);
    },
  );
  // A getter of its own: Object.assign would copy today's count, not the getter.
  return Object.defineProperty(backend, 'tunnels', { get: () => open.size }) as Backend & { readonly tunnels: number };
}

/** An unmasked text frame (server to client) with a short payload. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/**
 * A test file's cleanups, run after each test (last first), and `backend()`, which awaits a backend
 * and registers its close. Call once at the top of a test file.
 */
export function cleanupsPerTest(): { cleanups: (() => Promise<void> | void)[]; backend: <B extends Backend>(started: Promise<B>) => Promise<B> } {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function backend<B extends Backend>(started: Promise<B>): Promise<B> {
    const one = await started;
    cleanups.push(() => one.close());
    return one;
  }
  return { cleanups, backend };
}
