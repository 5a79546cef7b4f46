// The request log's line formats: `dev` (for people at a terminal), `combined` (Apache's and nginx's,
// for log tools) and `json` (one object per line). Each turns the facts of one finished response into
// one line, with nothing a request sent able to break that line or start another.
import type { ProxyNote } from '../features/proxy.js';
import type { Palette } from './log.js';

export const LOG_FORMATS = ['dev', 'combined', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What the log knows of one request once its response has closed. */
export interface RequestFacts {
  /** When the request arrived. */
  received: Date;
  /** When its response closed. */
  closed: Date;
  /** The client's address; undefined on a Unix socket. */
  address: string | undefined;
  /** The user --auth accepted; undefined without --auth or without accepted credentials. */
  user: string | undefined;
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  /** `1.1`, `1.0`, `2.0`. */
  httpVersion: string;
  status: number;
  /** Body bytes sent (0 for HEAD, a 304 or a bodiless answer). */
  bytes: number;
  durationMs: number;
  referer: string | undefined;
  userAgent: string | undefined;
  /** The connection closed before the whole response was sent. */
  aborted: boolean;
  /** Where a proxied request went, and what went wrong there. */
  proxy: ProxyNote | undefined;
}

/** Makes one line (without its newline) from a request's facts. */
export type LineFormat = (facts: RequestFacts) => string;

const hex = (byte: number): string => `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/** Control characters from a request never reach the terminal raw (no escape-sequence injection). */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function clock(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

/** ` → http://127.0.0.1:8080` for a proxied response, with what went wrong (`(ECONNREFUSED)`) if anything did. */
function proxiedTo(proxy: ProxyNote | undefined, palette: Palette): string {
  if (!proxy) return '';
  return ` ${palette.dim(`→ ${printable(proxy.target)}`)}${proxy.problem ? ` ${palette.red(`(${proxy.problem})`)}` : ''}`;
}

/** `14:03:22 GET /app.js 200 5120 B 0.8 ms`, then `aborted` and the proxy target when they apply. */
function devFormat(palette: Palette): LineFormat {
  return (facts) => {
    const { status } = facts;
    const colour = status >= 500 ? palette.red : status >= 400 ? palette.yellow : palette.green;
    const aborted = facts.aborted ? ` ${palette.red('aborted')}` : '';
    return (
      `${palette.dim(clock(facts.closed))} ${facts.method} ${printable(facts.url)} ${colour(String(status))} ` +
      `${facts.bytes} B ${facts.durationMs.toFixed(1)} ms${aborted}${proxiedTo(facts.proxy, palette)}`
    );
  };
}

/**
 * nginx's escaping (`escape=default`): a quote, a backslash and every byte outside printable ASCII
 * become `\xHH` (a character past Latin-1, which node never decodes a header into, by its UTF-8 bytes).
 * Unquoted fields escape spaces too, so the fields still split on them.
 */
function escapeField(text: string, unquoted = false): string {
  const unsafe = unquoted ? /[ "\\\x00-\x1f\x7f-\u{10ffff}]/gu : /["\\\x00-\x1f\x7f-\u{10ffff}]/gu;
  return text.replace(unsafe, (char) => {
    const code = char.codePointAt(0)!;
    return code <= 0xff ? hex(code) : [...Buffer.from(char, 'utf8')].map(hex).join('');
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (value: number): string => String(value).padStart(2, '0');

/** `10/Oct/2000:13:55:36 +0000`: the common log format's time, in UTC. */
function commonLogTime(date: Date): string {
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/**
 * `127.0.0.1 - alice [10/Oct/2000:13:55:36 +0000] "GET /a.gif HTTP/1.1" 200 2326 "http://x/" "curl/8.5.0"`:
 * the time the request arrived (as Apache's %t); `-` for no user, no body (as Apache's %b), no
 * referer or no user agent. Nothing more: tools parse this line by its exact shape.
 */
const combinedFormat: LineFormat = (facts) => {
  const quoted = (text: string | undefined): string => `"${text === undefined ? '-' : escapeField(text)}"`;
  const bare = (text: string | undefined): string => (text === undefined || text === '' ? '-' : escapeField(text, true));
  const requestLine = `${facts.method} ${facts.url} HTTP/${facts.httpVersion}`;
  return (
    `${bare(facts.address)} - ${bare(facts.user)} [${commonLogTime(facts.received)}] ${quoted(requestLine)} ` +
    `${facts.status} ${facts.bytes === 0 ? '-' : facts.bytes} ${quoted(facts.referer)} ${quoted(facts.userAgent)}`
  );
};

/**
 * One JSON object per line, every field always present (null when unknown). JSON.stringify escapes
 * quotes, backslashes and control characters; C1 controls and the Unicode line separators are
 * escaped too, as some line readers split on them.
 */
const jsonFormat: LineFormat = (facts) =>
  JSON.stringify({
    time: facts.received.toISOString(),
    address: facts.address ?? null,
    user: facts.user ?? null,
    method: facts.method,
    url: facts.url,
    protocol: `HTTP/${facts.httpVersion}`,
    status: facts.status,
    bytes: facts.bytes,
    durationMs: Math.round(facts.durationMs * 1000) / 1000,
    referer: facts.referer ?? null,
    userAgent: facts.userAgent ?? null,
    aborted: facts.aborted,
    proxy: facts.proxy ? { target: facts.proxy.target, problem: facts.proxy.problem ?? null } : null,
  }).replace(/[\x7f-\x9f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The line format for `--log-format`; the palette colours the dev format only. */
export function lineFormat(format: LogFormat, palette: Palette): LineFormat {
  if (format === 'combined') return combinedFormat;
  if (format === 'json') return jsonFormat;
  return devFormat(palette);
}
