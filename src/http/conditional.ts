// Validators (ETag, Last-Modified) from metadata alone, HTTP-date parsing, and the RFC 9110 §13.2.2
// precondition evaluation that decides 304/412 before any file is opened.
import type { IncomingHttpHeaders } from 'node:http';
import type { Stats } from 'node:fs';

/**
 * A strong ETag from size, modification time (µs) and inode: it changes when a file is edited or
 * replaced, even with the same size within the same second, and never requires reading the file.
 */
export function etagFor(stats: Stats): string {
  const micros = Math.round(stats.mtimeMs * 1000);
  return `"${stats.size.toString(16)}-${micros.toString(16)}-${stats.ino.toString(16)}"`;
}

/** Last-Modified in whole seconds, never later than `nowMs` (RFC 9110 §8.8.2.1). */
export function lastModifiedSecondsFor(stats: Stats, nowMs: number): number {
  return Math.floor(Math.min(stats.mtimeMs, nowMs) / 1000);
}

export function formatHttpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function toSeconds(year: number, month: string, day: string, h: string, m: string, s: string): number | undefined {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, MONTHS.indexOf(month), Number(day));
  date.setUTCHours(Number(h), Number(m), Number(s));
  const ms = date.getTime();
  // Reject out-of-range fields (e.g. 31 Feb, 25:00) instead of letting Date roll them over.
  if (date.getUTCDate() !== Number(day) || date.getUTCHours() !== Number(h) || Number(m) > 59 || Number(s) > 60) {
    return undefined;
  }
  return Math.floor(ms / 1000);
}

/**
 * Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime)
 * to seconds since the epoch; anything else is `undefined`, so the header is ignored.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let match = IMF_FIXDATE.exec(text);
  if (match) return toSeconds(Number(match[3]), match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  match = RFC850_DATE.exec(text);
  if (match) {
    // RFC 9110: a two-digit year more than 50 years in the future is in the previous century.
    let year = 2000 + Number(match[3]);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    return toSeconds(year, match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  }
  match = ASCTIME_DATE.exec(text);
  if (match) return toSeconds(Number(match[6]), match[1]!, match[2]!.trim(), match[3]!, match[4]!, match[5]!);
  return undefined;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

function parseTagList(value: string): EntityTag[] {
  return Array.from(value.matchAll(/(W\/)?("[^"]*")/g), (m) => ({ weak: m[1] !== undefined, opaque: m[2]! }));
}

/**
 * Strong comparison (If-Match): both tags strong and identical. `ours` is always strong, or
 * undefined when ETags are off (then only `*`, "any current representation", matches).
 */
function matchesStrong(header: string, ours: string | undefined): boolean {
  if (header.trim() === '*') return true;
  return parseTagList(header).some((tag) => !tag.weak && tag.opaque === ours);
}

/** Weak comparison (If-None-Match): the opaque parts are identical, either tag may be weak. */
function matchesWeak(header: string, ours: string | undefined): boolean {
  if (header.trim() === '*') return true;
  return parseTagList(header).some((tag) => tag.opaque === ours);
}

export type PreconditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

/**
 * Evaluates the request's preconditions for a GET or HEAD of an existing representation, in the
 * order of RFC 9110 §13.2.2. (If-Range is the range step's business.)
 */
export function evaluatePreconditions(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  lastModifiedSeconds: number,
): PreconditionOutcome {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!matchesStrong(ifMatch, etag)) return 'precondition-failed';
  } else {
    const unmodifiedSince = parseHttpDate(headers['if-unmodified-since']);
    if (unmodifiedSince !== undefined && lastModifiedSeconds > unmodifiedSince) return 'precondition-failed';
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return matchesWeak(ifNoneMatch, etag) ? 'not-modified' : 'proceed';
  }
  const modifiedSince = parseHttpDate(headers['if-modified-since']);
  if (modifiedSince !== undefined && lastModifiedSeconds <= modifiedSince) return 'not-modified';
  return 'proceed';
}
