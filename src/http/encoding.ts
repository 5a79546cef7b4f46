// Content codings (RFC 9110 §12.5.3): Accept-Encoding negotiation, which types are worth compressing,
// the per-coding ETag that keeps every encoded representation distinct, and which encoded files asked
// for by their own name (`game.wasm.br`) are served with their coding.
import { extname } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import db from 'mime-db';
import type { Coding } from '../types.js';
import { typeFromName } from './mime.js';

export type Choice = Coding | 'identity';

/** Server preference when q-values tie. */
const PREFERENCE: Choice[] = ['br', 'gzip', 'identity'];
/** File-name suffix of a precompressed sibling of each coding. */
export const SIBLING_SUFFIX: Record<Coding, string> = { br: '.br', gzip: '.gz' };

function parseQ(params: string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=').map((part) => part.trim());
    if (name?.toLowerCase() === 'q') {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}

/** q-value of each listed coding (lower-cased), `*` included. An empty field lists nothing. */
function parseAcceptEncoding(header: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const item of header.split(',')) {
    const [coding, ...params] = item.split(';');
    const name = coding!.trim().toLowerCase();
    if (name !== '') weights.set(name, parseQ(params));
  }
  return weights;
}

const choices = new Map<string, Choice[]>();
const MAX_REMEMBERED = 256;

/**
 * The acceptable choices for an Accept-Encoding value, best first (highest q, then br > gzip >
 * identity). Identity is acceptable unless `identity;q=0`, or `*;q=0` without an identity entry; when
 * nothing is acceptable the list is just identity (sending the unencoded form beats a 406). An empty
 * value accepts identity only.
 * Results are remembered per header value: browsers send the same few values over and over.
 */
export function acceptableCodings(header: string | undefined): Choice[] {
  if (header === undefined) return ['identity'];
  let result = choices.get(header);
  if (result) return result;
  const weights = parseAcceptEncoding(header);
  const star = weights.get('*');
  // Unlisted identity takes `*`'s weight, else the lowest weight listed: it stays acceptable, but a
  // listed coding is not outranked by an identity the client never mentioned.
  const listed = [...weights.values()].filter((q) => q > 0);
  const identityWeight = weights.get('identity') ?? star ?? (listed.length > 0 ? Math.min(...listed) : 1);
  const weightOf = (choice: Choice): number =>
    choice === 'identity' ? identityWeight : (weights.get(choice) ?? star ?? 0);
  result = PREFERENCE.filter((choice) => weightOf(choice) > 0).sort((a, b) => weightOf(b) - weightOf(a));
  if (result.length === 0) result = ['identity'];
  if (choices.size >= MAX_REMEMBERED) choices.clear();
  choices.set(header, result);
  return result;
}

/**
 * Whether compressing a type pays: mime-db's `compressible` flag (text, JS, JSON, SVG, wasm...), with
 * any `text/*` counted in. Never the catch-all octet-stream: an unknown file is often compressed data.
 */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/octet-stream') return false;
  const known = (db as Record<string, { compressible?: boolean }>)[type]?.compressible;
  return known ?? type.startsWith('text/');
}

/**
 * Types a page loads for itself: documents, scripts, styles, wasm, JSON, XML and SVG, fonts. Only
 * these are labelled with their coding when asked for by an encoded name: a browser decodes a
 * Content-Encoding on the way, so `archive.tar.gz` or `notes.txt.gz` saved from a link would hold
 * bytes that no longer match their name.
 */
const WEB_ASSET_TYPES = new Set(['text/html', 'text/css', 'text/javascript', 'application/javascript', 'application/json', 'application/xml', 'text/xml', 'application/wasm']);

function isWebAsset(type: string): boolean {
  const essence = type.split(';')[0]!.trim().toLowerCase();
  return WEB_ASSET_TYPES.has(essence) || essence.startsWith('font/') || essence.endsWith('+json') || essence.endsWith('+xml');
}

/** Web assets whose extension has no registered type: Unity WebGL's `.data` (its `game.data.br`). */
const UNTYPED_WEB_ASSETS: Record<string, string> = { '.data': 'application/octet-stream' };

/** What an encoded name stands for: the coding of the file's bytes and the type of what they decode to. */
export interface EncodedName {
  coding: Coding;
  contentType: string;
}

/**
 * A file name ending in a coding's suffix whose inner name is a web asset (`game.wasm.br` → br,
 * application/wasm; `game.data.gz` → gzip, application/octet-stream); undefined for any other
 * (`archive.tar.gz`, `photo.png.br`, `pre.gz`), which stays a file of its own type.
 */
export function encodedName(filePath: string): EncodedName | undefined {
  const lower = filePath.toLowerCase();
  const coding = (Object.keys(SIBLING_SUFFIX) as Coding[]).find((candidate) => lower.endsWith(SIBLING_SUFFIX[candidate]));
  if (coding === undefined) return undefined;
  const inner = filePath.slice(0, -SIBLING_SUFFIX[coding].length);
  const named = typeFromName(inner);
  const contentType = named !== undefined && isWebAsset(named) ? named : UNTYPED_WEB_ASSETS[extname(inner).toLowerCase()];
  return contentType === undefined ? undefined : { coding, contentType };
}

/** The ETag of an encoded representation: the identity tag with the coding inside the quotes. */
export function etagForCoding(identityEtag: string, coding: Coding | undefined): string {
  return coding === undefined ? identityEtag : `${identityEtag.slice(0, -1)}-${coding}"`;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * Brotli quality and gzip level of every on-the-fly compression, in memory or while streaming: one
 * setting, since both forms of a file carry the same `-br` or `-gzip` ETag. Brotli 4 is near gzip's
 * speed and still smaller (11 is for builds).
 */
export const BROTLI_QUALITY = 4;
export const GZIP_LEVEL = 6;

/** Compresses a whole body in memory. */
export function compressBytes(source: Buffer, coding: Coding): Promise<Buffer> {
  return coding === 'br'
    ? brotliAsync(source, { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: source.length } })
    : gzipAsync(source, { level: GZIP_LEVEL });
}

/** The codings the client prefers to identity, best first (empty: send identity). */
export function preferredCodings(header: string | undefined): Coding[] {
  const codings = acceptableCodings(header);
  const identity = codings.indexOf('identity');
  return (identity === -1 ? codings : codings.slice(0, identity)) as Coding[];
}
