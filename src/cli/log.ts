// Terminal output: writers that never stop the server, colours (TTY only, never with NO_COLOR) and the
// one-line-per-response request log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { proxyNote } from '../features/proxy.js';

/**
 * A writer to `stream` that output trouble never stops: once a write fails (EPIPE after the reader of
 * `tiny-serve | head -2` has left), the error is swallowed and nothing more is written there. Given
 * a function, the stream is taken on the first write: node builds process.stderr when first read,
 * a few milliseconds a start that writes nothing there need not spend.
 */
export function safeWriter(stream: NodeJS.WritableStream | (() => NodeJS.WritableStream)): (text: string) => void {
  let target: NodeJS.WritableStream | undefined;
  let failed = false;
  const open = (): NodeJS.WritableStream => {
    target = typeof stream === 'function' ? stream() : stream;
    target.on('error', () => {
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
const PLAIN: Palette = { bold: identity, dim: identity, cyan: identity, green: identity, yellow: identity, red: identity };
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

/** Control characters from a request never reach the terminal raw (no escape-sequence injection). */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function clock(date: Date): string {
  return date.toTimeString().slice(0, 8);
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

/** ` → http://127.0.0.1:8080` for a proxied response, with what went wrong (`(ECONNREFUSED)`) if anything did. */
function proxiedTo(res: ServerResponse, palette: Palette): string {
  const note = proxyNote(res);
  if (!note) return '';
  return ` ${palette.dim(`→ ${printable(note.target)}`)}${note.problem ? ` ${palette.red(`(${note.problem})`)}` : ''}`;
}

/**
 * Returns a listener to call at the start of each request; it writes one line when the response
 * ends: time, method, path, status, body bytes, duration in ms (and "aborted" when the client left),
 * and the target of a proxied one. A WebSocket tunnel's line (101) comes when it closes.
 */
export function requestLogger(write: (line: string) => void, palette: Palette) {
  return function logRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const bodyBytes = countBodyBytes(res);
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = res.statusCode;
      const colour = status >= 500 ? palette.red : status >= 400 ? palette.yellow : palette.green;
      const aborted = res.writableFinished ? '' : ` ${palette.red('aborted')}`;
      write(
        `${palette.dim(clock(new Date()))} ${req.method} ${printable(req.url ?? '')} ${colour(String(status))} ` +
          `${req.method === 'HEAD' ? 0 : bodyBytes()} B ${ms.toFixed(1)} ms${aborted}${proxiedTo(res, palette)}\n`,
      );
    });
  };
}
