// Output: writers that never stop the server, colours (TTY only, never with NO_COLOR) and the
// one-line-per-response request log (its line formats are in log-formats.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { proxyNote } from '../features/proxy.js';
import { authenticatedUser } from '../handler/auth.js';
import type { LineFormat, RequestFacts } from './log-formats.js';

/**
 * A writer to `stream` that output trouble never stops: once a write fails (EPIPE after the reader of
 * `tiny-serve | head -2` has left), the error is swallowed and nothing more is written there. Given
 * a function, the stream is taken on the first write: node builds process.stderr when first read,
 * a few milliseconds a start that writes nothing there need not spend. `onFailure` hears of the
 * failure once (the log file reports it on stderr).
 */
export function safeWriter(
  stream: NodeJS.WritableStream | (() => NodeJS.WritableStream),
  onFailure?: (error: Error) => void,
): (text: string) => void {
  let target: NodeJS.WritableStream | undefined;
  let failed = false;
  const open = (): NodeJS.WritableStream => {
    target = typeof stream === 'function' ? stream() : stream;
    target.on('error', (error: Error) => {
      if (!failed) onFailure?.(error);
      failed = true;
    });
    return target;
  };
  if (typeof stream !== 'function') open();
  return (text) => {
    if (!failed) (target ?? open()).write(text);
  };
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

function ansi(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

const identity = (text: string): string => text;
export const PLAIN: Palette = { bold: identity, dim: identity, cyan: identity, green: identity, yellow: identity, red: identity };
const COLOURED: Palette = {
  bold: ansi(1, 22),
  dim: ansi(2, 22),
  cyan: ansi(36, 39),
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  red: ansi(31, 39),
};

/** Colour only for a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Palette {
  return stream.isTTY === true && !env.NO_COLOR ? COLOURED : PLAIN;
}

/**
 * Counts the body bytes handed to `res` (headers given to writeHead are not readable back, and a
 * compressed body has no Content-Length to read anyway).
 */
function countBodyBytes(res: ServerResponse): () => number {
  let bytes = 0;
  const count = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const { write, end } = res;
  // node:http2's compatibility end(chunk) hands the chunk to write(): counted once, in end.
  let ending = false;
  res.write = function countedWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (!ending) count(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof res.write;
  res.end = function countedEnd(this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') count(chunk, rest[0]);
    ending = true;
    try {
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } finally {
      ending = false;
    }
  } as typeof res.end;
  return () => bytes;
}

/** The address of the client, read while the connection is open (a closed socket no longer knows it). */
function clientAddress(req: IncomingMessage): string | undefined {
  return req.socket.remoteAddress;
}

/** A request header as one string (node joins repeats of most fields; a list is joined here). */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Returns a listener to call at the start of each request; it writes one line, in `format`, when
 * the response closes: a finished, failed, redirected or aborted one alike, with the target of a
 * proxied one. A WebSocket tunnel's line (101) comes when it closes.
 */
export function requestLogger(write: (line: string) => void, format: LineFormat) {
  return function logRequest(req: IncomingMessage, res: ServerResponse): void {
    const received = new Date();
    const started = process.hrtime.bigint();
    const address = clientAddress(req);
    const bodyBytes = countBodyBytes(res);
    res.once('close', () => {
      const facts: RequestFacts = {
        received,
        closed: new Date(),
        address,
        user: authenticatedUser(req),
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        status: res.statusCode,
        bytes: req.method === 'HEAD' ? 0 : bodyBytes(),
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        referer: header(req, 'referer'),
        userAgent: header(req, 'user-agent'),
        aborted: !res.writableFinished,
        proxy: proxyNote(res),
      };
      write(`${format(facts)}\n`);
    });
  };
}
