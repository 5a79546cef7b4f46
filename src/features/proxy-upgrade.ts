// The WebSocket tunnel (any HTTP/1.1 Upgrade, in fact): the upgrade request forwarded with its
// Upgrade and Connection fields, the backend's 101 relayed, then bytes piped both ways until either
// side closes. A backend that answers without switching gets its answer relayed as for any request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pageWithNote, sendAnswer } from '../http/pages.js';
import { endToEnd, forwardExchange, openBackendRequest, relayResponse, requestHeaders, type CompiledRule, type ExchangeContext } from './proxy-forward.js';

/**
 * Whether `req` asks to switch protocols on a connection that can: only the server's 'upgrade'
 * event marks requests so (node sets `upgrade` only when someone listens for it); elsewhere an
 * Upgrade field is hop-by-hop and dropped.
 */
export function isUpgrade(req: IncomingMessage): boolean {
  return (req as { upgrade?: boolean }).upgrade === true && req.headers.upgrade !== undefined && req.httpVersionMajor === 1;
}

function declaresBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Forwards an upgrade request that carries a body as a plain exchange: exactly Content-Length bytes
 * are read from the connection (with backpressure) and sent on; a chunked body (which node has not
 * parsed here) is refused with 400. The connection closes after the answer, as for every upgrade.
 */
function forwardWithBodyOnSocket(
  req: IncomingMessage,
  res: ServerResponse,
  rule: CompiledRule,
  context: ExchangeContext,
  path: string,
  client: Duplex,
): void {
  const length = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length)) {
    return sendAnswer(req, res, pageWithNote(400, 'An Upgrade request with a chunked body cannot be proxied; send it without Upgrade.'));
  }
  const proxyReq = openBackendRequest(req, res, rule, context, path, requestHeaders(req, rule, context));
  if (!proxyReq) return;
  proxyReq.on('response', (proxyRes) => relayResponse(res, proxyRes, rule, proxyReq, context));
  let left = length;
  const onData = (chunk: Buffer): void => {
    const part = chunk.subarray(0, left);
    left -= part.length;
    if (left === 0) {
      client.off('data', onData);
      proxyReq.end(part);
    } else if (!proxyReq.write(part)) {
      client.pause();
      proxyReq.once('drain', () => client.resume());
    }
  };
  client.on('data', onData);
  client.resume();
}

/** Ties two sockets together: both go as soon as either closes or fails; `tunnels` holds them meanwhile. */
function tie(client: Duplex, backend: Duplex, tunnels: Set<Duplex>): void {
  tunnels.add(client);
  const end = (): void => {
    tunnels.delete(client);
    client.destroy();
    backend.destroy();
  };
  for (const socket of [client, backend]) {
    socket.once('error', end);
    socket.once('close', end);
  }
}

/**
 * Forwards an upgrade request. On the backend's 101, the same status and its headers go to the
 * client through `res` (on the raw connection: the server hands upgrades a response of their own),
 * then the connection is the tunnel's. `tunnels` holds the open ones, for close().
 */
export function forwardUpgrade(
  req: IncomingMessage,
  res: ServerResponse,
  rule: CompiledRule,
  context: ExchangeContext,
  path: string,
  tunnels: Set<Duplex>,
): void {
  const client = res.socket;
  if (!client) return forwardExchange(req, res, rule, context, path);
  // A body before the switch (curl --http2 -d sends `Upgrade: h2c` with one): node left it on the
  // connection, unread. Such a request goes as a plain one (RFC 9110 §7.8 lets a server ignore
  // Upgrade), its body read from the connection.
  if (declaresBody(req)) return forwardWithBodyOnSocket(req, res, rule, context, path, client);
  const headers = { ...requestHeaders(req, rule, context), connection: 'Upgrade', upgrade: req.headers.upgrade };
  const proxyReq = openBackendRequest(req, res, rule, context, path, headers);
  if (!proxyReq) return;
  proxyReq.on('response', (proxyRes) => relayResponse(res, proxyRes, rule, proxyReq, context));
  proxyReq.on('upgrade', (proxyRes, backend, backendHead) => {
    backend.setTimeout(0); // the rule's timeout is for the answer; a quiet tunnel stays open
    if (client.destroyed) return void backend.destroy();
    tie(client, backend, tunnels);
    const switching = { ...endToEnd(proxyRes.headers), connection: 'Upgrade', upgrade: proxyRes.headers.upgrade ?? req.headers.upgrade };
    res.writeHead(101, switching);
    // Once the 101 is on the wire, the connection carries the backend's bytes and the client's.
    res.end(() => {
      if (backendHead.length > 0) client.write(backendHead);
      client.pipe(backend);
      backend.pipe(client);
    });
  });
  proxyReq.end();
}
