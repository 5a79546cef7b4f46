// Choosing what to send for a file: the identity bytes, a precompressed sibling, or on-the-fly
// compression (RFC 9110 §12.5.3), and the validators and headers of that representation.
import { basename } from 'node:path';
import type { Stats } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { etagFor, formatHttpDate, lastModifiedSecondsFor } from '../http/conditional.js';
import { SIBLING_SUFFIX, encodedName, preferredCodings, etagForCoding, isCompressible, type EncodedName } from '../http/encoding.js';
import { typeFromBytes, typeFromName } from '../http/mime.js';
import type { Coding, Entry, Representation, RepresentationChoice } from '../types.js';

/** Smaller bodies are sent as they are: compressing them saves less than it costs. */
export const MIN_COMPRESS_SIZE = 1024;

/** What `select` needs from the handler's options, prepared once. */
export interface SelectionPolicy {
  compress: boolean;
  etag: boolean;
  cacheControlFor(fileName: string, contentType: string): string;
  /** Looks a sibling path up under the same safety rules as any request (inside root, not hidden). */
  findSibling(path: string): Promise<Entry | undefined>;
  /** The first bytes of a file (SNIFF_BYTES), for its type when its name does not tell. */
  headOf(entry: Entry): Promise<Buffer>;
  /** The live-reload script tag injected into HTML under --watch (its src is under the base); empty without. */
  liveTag: Buffer;
}

/** The Content-Type of a file: from its name, or (an unknown extension, `.ts`) from its first bytes. */
export async function contentTypeOf(entry: Entry, policy: SelectionPolicy): Promise<string> {
  return typeFromName(entry.realPath) ?? typeFromBytes(entry.realPath, await policy.headOf(entry), entry.stats.size);
}

/**
 * The representation to send for `entry`. Compressible types are negotiable (and so vary on
 * Accept-Encoding); a request with Range gets the identity bytes, since ranges apply to identity.
 * `vary` names further request headers the choice of this file depended on. A file asked for by an
 * encoded name (`game.wasm.br`) is chosen apart (selectByEncodedName).
 */
export async function selectRepresentation(
  req: IncomingMessage,
  entry: Entry,
  policy: SelectionPolicy,
  vary?: string,
): Promise<Representation> {
  const encoded = encodedName(entry.realPath);
  if (encoded) return selectByEncodedName(req, entry, encoded, policy, vary);
  const contentType = await contentTypeOf(entry, policy);
  const negotiable = isCompressible(contentType);
  const build = (file: Entry, coding: Coding | undefined, compressOnTheFly: boolean): Representation =>
    describe({ original: entry, contentType, negotiable, vary, coding, compressOnTheFly, injected: 0 }, file, policy);
  if (!negotiable || req.headers.range !== undefined) return build(entry, undefined, false);

  const accepted = preferredCodings(req.headers['accept-encoding']);
  for (const coding of accepted) {
    const sibling = await policy.findSibling(entry.realPath + SIBLING_SUFFIX[coding]);
    // A sibling older than its original is stale (the original was rebuilt since): never serve it.
    if (sibling?.stats.isFile() && sibling.stats.mtimeMs >= entry.stats.mtimeMs) return build(sibling, coding, false);
  }
  const onTheFly = accepted[0];
  if (onTheFly && policy.compress && entry.stats.size >= MIN_COMPRESS_SIZE) return build(entry, onTheFly, true);
  return build(entry, undefined, false);
}

/**
 * A file asked for by an encoded name (`game.wasm.br`, see encodedName): when the client takes the
 * coding, its bytes as they are, labelled with that coding and the inner file's type, its ETag the
 * coding's (`…-br"`: not the tag the same URL carries unlabelled); otherwise a file of its own type,
 * as any other `.br`/`.gz`. The choice is by Accept-Encoding (as the answer cache keys it: a coding
 * preferred to identity), so both vary on it; neither is ever compressed again.
 */
async function selectByEncodedName(req: IncomingMessage, entry: Entry, { coding, contentType }: EncodedName, policy: SelectionPolicy, vary?: string): Promise<Representation> {
  const labelled = preferredCodings(req.headers['accept-encoding']).includes(coding);
  const chosen = labelled ? { contentType, coding, byName: true } : { contentType: await contentTypeOf(entry, policy), coding: undefined };
  return describe({ original: entry, negotiable: true, vary, compressOnTheFly: false, injected: 0, ...chosen }, entry, policy);
}

/** Whether Range applies: to the file's own bytes, identity or labelled by name; never to bytes made or added here. */
export function rangesApply({ injected, coding, byName }: RepresentationChoice): boolean {
  return !injected && (coding === undefined || byName === true);
}

/**
 * HTML with the live-reload client injected: its own representation, compressed after injection
 * (never from a precompressed sibling) when it is big enough and the client accepts it; its own
 * ETag (`…-live`, per coding); always revalidated; no ranges, since its bytes are not the file's.
 */
export function selectLiveRepresentation(req: IncomingMessage, entry: Entry, contentType: string, policy: SelectionPolicy, vary?: string): Representation {
  const injected = policy.liveTag.length;
  const big = entry.stats.size + injected >= MIN_COMPRESS_SIZE;
  const coding = policy.compress && big ? preferredCodings(req.headers['accept-encoding'])[0] : undefined;
  const choice = { original: entry, contentType, negotiable: true, vary, coding, compressOnTheFly: coding !== undefined, injected };
  return describe(choice, entry, policy);
}

/**
 * The same choice described again for `stats`: the metadata of the file as it was opened, when it
 * changed after the lookup (a save that renamed a new version into place). Every header follows.
 */
export function describeAgain(representation: Representation, stats: Stats, policy: SelectionPolicy): Representation {
  const { choice, file } = representation;
  const fresh = { realPath: file.realPath, stats };
  const original = choice.original.realPath === file.realPath ? fresh : choice.original;
  return describe({ ...choice, original }, fresh, policy);
}

/** An ETag for bytes that are not the file's own: the client script injected. */
const INJECTED_TAG = '-live';

function describe(choice: RepresentationChoice, file: Entry, policy: SelectionPolicy): Representation {
  const { original, contentType, negotiable, vary, coding, compressOnTheFly, injected } = choice;
  const now = Date.now();
  const lastModifiedSeconds = lastModifiedSecondsFor(file.stats, now);
  const fileTag = etagFor(file.stats);
  const etag = policy.etag ? etagForCoding(injected ? `${fileTag.slice(0, -1)}${INJECTED_TAG}"` : fileTag, coding) : undefined;
  const headers: Record<string, string | number> = { 'Content-Type': contentType };
  if (!compressOnTheFly) headers['Content-Length'] = file.stats.size + injected;
  if (coding) headers['Content-Encoding'] = coding;
  headers['Last-Modified'] = formatHttpDate(lastModifiedSeconds);
  // A future mtime is clamped to now: send Date from the same clock, since Node's cached Date
  // string can lag a second behind and would then precede Last-Modified.
  if (file.stats.mtimeMs > now) headers.Date = formatHttpDate(Math.floor(now / 1000));
  if (etag) headers.ETag = etag;
  if (rangesApply(choice)) headers['Accept-Ranges'] = 'bytes';
  // A page with the live-reload client changes with every save: always revalidated.
  headers['Cache-Control'] = injected ? 'no-cache' : policy.cacheControlFor(basename(original.realPath), contentType);
  const varies = [negotiable ? 'Accept-Encoding' : undefined, vary].filter(Boolean);
  if (varies.length > 0) headers.Vary = varies.join(', ');
  headers['X-Content-Type-Options'] = 'nosniff';
  return { choice, file, coding, compressOnTheFly, etag, lastModifiedSeconds, headers };
}
