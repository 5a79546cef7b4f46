// Byte ranges (RFC 9110 §14): parsing a Range header against a size, If-Range, multipart framing.
import { parseHttpDate } from './conditional.js';

/** An inclusive byte range within a representation. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeRequest =
  /** No Range, an invalid one, another unit, or too many parts: send the whole representation. */
  | { kind: 'whole' }
  /** Valid syntax but no part overlaps the representation: 416. */
  | { kind: 'unsatisfiable' }
  /** One or more satisfiable, sorted and coalesced ranges: 206. */
  | { kind: 'partial'; ranges: ByteRange[] };

/** Above this many range-specs the header is ignored (200): a cheap guard against amplification. */
export const MAX_RANGE_SPECS = 32;

const WHOLE: RangeRequest = { kind: 'whole' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };
const DIGITS = /^\d+$/;

type Spec = { kind: 'from'; first: number; last?: number } | { kind: 'suffix'; length: number };

/** One range-spec (`a-b`, `a-`, `-n`), OWS around the numbers tolerated; `undefined` if invalid. */
function parseSpec(text: string): Spec | undefined {
  const dash = text.indexOf('-');
  if (dash === -1) return undefined;
  const first = text.slice(0, dash).trim();
  const last = text.slice(dash + 1).trim();
  if (first === '') return DIGITS.test(last) ? { kind: 'suffix', length: Number(last) } : undefined;
  if (!DIGITS.test(first)) return undefined;
  if (last === '') return { kind: 'from', first: Number(first) };
  if (!DIGITS.test(last) || Number(last) < Number(first)) return undefined;
  return { kind: 'from', first: Number(first), last: Number(last) };
}

/** The part of a spec inside `size` bytes, or `undefined` when it is unsatisfiable (§14.1.2). */
function clamp(spec: Spec, size: number): ByteRange | undefined {
  if (spec.kind === 'suffix') {
    return spec.length === 0 || size === 0 ? undefined : { start: Math.max(0, size - spec.length), end: size - 1 };
  }
  if (spec.first >= size) return undefined;
  return { start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) };
}

/** Sorts ranges and merges those that overlap or touch, so no byte is ever sent twice. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [sorted[0]!];
  for (const range of sorted.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** Interprets a Range header for a representation of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return WHOLE;
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return WHOLE;
  const texts = header
    .slice(equals + 1)
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '');
  if (texts.length === 0 || texts.length > MAX_RANGE_SPECS) return WHOLE;
  const satisfiable: ByteRange[] = [];
  for (const text of texts) {
    const spec = parseSpec(text);
    if (!spec) return WHOLE;
    // A non-zero suffix of an empty representation is satisfiable (§14.1.2) yet has no byte a 206
    // could carry: the whole (empty) representation is the answer, never a 416.
    if (size === 0 && spec.kind === 'suffix' && spec.length > 0) return WHOLE;
    const range = clamp(spec, size);
    if (range) satisfiable.push(range);
  }
  return satisfiable.length === 0 ? UNSATISFIABLE : { kind: 'partial', ranges: coalesce(satisfiable) };
}

/**
 * If-Range (§13.1.5): an entity-tag must match the current strong ETag exactly (a weak tag never
 * matches); a date must equal Last-Modified. Without If-Range the range applies.
 */
export function ifRangeAllows(header: string | undefined, etag: string | undefined, lastModifiedSeconds: number): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return etag !== undefined && value === etag;
  return parseHttpDate(value) === lastModifiedSeconds;
}

/** The framing of a multipart/byteranges body: each part's header, the closing delimiter, the length. */
export interface Multipart {
  contentType: string;
  partHeaders: string[];
  closing: string;
  length: number;
}

export function multipartFraming(ranges: ByteRange[], size: number, type: string, boundary: string): Multipart {
  const partHeaders = ranges.map(
    (range) => `\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
  );
  const closing = `\r\n--${boundary}--\r\n`;
  let length = Buffer.byteLength(closing);
  ranges.forEach((range, index) => {
    length += Buffer.byteLength(partHeaders[index]!) + range.end - range.start + 1;
  });
  return { contentType: `multipart/byteranges; boundary=${boundary}`, partHeaders, closing, length };
}
