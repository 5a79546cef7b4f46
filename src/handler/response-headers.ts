// Headers added to responses from options: `--header`, config `headers` rules (a null value removes a
// header), CORS and cross-origin isolation. Applied at writeHead, so every response (files, pages,
// 304s) gets them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compilePattern, type PathPattern } from '../http/patterns.js';
import { ALLOWED_METHODS } from '../http/pages.js';
import type { HeaderRule } from '../types.js';
import { UserError } from '../errors.js';

/** One config rule: headers to set (or remove, with null) on responses for paths matching `source`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, spaces and tabs, and obs-text; never CR, LF or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers that frame the message or belong to one connection: set (or removed) by hand they would
 * corrupt HTTP/1.1 responses (Content-Length beside Transfer-Encoding) and make node:http2 refuse
 * every response (RFC 9113 §8.2.2 forbids connection-specific fields).
 */
const SERVER_MANAGED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings', 'content-length']);

/** Checks a header name and value the way setHeader would, but at startup, with a clear message. */
export function validateHeader(key: string, value: string | null): void {
  if (!TOKEN.test(key)) throw new UserError(`invalid header name ${JSON.stringify(key)}`);
  if (SERVER_MANAGED.has(key.toLowerCase())) {
    throw new UserError(`header ${key} cannot be set or removed: the server manages it (message framing and connections)`);
  }
  if (value !== null && !FIELD_VALUE.test(value)) {
    throw new UserError(`invalid value for header ${key}: it contains a line break or control character`);
  }
}

/** Parses `--header "Name: value"`. */
export function parseHeaderFlag(text: string): { key: string; value: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UserError(`invalid --header ${JSON.stringify(text)}: use "Name: value"`);
  const key = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  validateHeader(key, value);
  return { key, value };
}

const CORS_HEADERS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', 'Content-Length, Content-Range, Content-Encoding, ETag, Last-Modified, Accept-Ranges'],
];
const PREFLIGHT_MAX_AGE = '86400';

/**
 * --cross-origin-isolated: a page that comes with both is cross-origin isolated (SharedArrayBuffer,
 * precise timers), provided everything it embeds agrees to be embedded (CORP or CORS).
 */
const ISOLATION_HEADERS: [string, string][] = [
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Embedder-Policy', 'require-corp'],
];

/**
 * The server's own answers agree to be embedded by the pages it serves: same-origin, or by any
 * origin under --cors, which already lets any origin read them (and a `<script>` or `<img>` without
 * `crossorigin` on another isolated site needs this to load).
 */
const resourcePolicy = (cors: boolean): [string, string] => ['Cross-Origin-Resource-Policy', cors ? 'cross-origin' : 'same-origin'];

/** A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) answered with 204. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers['access-control-request-headers'];
  // Echo the requested header names only when they are all well-formed tokens.
  const names = typeof requested === 'string' ? requested.split(',').map((name) => name.trim()).filter((name) => name !== '') : [];
  const allowHeaders = names.length > 0 && names.every((name) => TOKEN.test(name)) ? names.join(', ') : 'Range, If-None-Match, If-Modified-Since, If-Range';
  res.writeHead(204, {
    Allow: ALLOWED_METHODS,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': allowHeaders,
    'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
  });
  res.end();
}

type Headers = Record<string, string | number | string[]>;

function removeHeader(headers: Headers, key: string): void {
  const lower = key.toLowerCase();
  for (const name of Object.keys(headers)) if (name.toLowerCase() === lower) delete headers[name];
}

interface HeaderOptions {
  cors?: boolean;
  crossOriginIsolated?: boolean;
  header?: string[];
  headers?: HeaderRule[];
}

/** The headers every response gets, in the order they apply: a later one of the same name wins. */
function fixedHeaders(options: HeaderOptions): [string, string][] {
  const cors = options.cors ?? false;
  const isolation = options.crossOriginIsolated ? [...ISOLATION_HEADERS, resourcePolicy(cors)] : [];
  const fixed: [string, string][] = [...isolation, ...(cors ? CORS_HEADERS : [])];
  for (const text of options.header ?? []) {
    const { key, value } = parseHeaderFlag(text);
    fixed.push([key, value]);
  }
  return fixed;
}

/**
 * What proxied answers get from --cross-origin-isolated: COOP and COEP (as --header may have changed
 * them), lower-cased, for the backend's answer when it sends none of its own. A page proxied from a
 * dev server needs them to be isolated; CORP stays the backend's business, since the browser sees its
 * answers as this server's, same-origin. Empty without the option: the backend's answer goes as it is.
 */
export function proxiedIsolationHeaders(options: HeaderOptions): Record<string, string> {
  if (!options.crossOriginIsolated) return {};
  const names = new Set(ISOLATION_HEADERS.map(([key]) => key.toLowerCase()));
  const chosen: Record<string, string> = {};
  for (const [key, value] of fixedHeaders(options)) if (names.has(key.toLowerCase())) chosen[key.toLowerCase()] = value;
  return chosen;
}

/** Rewrites the headers of a response for a path (a copy): what `--header`, config rules, CORS and isolation add or remove. */
export type HeaderRewriter = (path: string | undefined, given: Headers) => Headers;

/**
 * Builds, once, the rewrite of a response's headers for a path; undefined when no option adds
 * anything, so the default request path pays nothing.
 */
export function headerRewriter(options: HeaderOptions): HeaderRewriter | undefined {
  const fixed = fixedHeaders(options);
  const rules = (options.headers ?? []).map((rule) => {
    for (const { key, value } of rule.headers) validateHeader(key, value);
    return { pattern: compilePattern(rule.source) as PathPattern, headers: rule.headers };
  });
  if (fixed.length === 0 && rules.length === 0) return undefined;

  return (path, given) => {
    const headers: Headers = { ...given };
    for (const [key, value] of fixed) {
      removeHeader(headers, key);
      headers[key] = value;
    }
    if (path === undefined) return headers;
    for (const rule of rules) {
      if (rule.pattern.match(path) === undefined) continue;
      for (const { key, value } of rule.headers) {
        removeHeader(headers, key);
        if (value !== null) headers[key] = value;
      }
    }
    return headers;
  };
}

/**
 * Builds, once, the step that decorates a response for a path (its writeHead rewrites the headers
 * given to it); undefined when no option adds anything.
 */
export function responseHeaders(options: HeaderOptions): ((req: IncomingMessage, res: ServerResponse, path: string | undefined) => void) | undefined {
  const rewrite = headerRewriter(options);
  if (!rewrite) return undefined;
  return (_req, res, path) => {
    const writeHead = res.writeHead;
    res.writeHead = function decoratedWriteHead(this: ServerResponse, status: number, ...rest: unknown[]) {
      const given = rest[rest.length - 1];
      const headers = given !== null && typeof given === 'object' && !Array.isArray(given) ? (given as Headers) : {};
      return writeHead.call(this, status, rewrite(path, headers));
    } as typeof res.writeHead;
  };
}
