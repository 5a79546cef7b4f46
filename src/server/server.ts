// The servers: node:http, node:https or node:http2 with deliberate limits, CONNECT refused, upgrade
// requests handed to a proxying handler, plain HTTP on an HTTPS port answered, and a graceful close for
// each kind (binding them is listen.ts).
import { ServerResponse, createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import { createRequire } from 'node:module';
import type { Server as NetServer, Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Http2ServerResponse } from 'node:http2';
import { ALLOWED_METHODS, rawPage, sendPage } from '../http/pages.js';
import { answerKeptOnStreams, type RecallAnswer } from './h2-streams.js';

/**
 * Server limits, set on purpose. Node enforces the header and request timeouts by a sweep every
 * `connectionsCheckingInterval`, so a slowloris client is dropped within headersTimeout + interval
 * (11 s) rather than up to 30 s later with Node's defaults.
 */
export const SERVER_LIMITS = {
  /** Request line + headers; larger requests get 431 (HTTP/2: the decoded header list). */
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  /** A socket with no activity at all for this long (a client that stopped reading) is closed. */
  socketTimeout: 120_000,
  /** A TLS handshake not finished in this time is dropped. */
  handshakeTimeout: 10_000,
} as const;

/** Streams one HTTP/2 connection may have open at once (advertised in SETTINGS, enforced by node:http2). */
export const HTTP2_MAX_STREAMS = 128;

/** Any server tiny-serve runs: plain HTTP/1.1, HTTPS (HTTP/1.1 only), or HTTP/2 with HTTP/1.1 fallback. */
export type AnyServer = Server | HttpsServer | Http2SecureServer;

/** TLS for a server: the secure-context options, and whether to offer HTTP/2. */
export interface ServerTls {
  options: SecureContextOptions;
  http2: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

// node:http2 and node:https (with node:tls) take ~15 ms to load: only an HTTPS server pays for them.
const load = createRequire(import.meta.url);
const http2 = (): typeof import('node:http2') => load('node:http2');
const https = (): typeof import('node:https') => load('node:https');

/**
 * Creates the server for `handler`. With TLS and `http2`, one port speaks HTTP/2 to clients that
 * offer it by ALPN and HTTP/1.1 to the rest. The handler is written against node:http's request
 * and response; HTTP/2's compatibility objects provide the same members it uses (writeHead, write,
 * end, headersSent, destroyed, 'close'), so it is handed them as they are. With `recall`, HTTP/2
 * requests whose answer the handler keeps in memory skip those objects (h2-streams.ts).
 */
export function createServer(handler: Handler): Server;
/** `upgrades`: a proxy is configured (upgrade requests reach the handler; uploads have no time limit). */
export function createServer(handler: Handler, tls: ServerTls | undefined, upgrades?: boolean, recall?: RecallAnswer): AnyServer;
export function createServer(handler: Handler, tls?: ServerTls, upgrades = false, recall?: RecallAnswer): AnyServer {
  const { socketTimeout, handshakeTimeout, maxHeaderSize, ...timeouts } = SERVER_LIMITS;
  if (tls?.http2) {
    const checked = checkRequestHead(handler);
    const server = http2().createSecureServer(
      {
        ...tls.options,
        allowHTTP1: true,
        handshakeTimeout,
        // nginx's 128: one connection can no longer hold a file open per stream by the thousand.
        settings: { maxHeaderListSize: maxHeaderSize, maxConcurrentStreams: HTTP2_MAX_STREAMS },
      },
      checked as unknown as Parameters<typeof import('node:http2').createSecureServer>[1],
    );
    server.setTimeout(socketTimeout);
    trackHttp2Connections(server);
    refuseConnect(server);
    answerPlainHttp(server);
    if (upgrades) answerUpgrades(server, checked);
    if (recall) answerKeptOnStreams(server, recall, (rawHeaders) => headerListSize(rawHeaders) <= maxHeaderSize);
    return server;
  }
  // requireHostHeader (Node's default) answers an HTTP/1.1 request without Host with 400. With a
  // proxy, a request body may take as long as the upload does (static files read no bodies, and
  // headersTimeout still drops a slowloris head): no whole-request limit.
  const httpOptions = { ...timeouts, ...(upgrades ? { requestTimeout: 0 } : {}), maxHeaderSize, requireHostHeader: true };
  const server = tls ? https().createServer({ ...tls.options, ...httpOptions, handshakeTimeout }, handler) : createHttpServer(httpOptions, handler);
  server.setTimeout(socketTimeout);
  refuseConnect(server);
  if (tls) answerPlainHttp(server as HttpsServer);
  if (upgrades) answerUpgrades(server, handler);
  return server;
}

/** How long a socket whose raw bytes were answered here may linger before it is closed. */
const LINGER_MS = 5_000;

/** Writes a whole answer on a raw socket and closes it; the client's further bytes are read and dropped. */
function answerRaw(socket: Duplex, answer: Buffer): void {
  socket.on('error', () => socket.destroy());
  socket.end(answer);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * CONNECT asks for a tunnel, which a file server never opens: 405 with `Allow`, as for every other
 * method it does not implement. node:http hands CONNECT to a 'connect' event, and unheard, drops the
 * connection without a word. On an HTTP/2 server the event also brings HTTP/2 streams, as a request
 * and response.
 */
function refuseConnect(server: AnyServer): void {
  server.on('connect', (req: IncomingMessage, target: Duplex | Http2ServerResponse) => {
    if ('writeHead' in target) return sendPage(req, target as unknown as ServerResponse, 405, { Allow: ALLOWED_METHODS });
    answerRaw(target, rawPage(405, { Allow: ALLOWED_METHODS }));
  });
}

/** Connections handed over by an 'upgrade' event: no HTTP layer tracks them any more. */
const upgradedSockets = new WeakMap<NetServer, Set<Duplex>>();

/**
 * Upgrade requests (WebSocket), for a handler that proxies: node hands them to an 'upgrade' event
 * with the bare connection once anyone listens for it. Each goes through the handler like any other
 * request, with a response of its own on that connection, which closes after it (with nobody
 * listening, node answers an upgrade request as a plain one and reads nothing more from that
 * connection). A proxied path may answer 101 and keep the connection as a tunnel; every other path
 * gets its usual answer.
 */
function answerUpgrades(server: AnyServer, handler: Handler): void {
  const upgraded = new Set<Duplex>();
  upgradedSockets.set(server, upgraded);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    http2Connections.get(server as Http2SecureServer)?.release(socket);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy()); // node:http took its own listener off
    if (head.length > 0) socket.unshift(head); // the client's first bytes after the head: the tunnel's
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once('finish', () => {
      if (res.statusCode !== 101) socket.destroySoon();
    });
    handler(req, res);
  });
}

/** Connections of a TLS server still in their handshake: no HTTP layer knows them yet. */
const handshaking = new WeakMap<NetServer, Set<Socket>>();

/**
 * For a TLS server: plain HTTP sent to the HTTPS port gets an answer it can read, not an empty reply
 * (OpenSSL recognises an HTTP request line in place of a handshake): a 400 saying to use https,
 * written on the TCP socket beneath the failed TLS one (`_parent`, the socket node:tls wrapped; a
 * Node without it leaves the old silent close). And connections still in their handshake are known,
 * so that a shutdown need not wait out their handshake timeout.
 */
function answerPlainHttp(server: HttpsServer | Http2SecureServer): void {
  const pending = new Set<Socket>();
  handshaking.set(server, pending);
  server.on('connection', (socket: Socket) => {
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
  });
  server.on('secureConnection', (socket: Socket & { _parent?: Socket }) => pending.delete(socket._parent ?? socket));
  server.on('tlsClientError', (error: NodeJS.ErrnoException, tlsSocket: Socket & { _parent?: Socket }) => {
    const socket = tlsSocket._parent;
    const plainHttp = error.code === 'ERR_SSL_HTTP_REQUEST' || error.code === 'ERR_SSL_HTTPS_PROXY_REQUEST';
    if (plainHttp && socket && !socket.destroyed) answerRaw(socket, rawPage(400, {}, 'This port speaks HTTPS: use an https:// address.'));
  });
}

/** HPACK's size of a header list (RFC 9113 §6.5.2): names and values plus 32 octets per field. */
function headerListSize(rawHeaders: string[]): number {
  let size = 0;
  for (const text of rawHeaders) size += text.length;
  return size + 16 * rawHeaders.length;
}

/**
 * The request-head checks node:http makes on a plain server, which an HTTP/2 server skips: its
 * HTTP/1.1 fallback ignores `requireHostHeader` (an HTTP/1.1 request without Host → 400, RFC 9112
 * §3.2), and node:http2 only advertises `maxHeaderListSize` (enforcing its own 64 KiB), so a
 * larger HTTP/2 header list gets the same 431 here as on HTTP/1.1.
 */
function checkRequestHead(handler: Handler): Handler {
  return (req, res) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return sendPage(req, res, 400, { Connection: 'close' });
    }
    if (req.httpVersionMajor === 2 && headerListSize(req.rawHeaders) > SERVER_LIMITS.maxHeaderSize) {
      return sendPage(req, res, 431);
    }
    handler(req, res);
  };
}

/**
 * HTTP/2 servers have no closeIdleConnections(): the sessions and the HTTP/1.1 sockets of the
 * fallback are tracked here, with the number of requests each socket has in flight. The fallback
 * also skips node:http's headersTimeout sweep, so a timer per socket stands in for it: a socket
 * that has not sent a complete request head within headersTimeout of connecting (or of its last
 * response) is closed, which drops slowloris clients and idle keep-alive connections alike.
 */
interface Http2Connections {
  sessions: Set<Http2Session>;
  /** HTTP/1.1 sockets of the fallback, with their requests in flight. */
  http1: Map<Socket, number>;
  stopping: boolean;
  /** Forgets a fallback socket an 'upgrade' event took (answerUpgrades): no request timer, no idle close. */
  release(socket: Socket): void;
}

const http2Connections = new WeakMap<Http2SecureServer, Http2Connections>();

function trackHttp2Connections(server: Http2SecureServer): void {
  const waiting = new WeakMap<Socket, NodeJS.Timeout>();
  const release = (socket: Socket): void => {
    clearTimeout(waiting.get(socket));
    tracked.http1.delete(socket);
  };
  const tracked: Http2Connections = { sessions: new Set(), http1: new Map(), stopping: false, release };
  http2Connections.set(server, tracked);
  server.on('session', (session: Http2Session) => {
    tracked.sessions.add(session);
    session.once('close', () => tracked.sessions.delete(session));
    if (tracked.stopping) session.close();
  });
  const awaitRequest = (socket: Socket): void => {
    const timer = setTimeout(() => socket.destroy(), SERVER_LIMITS.headersTimeout);
    timer.unref();
    waiting.set(socket, timer);
  };
  server.on('secureConnection', (socket: Socket & { alpnProtocol?: string | false }) => {
    if (socket.alpnProtocol === 'h2') return;
    tracked.http1.set(socket, 0);
    awaitRequest(socket);
    socket.once('close', () => {
      clearTimeout(waiting.get(socket));
      tracked.http1.delete(socket);
    });
    if (tracked.stopping) socket.end();
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket;
    clearTimeout(waiting.get(socket));
    tracked.http1.set(socket, (tracked.http1.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (tracked.http1.get(socket) ?? 1) - 1;
      tracked.http1.set(socket, left);
      if (left > 0 || socket.destroyed) return;
      if (tracked.stopping) socket.end();
      else awaitRequest(socket);
    });
  });
}

/** Idle connections of an HTTP/2 server are closed now, busy ones once their responses end. */
function closeHttp2Idle(tracked: Http2Connections): void {
  tracked.stopping = true;
  for (const session of tracked.sessions) session.close(); // GOAWAY: streams in flight finish
  for (const [socket, inFlight] of tracked.http1) if (inFlight === 0) socket.end();
}

function closeHttp2All(tracked: Http2Connections): void {
  for (const session of tracked.sessions) session.destroy();
  for (const socket of tracked.http1.keys()) socket.destroy();
}

/** How long responses in flight get to finish once the server stops (`close()`, Ctrl-C, SIGTERM). */
export const CLOSE_GRACE_MS = 3_000;

/**
 * Stops accepting connections, lets in-flight responses finish, closes keep-alive connections as
 * soon as they are idle, and force-closes whatever is left after `graceMs`.
 */
export function closeGracefully(server: AnyServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const tracked = http2Connections.get(server as Http2SecureServer);
    const closeHttpIdle = tracked ? () => closeHttp2Idle(tracked) : () => (server as Server).closeIdleConnections();
    const closeIdle = (): void => {
      for (const socket of handshaking.get(server) ?? []) socket.destroy();
      closeHttpIdle();
    };
    const closeAllHttp = tracked ? () => closeHttp2All(tracked) : () => (server as Server).closeAllConnections();
    const closeAll = (): void => {
      for (const socket of upgradedSockets.get(server) ?? []) socket.destroy();
      closeAllHttp();
    };
    const sweep = setInterval(closeIdle, 50);
    const deadline = setTimeout(closeAll, graceMs);
    sweep.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    closeIdle();
  });
}
