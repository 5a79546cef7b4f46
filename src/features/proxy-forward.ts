// One proxied exchange over node's own HTTP client: the request's headers as the backend should see
// them, the response's as the client should (hop-by-hop dropped, Location and cookie Domain pointed
// back here), both bodies streamed with backpressure, and every failure a bounded, clear answer.
import type { Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RequestOptions } from 'node:https';
import { pipeline } from 'node:stream';
import { escapeHtml, pageWithNote, sendAnswer } from '../http/pages.js';
import { clientGone } from '../http/streams.js';

/** A proxy rule with its option work done: the target parsed, the prefix normalized. */
export interface CompiledRule {
  /** Decoded and normalized, without a trailing slash (`/` itself stays); undefined for the fallback. */
  prefix: string | undefined;
  /** The prefix percent-encoded, as a client normally sends it. */
  rawPrefix: string | undefined;
  /** `https:` or `http:`. */
  protocol: string;
  /** For the client: the host name without IPv6 brackets, and the port. */
  hostname: string;
  port: number;
  /** `host[:port]` as the Host header carries it. */
  host: string;
  /** The target's origin, to recognise its absolute URLs in Location. */
  origin: string;
  /** The target's own path without a trailing slash ('' for none): put in front of every request path. */
  basePath: string;
  /** origin + basePath: how pages and the log name the target. */
  label: string;
  keepHost: boolean;
  timeoutMs: number;
  secure: boolean;
}

/** What a proxied exchange needs from its proxy: the agents, and whether --auth's credentials must stay here. */
export interface ExchangeContext {
  agentFor(rule: CompiledRule): Agent;
  requestFn(rule: CompiledRule): (options: RequestOptions) => ClientRequest;
  /** The Authorization header answered tiny-serve's --auth: it is not the backend's to see. */
  dropAuthorization: boolean;
  /** Lower-cased headers an answer gets when the backend sent none of that name (--cross-origin-isolated's COOP and COEP). */
  answerDefaults: Record<string, string>;
}

/** Header fields that belong to one connection (RFC 9110 §7.6.1), never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'trailer',
  'http2-settings',
]);

/** A copy of `headers` without hop-by-hop fields, those `Connection` names, and HTTP/2 pseudo-headers. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || named.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** The Host the client asked for (HTTP/2 carries it as `:authority`). */
function clientHost(req: IncomingMessage): string | undefined {
  return req.headers.host ?? (req.headers[':authority'] as string | undefined);
}

/**
 * The request's headers as the backend sees them: end-to-end fields only, `Host` of the target
 * (or the client's, with keepHost), and X-Forwarded-For (appended to), -Proto and -Host (set here:
 * a client's own values are never passed on as ours). `Expect` was answered here already.
 */
export function requestHeaders(req: IncomingMessage, rule: CompiledRule, context: ExchangeContext): OutgoingHttpHeaders {
  const headers = endToEnd(req.headers);
  delete headers.expect;
  if (context.dropAuthorization) delete headers.authorization;
  const host = clientHost(req);
  headers.host = rule.keepHost && host !== undefined ? host : rule.host;
  const address = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${address}` : address;
  const encrypted = req.httpVersionMajor === 2 || (req.socket as { encrypted?: boolean }).encrypted === true;
  headers['x-forwarded-proto'] = encrypted ? 'https' : 'http';
  if (host !== undefined) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
  // RFC 9110 §7.6.3: an intermediary adds itself to Via, after those before it.
  const via = `${req.httpVersionMajor === 2 ? '2' : req.httpVersion} tiny-serve`;
  headers.via = req.headers.via ? `${String(req.headers.via)}, ${via}` : via;
  return headers;
}

/**
 * A Location on the target's origin, made path-only so it points at this server (the target's own
 * path taken off again). Never protocol-relative. Any other Location is the backend's to give.
 */
function localLocation(location: string, rule: CompiledRule): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location; // relative: already resolves against this server
  }
  if (url.origin !== rule.origin) return location;
  let path = url.pathname;
  if (rule.basePath !== '' && (path === rule.basePath || path.startsWith(`${rule.basePath}/`))) path = path.slice(rule.basePath.length);
  return `/${path.replace(/^[/\\]+/, '')}${url.search}${url.hash}`;
}

/** A Set-Cookie without a `Domain` attribute naming the target, so the browser keeps it for this server. */
function localCookie(cookie: string, rule: CompiledRule): string {
  return cookie
    .split(';')
    .filter((attribute) => {
      const [name = '', value = ''] = attribute.split('=', 2);
      return !(name.trim().toLowerCase() === 'domain' && value.trim().replace(/^\./, '').toLowerCase() === rule.hostname.toLowerCase());
    })
    .join(';');
}

/** The backend's response headers as the client gets them, with `defaults` for the names it did not send. */
export function responseHeaders(proxyRes: IncomingMessage, rule: CompiledRule, defaults: Record<string, string> = {}): OutgoingHttpHeaders {
  const headers = endToEnd(proxyRes.headers);
  if (typeof headers.location === 'string') headers.location = localLocation(headers.location, rule);
  const cookies = proxyRes.headers['set-cookie'];
  if (cookies) headers['set-cookie'] = cookies.map((cookie) => localCookie(cookie, rule));
  for (const [name, value] of Object.entries(defaults)) headers[name] ??= value;
  return headers;
}

/** What the request log says about a proxied response: where it went, and what went wrong. */
export interface ProxyNote {
  target: string;
  problem?: string;
}

const notes = new WeakMap<object, ProxyNote>();

/** The note on a response that went through the proxy; undefined for the site's own. */
export function proxyNote(res: object): ProxyNote | undefined {
  return notes.get(res);
}

export function noteProxied(res: ServerResponse, rule: CompiledRule): void {
  notes.set(res, { target: rule.label });
}

/** Raised when the backend stays silent past the rule's timeout. */
class BackendTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}


/** Why the backend could not answer, in the words of the page and the log. */
function failureOf(error: unknown, rule: CompiledRule): { status: number; problem: string; note: string } {
  // Codes only (a message could carry anything, and pages are kept per note).
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  const target = escapeHtml(rule.label);
  if (error instanceof BackendTimeout) {
    const seconds = rule.timeoutMs / 1000;
    return { status: 504, problem: `no answer in ${seconds} s`, note: `The proxy target ${target} did not answer within ${seconds} s.` };
  }
  const said = code === 'ECONNREFUSED' ? 'refused the connection' : 'could not be reached';
  return { status: 502, problem: code, note: `The proxy target ${target} ${said} (${escapeHtml(code)}).` };
}

/**
 * Answers a failure before the backend's response began: 502 (unreachable) or 504 (silent), a small
 * page naming the target. Once the response has begun, the connection is destroyed instead: a body
 * cut short must never look complete.
 */
export function answerFailure(req: IncomingMessage, res: ServerResponse, rule: CompiledRule, error: unknown): void {
  const { status, problem, note } = failureOf(error, rule);
  notes.set(res, { target: rule.label, problem });
  if (clientGone(res)) return;
  if (res.headersSent) return void res.destroy();
  try {
    sendAnswer(req, res, pageWithNote(status, note));
  } catch {
    res.destroy(); // nothing may throw out of an event listener: the connection goes instead
  }
}

/** Opens the backend request for `req`, with the rule's timeout before the answer begins; undefined after a failure answered. */
export function openBackendRequest(
  req: IncomingMessage,
  res: ServerResponse,
  rule: CompiledRule,
  context: ExchangeContext,
  path: string,
  headers: OutgoingHttpHeaders,
): ClientRequest | undefined {
  noteProxied(res, rule);
  let proxyReq: ClientRequest;
  try {
    proxyReq = context.requestFn(rule)({
      hostname: rule.hostname,
      port: rule.port,
      method: req.method,
      path,
      headers,
      agent: context.agentFor(rule),
      rejectUnauthorized: rule.secure,
      // From the start: a target that never completes the connection is as silent as one that never answers.
      timeout: rule.timeoutMs,
    });
  } catch (error) {
    answerFailure(req, res, rule, error);
    return undefined;
  }
  // Inactivity before the answer: an upload that keeps flowing is never cut, a backend that says nothing is.
  proxyReq.setTimeout(rule.timeoutMs, () => proxyReq.destroy(new BackendTimeout('timeout')));
  // The client's side has no idle limit of its own while proxied: the backend decides how long the
  // exchange may be quiet (an event stream, a long poll), and the rule's timeout guards the wait above.
  req.setTimeout(0);
  let answered = false;
  let complete = false;
  proxyReq.once('response', (proxyRes: IncomingMessage) => {
    answered = true;
    proxyRes.once('end', () => (complete = true));
  });
  proxyReq.once('upgrade', () => (answered = true));
  proxyReq.on('error', (error) => {
    if (!answered) answerFailure(req, res, rule, error);
  });
  // The client leaving aborts the backend's work too.
  res.once('close', () => {
    if (!proxyReq.destroyed && !complete) proxyReq.destroy();
  });
  return proxyReq;
}

/** Sends the backend's answer on: status, headers, and the body streamed with backpressure. */
export function relayResponse(res: ServerResponse, proxyRes: IncomingMessage, rule: CompiledRule, proxyReq: ClientRequest, context: ExchangeContext): void {
  proxyReq.setTimeout(0);
  if (clientGone(res)) return void proxyRes.destroy();
  try {
    // The prototype's writeHead: the backend's headers go as they are, past any option headers
    // (--cors, --header, header rules) a fallback request was decorated with before it was proxied.
    const writeHead = Object.getPrototypeOf(res).writeHead as ServerResponse['writeHead'];
    writeHead.call(res, proxyRes.statusCode ?? 502, responseHeaders(proxyRes, rule, context.answerDefaults));
  } catch (error) {
    proxyRes.destroy();
    answerFailure(res.req, res, rule, error);
    return;
  }
  // A backend dying mid-body fails the pipeline, which destroys the client's connection (or stream).
  // Who went first: a client leaving closes the response while the backend's answer is still open.
  let clientLeft = false;
  res.once('close', () => (clientLeft = !proxyRes.complete && !proxyRes.destroyed));
  // Noted as the backend's answer breaks, before the pipeline closes the response (and the log
  // writes its line on that close).
  const broke = (): void => {
    if (!clientLeft && !proxyRes.complete) notes.set(res, { target: rule.label, problem: 'backend closed mid-body' });
  };
  proxyRes.once('aborted', broke);
  proxyRes.once('error', broke);
  pipeline(proxyRes, res, (error) => {
    if (error) broke();
  });
}

/** Forwards one HTTP exchange: the request body streams to the backend, its answer back. */
export function forwardExchange(req: IncomingMessage, res: ServerResponse, rule: CompiledRule, context: ExchangeContext, path: string): void {
  const proxyReq = openBackendRequest(req, res, rule, context, path, requestHeaders(req, rule, context));
  if (!proxyReq) return;
  proxyReq.on('response', (proxyRes) => relayResponse(res, proxyRes, rule, proxyReq, context));
  // pipe, not pipeline: a backend failing must not destroy the request (and the client's socket) before the 502 is written.
  req.pipe(proxyReq);
  req.on('error', () => proxyReq.destroy());
}
