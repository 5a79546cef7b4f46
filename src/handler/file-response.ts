// A file's answer once its representation is chosen: 304/412 from the preconditions, 416, or 200/206
// (one range or multipart) from memory or from the opened file, every header from the version whose
// bytes are sent. HEAD and empty files never open it.
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { injectClient } from '../features/live-reload.js';
import type { FileCache } from '../files/file-cache.js';
import { openForReading, readWhole, sameVersion, type OpenFile, type Snapshot } from '../files/fs-access.js';
import { evaluatePreconditions } from '../http/conditional.js';
import { compressBytes } from '../http/encoding.js';
import { pageAnswer, sendAnswer, sendPage } from '../http/pages.js';
import { ifRangeAllows, multipartFraming, parseRange, type ByteRange, type Multipart } from '../http/range.js';
import { clientGone, streamCompressed, streamFile, streamMultipart } from '../http/streams.js';
import type { Answer, Entry, Representation } from '../types.js';
import type { KeptAnswer } from './answer-cache.js';
import { describeAgain, rangesApply, type SelectionPolicy } from './representation.js';

const WHOLE = { kind: 'whole' } as const;

/** Status, headers and body writer for the whole representation, one range, or several. */
interface BodyPlan {
  status: number;
  headers: Record<string, string | number>;
  /** Set for several ranges: the parts' framing. */
  framing?: Multipart;
  send(handle: FileHandle): void;
}

/** The bytes of a representation: in memory (the file cache, or made for this answer), or an opened file. */
type Source = ({ kind: 'memory' } & Snapshot) | ({ kind: 'file' } & OpenFile);

/** Closes an opened file that will not be sent; resolves to nothing for the caller to return. */
function release(source: Source | undefined): undefined {
  if (source?.kind === 'file') void source.handle.close().catch(() => {});
  return undefined;
}

/** The ranges of a body held in memory: one slice, or the multipart body with its framing. */
function rangesFromMemory(bytes: Buffer, ranges: ByteRange[], { framing }: BodyPlan): Buffer {
  if (!framing) return bytes.subarray(ranges[0]!.start, ranges[0]!.end + 1);
  const parts = ranges.flatMap(({ start, end }, index) => [Buffer.from(framing.partHeaders[index]!), bytes.subarray(start, end + 1)]);
  return Buffer.concat([...parts, Buffer.from(framing.closing)]);
}

/**
 * The Range that applies: the file's own bytes only (HEAD answers what GET would). Of an encoded
 * file, one range only: clients decode a Content-Encoding over the whole body, which in a multipart
 * answer would take in the part headers too, so several ranges get the whole file (RFC 9110 §14.2
 * lets a server ignore Range).
 */
function rangeOf(req: IncomingMessage, representation: Representation): ReturnType<typeof parseRange> | typeof WHOLE {
  const { etag, lastModifiedSeconds, file, coding } = representation;
  const ifRange = req.headers['if-range'];
  if (!rangesApply(representation.choice) || !ifRangeAllows(typeof ifRange === 'string' ? ifRange : undefined, etag, lastModifiedSeconds)) return WHOLE;
  const range = parseRange(req.headers.range, file.stats.size);
  return coding !== undefined && range.kind === 'partial' && range.ranges.length > 1 ? WHOLE : range;
}

/** Answers 304 or 412 when the request's preconditions say so (RFC 9110 §13.2.2); true if it did. */
export function answeredByPreconditions(req: IncomingMessage, res: ServerResponse, representation: Representation): boolean {
  const answer = preconditionAnswer(req.headers, representation);
  if (answer?.status === 304) {
    res.writeHead(304, answer.headers);
    res.end();
  } else if (answer) {
    sendAnswer(req, res, answer);
  }
  return answer !== undefined;
}

/** The 304 or 412 the request's preconditions call for (RFC 9110 §13.2.2), or undefined to go on. */
export function preconditionAnswer(headers: IncomingHttpHeaders, representation: Representation): Answer | undefined {
  const outcome = evaluatePreconditions(headers, representation.etag, representation.lastModifiedSeconds);
  if (outcome === 'not-modified') return notModified(representation);
  if (outcome === 'precondition-failed') return pageAnswer(412);
  return undefined;
}

/** Made once per representation: a kept file answer is revalidated over and over. */
const notModifiedAnswers = new WeakMap<Representation, Answer>();

/**
 * 304: no body, and the validator and caching headers the 200 would carry (RFC 9110 §15.4.5).
 * Last-Modified only without an ETag: §15.4.5 asks for no other metadata unless it guides the cache's
 * update, and gives Last-Modified without an ETag as the example of that.
 */
function notModified(representation: Representation): Answer {
  let answer = notModifiedAnswers.get(representation);
  if (!answer) {
    const { headers } = representation;
    const kept: Record<string, string | number> = {};
    for (const name of ['ETag', 'Cache-Control', 'Vary', 'Date']) {
      if (headers[name] !== undefined) kept[name] = headers[name];
    }
    if (headers.ETag === undefined && headers['Last-Modified'] !== undefined) kept['Last-Modified'] = headers['Last-Modified'];
    answer = { status: 304, headers: kept, body: Buffer.alloc(0) };
    notModifiedAnswers.set(representation, answer);
  }
  return answer;
}

/** Sends the answer for a chosen representation; resolves with what the answer cache may keep. */
export type SendFile = (req: IncomingMessage, res: ServerResponse, selected: Representation) => Promise<KeptAnswer | undefined>;

export function createFileResponse(cache: FileCache | undefined, policy: SelectionPolicy): SendFile {
  // One multipart boundary per handler: random, so no file's content can contain it by accident.
  // Made for the first multipart answer, so node:crypto stays unloaded until one is asked for.
  let boundary: string | undefined;
  const multipartBoundary = (): string => (boundary ??= `tiny-serve-${randomBytes(12).toString('hex')}`);

  /**
   * Preconditions, then 200, 206 or 416. The bytes are read (from the file cache) or the file is
   * opened before any header is written, so an unreadable file still becomes a clean 403, and when
   * the file was replaced since the lookup, the representation is described again from what was
   * read. Returns a whole answer from memory: what the answer cache may keep.
   */
  return async function sendFile(req, res, selected) {
    if (answeredByPreconditions(req, res, selected)) return undefined;
    const source = await openSource(req, selected);
    const representation = source && !sameVersion(source.stats, selected.file.stats) ? describeAgain(selected, source.stats, policy) : selected;
    if (representation !== selected && answeredByPreconditions(req, res, representation)) return release(source);
    const range = rangeOf(req, representation);
    if (range.kind === 'unsatisfiable') {
      sendPage(req, res, 416, { 'Content-Range': `bytes */${representation.file.stats.size}`, 'Accept-Ranges': 'bytes' });
      return release(source);
    }
    const ranges = range.kind === 'partial' ? range.ranges : undefined;
    const plan = planBody(req, res, ranges, representation);
    if (source?.kind === 'memory') {
      const body = ranges ? rangesFromMemory(source.bytes, ranges, plan) : source.bytes;
      const answer: Answer = { status: plan.status, headers: { ...plan.headers, 'Content-Length': body.length }, body };
      sendAnswer(req, res, answer);
      return ranges ? undefined : { kind: 'file', answer, representation };
    }
    if (!source) {
      res.writeHead(plan.status, plan.headers);
      res.end();
      return undefined;
    }
    if (clientGone(res)) return release(source);
    try {
      res.writeHead(plan.status, plan.headers);
      plan.send(source.handle);
    } catch (error) {
      // Until a stream owns the handle, closing it is this function's job.
      release(source);
      throw error;
    }
    return undefined;
  };

  /**
   * Where the bytes come from: memory (a small file, a compressed form, for HEAD too since its length
   * is a header; a page with the live-reload client), or the opened file. Undefined: nothing to read.
   */
  async function openSource(req: IncomingMessage, { file, coding, compressOnTheFly, choice }: Representation): Promise<Source | undefined> {
    if (choice.injected) return req.method === 'HEAD' && !coding ? undefined : injectedSource(file, coding);
    if (cache && compressOnTheFly) {
      const snapshot = await cache.compressed(file, coding!);
      if (snapshot) return { kind: 'memory', ...snapshot };
    }
    if (req.method === 'HEAD' || file.stats.size === 0) return undefined;
    const snapshot = cache && !compressOnTheFly ? await cache.contents(file) : undefined;
    if (snapshot) return { kind: 'memory', ...snapshot };
    return { kind: 'file', ...(await openForReading(file.realPath)) };
  }

  /** The page with the client script before its last `</body>`, compressed after the injection. */
  async function injectedSource(file: Entry, coding: Representation['coding']): Promise<Source> {
    // readWhole without a size limit always reads.
    const { bytes, stats } = ((await cache?.contents(file)) ?? (await readWhole(file.realPath)))!;
    const injected = injectClient(bytes, policy.liveTag);
    return { kind: 'memory', bytes: coding ? await compressBytes(injected, coding) : injected, stats };
  }

  function planBody(req: IncomingMessage, res: ServerResponse, ranges: ByteRange[] | undefined, representation: Representation): BodyPlan {
    const { headers, coding } = representation;
    const { size } = representation.file.stats;
    if (ranges?.length === 1) {
      const only = ranges[0]!;
      return {
        status: 206,
        headers: { ...headers, 'Content-Length': only.end - only.start + 1, 'Content-Range': `bytes ${only.start}-${only.end}/${size}` },
        send: (handle) => streamFile(handle, only, res),
      };
    }
    if (ranges) {
      const framing = multipartFraming(ranges, size, String(headers['Content-Type']), multipartBoundary());
      return {
        status: 206,
        headers: { ...headers, 'Content-Type': framing.contentType, 'Content-Length': framing.length },
        framing,
        send: (handle) => streamMultipart(handle, ranges, framing, res),
      };
    }
    if (!representation.compressOnTheFly) {
      return { status: 200, headers, send: (handle) => streamFile(handle, { start: 0, end: size - 1 }, res) };
    }
    return {
      status: 200,
      // HEAD says how GET's body is framed: chunked over HTTP/1.1, where its length is not known ahead.
      headers: req.method === 'HEAD' && req.httpVersion === '1.1' ? { ...headers, 'Transfer-Encoding': 'chunked' } : headers,
      send: (handle) => streamCompressed(handle, size, coding!, res),
    };
  }
}
