// Responses that are not files: tiny locked-down HTML pages for errors and redirects, OPTIONS, 405.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Answer } from '../types.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Methods this server implements; sent in `Allow` on OPTIONS and 405 (RFC 9110 §15.5.6). */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

const USER_PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};
const PAGE_HEADERS = { ...USER_PAGE_HEADERS, 'Content-Security-Policy': "default-src 'none'" };

const pages = new Map<string, Buffer>();

/**
 * The built-in page for a status, with an optional sentence under its title: fixed text only,
 * nothing from the request becomes markup.
 */
function builtInPage(status: number, note = ''): Buffer {
  const key = `${status}\0${note}`;
  let page = pages.get(key);
  if (!page) {
    const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
    page = Buffer.from(
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><h1>${title}</h1>${note && `<p>${note}</p>`}</html>\n`,
    );
    pages.set(key, page);
  }
  return page;
}

/** Writes an answer; HEAD gets the same headers and no body. */
export function sendAnswer(req: IncomingMessage, res: ServerResponse, { status, headers, body }: Answer): void {
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A status with its built-in page, or with `body`, a user-supplied page (the root's `404.html`: its own markup and assets, so no restrictive CSP). */
export function pageAnswer(status: number, extraHeaders: Record<string, string> = {}, body?: Buffer): Answer {
  const page = body ?? builtInPage(status);
  const base = body ? USER_PAGE_HEADERS : PAGE_HEADERS;
  return { status, headers: { ...base, ...extraHeaders, 'Content-Length': page.length }, body: page };
}

/** A built-in page with a sentence under its title (`note`: fixed text, HTML-escaped by the caller). */
export function pageWithNote(status: number, note: string, extraHeaders: Record<string, string> = {}): Answer {
  const page = builtInPage(status, note);
  return { status, headers: { ...PAGE_HEADERS, ...extraHeaders, 'Content-Length': page.length }, body: page };
}

/**
 * A built-in page as HTTP/1.1 bytes for a socket that no node:http response owns (a CONNECT, plain
 * HTTP on the HTTPS port), closing the connection after it.
 */
export function rawPage(status: number, extraHeaders: Record<string, string> = {}, note?: string): Buffer {
  const body = builtInPage(status, note);
  const headers = { ...PAGE_HEADERS, ...extraHeaders, 'Content-Length': body.length, Date: new Date().toUTCString(), Connection: 'close' };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Sends a status with its built-in page; HEAD gets the same headers and no body. */
export function sendPage(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  extraHeaders: Record<string, string> = {},
): void {
  sendAnswer(req, res, pageAnswer(status, extraHeaders));
}

/** A redirect (301 unless told) to a Location built with `locationFor` or from validated config. */
export function sendRedirect(req: IncomingMessage, res: ServerResponse, location: string, status = 301): void {
  sendPage(req, res, status, { Location: location });
}

/**
 * GET and HEAD go on to the pipeline (returns true). OPTIONS (including `OPTIONS *`) answers 204 with
 * `Allow`; every other method answers 405 with the same `Allow`.
 */
export function acceptMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { Allow: ALLOWED_METHODS });
    res.end();
  } else {
    sendPage(req, res, 405, { Allow: ALLOWED_METHODS });
  }
  return false;
}
