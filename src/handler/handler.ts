// The request pipeline: method → target → lookup → representation → preconditions → range → body.
// `createHandler` does all option work once; the returned function only reads prepared values.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lookup, openForReading, readHead, readWhole, sameVersion, type OpenFile, type Snapshot } from '../files/fs-access.js';
import { createFileCache } from '../files/file-cache.js';
import { createWatches } from '../files/watches.js';
import { createLiveReload, injectClient, LIVE_SCRIPT_LENGTH } from '../features/live-reload.js';
import { SNIFF_BYTES, typeFromName } from '../http/mime.js';
import { acceptedCodings, compressBytes, etagForCoding } from '../http/encoding.js';
import { MIN_COMPRESS_SIZE } from './representation.js';
import { basicAuth, parseCredentials } from './auth.js';
import { NOT_FOUND_CODES, createLocator, type Located } from './locate.js';
import { listingAnswer, listingOrder, readListing, wantsJson, type ListingOrder } from '../features/listing.js';
import { isPreflight, responseHeaders, sendPreflight } from './response-headers.js';
import { etagFor, evaluatePreconditions, formatHttpDate, lastModifiedSecondsFor } from '../http/conditional.js';
import { cachePolicy } from './cache-policy.js';
import { acceptMethod, pageAnswer, sendAnswer, sendPage, sendRedirect } from '../http/pages.js';
import { ifRangeAllows, multipartFraming, parseRange, type ByteRange, type Multipart } from '../http/range.js';
import { describeAgain, selectRepresentation, type SelectionPolicy } from './representation.js';
import { makeRoot, parseTarget, relativeInside, type Root } from '../http/target.js';
import { clientGone, streamCompressed, streamFile, streamMultipart } from '../http/streams.js';
import { awaitTurn } from './pipelining.js';
import type { Answer, Entry, HandlerOptions, Representation } from '../types.js';

/**
 * The request listener. With `next` (Express/Connect middleware), a request it has nothing for (a
 * missing file, or a method other than GET/HEAD) goes on to `next()` instead of a 404 or 405.
 * `close()` stops the file cache's watches and live reload (a CLI need not call it).
 */
export type RequestHandler = {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** node:http2's compatibility API (`http2.createSecureServer({ allowHTTP1: true, … }, handler)`) works too. */
  (req: Http2ServerRequest, res: Http2ServerResponse, next?: (error?: unknown) => void): void;
  close(): void;
};


function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The status for an error that escaped the pipeline: 403, 404, 503 (out of descriptors, or a file
 * that kept changing while it was read: both pass) or 500.
 */
export function statusForError(error: unknown): number {
  const code = errorCode(error);
  if (code !== undefined && NOT_FOUND_CODES.has(code)) return 404;
  if (code === 'EACCES' || code === 'EPERM') return 403;
  if (code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN') return 503;
  return 500;
}

function defaultOnError(error: unknown, url: string): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tiny-serve: error serving ${JSON.stringify(url)}: ${message}\n`);
}

/** Resolves the root once: absolute, symlinks followed, and a directory (or a clear error). */
function resolveRoot(root: string): string {
  if (typeof root !== 'string' || root === '') throw new TypeError('createHandler: `root` must be a directory path');
  const absolute = resolve(root);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    throw new Error(`directory not found: ${absolute}`);
  }
  if (!statSync(real).isDirectory()) throw new Error(`not a directory: ${absolute}`);
  try {
    // Once, at creation: a root the server cannot list or enter would answer every request with 403.
    accessSync(real, constants.R_OK | constants.X_OK);
  } catch {
    throw new Error(`cannot read directory: ${absolute} (permission denied)`);
  }
  return real;
}

function validateOptions(options: HandlerOptions): void {
  const { cache } = options;
  if (cache !== undefined && !(Number.isInteger(cache) && cache >= 0)) {
    throw new TypeError(`createHandler: \`cache\` must be a whole number of seconds, got ${String(cache)}`);
  }
}

/**
 * Once, at creation: a single-page fallback that is not a file inside the root would answer every
 * client-side route with 404, which reads as a broken app rather than a typo.
 */
function checkFallback(root: Root, single: HandlerOptions['single']): void {
  if (!single) return;
  const name = single === true ? 'index.html' : single;
  const path = resolve(root.path, name.replace(/^\/+/, ''));
  if (relativeInside(root, path) === undefined) throw new Error(`single-page fallback ${name} is outside the served directory`);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // missing: said below
  }
  if (!isFile) throw new Error(`single-page fallback not found: ${path}`);
}

const WHOLE = { kind: 'whole' } as const;

/** How to answer with a representation once the file is open. */
interface BodyPlan {
  status: number;
  headers: Record<string, string | number>;
  /** Set for several ranges: the parts' framing. */
  framing?: Multipart;
  send(handle: FileHandle): void;
}

/** The bytes of a representation: in memory (from the file cache), or an opened file. */
type Source = ({ kind: 'memory' } & Snapshot) | ({ kind: 'file' } & OpenFile);

/** Closes an opened file that will not be sent; resolves to nothing for the caller to return. */
function release(source: Source | undefined): undefined {
  if (source?.kind === 'file') void source.handle.close().catch(() => {});
  return undefined;
}

/** The ranges of a file held in memory: one slice, or the multipart body with its framing. */
function rangesFromMemory(bytes: Buffer, ranges: ByteRange[], { framing }: BodyPlan): Buffer {
  if (!framing) return bytes.subarray(ranges[0]!.start, ranges[0]!.end + 1);
  const parts = ranges.flatMap(({ start, end }, index) => [Buffer.from(framing.partHeaders[index]!), bytes.subarray(start, end + 1)]);
  return Buffer.concat([...parts, Buffer.from(framing.closing)]);
}

export function createHandler(options: HandlerOptions): RequestHandler {
  validateOptions(options);
  const root = makeRoot(resolveRoot(options.root));
  checkFallback(root, options.single);
  // One watch per directory, shared: the file cache's invalidation and live reload's events.
  const watches = options.fileCache === false && !options.watch ? undefined : createWatches(root.path);
  const cache = watches && options.fileCache !== false ? createFileCache(root.path, watches) : undefined;
  const locator = createLocator(root, options, cache ? cache.lookup : lookup);
  const checkAuth = options.auth === undefined ? undefined : basicAuth(parseCredentials(options.auth));
  const cors = options.cors ?? false;
  const decorate = responseHeaders(options);
  const live = watches && options.watch ? createLiveReload(root.path, watches, options.watchIgnore) : undefined;
  const onError = options.onError ?? defaultOnError;
  const listingsInProgress = new Map<string, Promise<Answer>>();
  const notFoundPage = `${root.prefix}404.html`;
  // One multipart boundary per handler: random, so no file's content can contain it by accident.
  const boundary = `tiny-serve-${randomBytes(12).toString('hex')}`;
  const policy: SelectionPolicy = {
    compress: options.compress ?? true,
    etag: options.etag ?? true,
    cacheControlFor: cachePolicy(options),
    findSibling: locator.lookupInside,
    headOf: cache ? cache.head : async (entry) => (await readHead(entry.realPath, SNIFF_BYTES)).bytes,
  };

  function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void {
    // A pipelined request opens nothing until the responses before it are done.
    const turn = awaitTurn(req, res);
    const served = turn === true ? serve(req, res, next) : turn.then((ready) => (ready ? serve(req, res, next) : undefined));
    served.catch((error: unknown) => fail(req, res, error));
  }
  // HTTP/2's compatibility request and response carry every member the pipeline uses.
  return Object.assign(handle, {
    close: () => {
      cache?.close();
      live?.close();
      watches?.close();
    },
  }) as RequestHandler;

  async function serve(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    await cache?.settle();
    const stamp = cache?.stamp() ?? 0;
    const target = parseTarget(req.url ?? '/');
    // Option headers go on every response, 401/405/400 included (a cross-origin client must be able
    // to read those too); path rules need a path.
    decorate?.(req, res, target.ok ? target.path : undefined);
    // A preflight carries no credentials by design, and reveals nothing: it skips auth.
    if (cors && isPreflight(req)) return sendPreflight(req, res);
    if (checkAuth && !checkAuth(req, res)) return;
    if (next && req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!acceptMethod(req, res)) return;
    if (!target.ok) return sendPage(req, res, 400);
    if (live?.handle(req, res, target.path)) return;
    const key = answerKey(req, target.path);
    const ready = key === undefined ? undefined : cache?.recall<CachedAnswer>(key);
    // A remembered 404 is the app's to answer when there is a next().
    if (ready && next && !ready.representation) return next();
    if (ready) return replay(req, res, ready);

    const located = await locator.locate(req, target);
    if (located.kind === 'redirect') return sendRedirect(req, res, located.location, located.status);
    if (located.kind === 'missing') {
      if (next) return next();
      const answer = await notFoundAnswer();
      // With an SPA fallback, whether a path is missing depends on Accept: say so, and keep no answer.
      if (options.single) answer.headers = { ...answer.headers, Vary: 'Accept' };
      sendAnswer(req, res, answer);
      if (key !== undefined && !options.single) cache?.remember(key, { answer }, stamp, answer.body.length + key.length);
      return;
    }
    if (located.kind === 'listing') return sendAnswer(req, res, await listing(located, wantsJson(req, located.query), stamp));

    const named = typeFromName(located.entry.realPath);
    if (live && named?.startsWith('text/html')) return sendLiveHtml(req, res, located.entry, named, located.vary);
    const representation = await selectRepresentation(req, located.entry, policy, located.vary);
    if (answeredByPreconditions(req, res, representation)) return;
    const sent = await sendRepresentation(req, res, representation);
    // A future mtime makes headers depend on the clock (Date); an SPA fallback depends on Accept.
    if (sent && key !== undefined && !located.vary && sent.representation.headers.Date === undefined) {
      cache?.remember(key, sent, stamp, sent.answer.body.length + key.length);
    }
  }

  /**
   * A directory listing, kept by the file cache until anything in the directory changes. Requests
   * that arrive while it is being built share that build instead of each statting every entry.
   */
  function listing(located: Extract<Located, { kind: 'listing' }>, json: boolean, stamp: number): Promise<Answer> {
    const directory = located.directory.realPath;
    const order = listingOrder(located.query);
    const key = `\0listing\0${directory}\0${located.urlPath}\0${json}\0${order.sort}\0${order.order}`;
    const ready = cache?.recall<Answer>(key);
    if (ready) return Promise.resolve(ready);
    // Join a build only if it started in this generation: one begun before a change may miss it.
    const build = `${key}\0${stamp}`;
    let building = listingsInProgress.get(build);
    if (!building) {
      building = buildListing(directory, located.urlPath, json, order, key, stamp).finally(() => listingsInProgress.delete(build));
      listingsInProgress.set(build, building);
    }
    return building;
  }

  async function buildListing(directory: string, urlPath: string, json: boolean, order: ListingOrder, key: string, stamp: number): Promise<Answer> {
    const watched = cache?.watchDirectory(directory) ?? false;
    const isListed = (name: string): boolean => locator.isListed(directory, name);
    const answer = listingAnswer(urlPath, await readListing(directory, urlPath, isListed, locator.lookupInside), json, order);
    if (watched) cache?.remember(key, answer, stamp, answer.body.length);
    return answer;
  }

  /**
   * HTML with the live-reload client injected: its own representation, with its own ETag (per
   * coding) and exact Content-Length; compressed after injection, never from a precompressed
   * sibling; no ranges offered, since the bytes are not the file's.
   */
  async function sendLiveHtml(req: IncomingMessage, res: ServerResponse, entry: Entry, contentType: string, vary?: string): Promise<void> {
    const describeLive = (stats: Stats): Representation => {
      const injectedSize = stats.size + LIVE_SCRIPT_LENGTH;
      const coding = policy.compress && injectedSize >= MIN_COMPRESS_SIZE ? acceptedCodings(req.headers['accept-encoding'])[0] : undefined;
      const now = Date.now();
      const lastModifiedSeconds = lastModifiedSecondsFor(stats, now);
      const etag = policy.etag ? etagForCoding(etagFor(stats).replace(/"$/, '-live"'), coding) : undefined;
      const headers: Record<string, string | number> = {
        'Content-Type': contentType,
        'Last-Modified': formatHttpDate(lastModifiedSeconds),
        'Cache-Control': 'no-cache',
        Vary: vary ? `Accept-Encoding, ${vary}` : 'Accept-Encoding',
        'X-Content-Type-Options': 'nosniff',
      };
      if (etag) headers.ETag = etag;
      if (coding) headers['Content-Encoding'] = coding;
      const file = { realPath: entry.realPath, stats };
      const choice = { original: file, contentType, negotiable: true, vary, coding, compressOnTheFly: false };
      return { choice, file, coding, compressOnTheFly: false, etag, lastModifiedSeconds, headers };
    };
    const looked = describeLive(entry.stats);
    if (answeredByPreconditions(req, res, looked)) return;
    const source = (await cache?.contents(entry)) ?? (await readWhole(entry.realPath));
    if (!source) throw new Error(`${entry.realPath} could not be read`);
    // The page changed since it was looked up: headers and preconditions follow the version read.
    const representation = sameVersion(source.stats, entry.stats) ? looked : describeLive(source.stats);
    if (representation !== looked && answeredByPreconditions(req, res, representation)) return;
    const injected = injectClient(source.bytes);
    const body = representation.coding ? await compressBytes(injected, representation.coding) : injected;
    sendAnswer(req, res, { status: 200, headers: { ...representation.headers, 'Content-Length': body.length }, body });
  }

  /** A remembered answer, after the preconditions that apply to it. */
  function replay(req: IncomingMessage, res: ServerResponse, { answer, representation }: CachedAnswer): void {
    if (representation && answeredByPreconditions(req, res, representation)) return;
    sendAnswer(req, res, answer);
  }

  /**
   * 200, 206 or 416 with the chosen representation. The bytes are read (from the file cache) or the
   * file is opened before any header is written, so an unreadable file still becomes a clean 403, and
   * every header describes the version whose bytes are sent: when the file was replaced since the
   * lookup, the representation is described again from the opened file. HEAD and empty bodies never
   * open it. Returns what the answer cache may keep: a whole answer from memory.
   */
  async function sendRepresentation(req: IncomingMessage, res: ServerResponse, selected: Representation): Promise<Required<CachedAnswer> | undefined> {
    const source = await openSource(req, selected);
    const representation = source && !sameVersion(source.stats, selected.file.stats) ? describeAgain(selected, source.stats, policy) : selected;
    if (representation !== selected && answeredByPreconditions(req, res, representation)) return release(source);
    const { size } = representation.file.stats;
    const range = rangeOf(req, representation);
    if (range.kind === 'unsatisfiable') {
      sendPage(req, res, 416, { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
      return release(source);
    }
    const ranges = range.kind === 'partial' ? range.ranges : undefined;
    const plan = planBody(req, ranges, representation, res);
    if (source?.kind === 'memory') {
      const body = ranges ? rangesFromMemory(source.bytes, ranges, plan) : source.bytes;
      const answer: Answer = { status: plan.status, headers: { ...plan.headers, 'Content-Length': body.length }, body };
      sendAnswer(req, res, answer);
      return ranges ? undefined : { answer, representation };
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
  }

  /**
   * Where the bytes come from: the file cache's memory (a small file, or a compressed form, for HEAD
   * too, since its length is a header), or the opened file. Undefined: nothing to read (HEAD, empty).
   */
  async function openSource(req: IncomingMessage, { file, coding, compressOnTheFly }: Representation): Promise<Source | undefined> {
    if (cache && compressOnTheFly) {
      const snapshot = await cache.compressed(file, coding!);
      if (snapshot) return { kind: 'memory', ...snapshot };
    }
    if (req.method === 'HEAD' || file.stats.size === 0) return undefined;
    const snapshot = cache && !compressOnTheFly ? await cache.contents(file) : undefined;
    if (snapshot) return { kind: 'memory', ...snapshot };
    const opened = await openForReading(file.realPath);
    return { kind: 'file', ...opened };
  }

  /** The Range that applies: ranges are for the identity representation only (HEAD answers what GET would). */
  function rangeOf(req: IncomingMessage, { coding, etag, lastModifiedSeconds, file }: Representation): ReturnType<typeof parseRange> | typeof WHOLE {
    const ifRange = req.headers['if-range'];
    return coding === undefined && ifRangeAllows(typeof ifRange === 'string' ? ifRange : undefined, etag, lastModifiedSeconds)
      ? parseRange(req.headers.range, file.stats.size)
      : WHOLE;
  }

  /** Status, headers and body writer for the whole representation, one range, or several. */
  function planBody(req: IncomingMessage, ranges: ByteRange[] | undefined, representation: Representation, res: ServerResponse): BodyPlan {
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
      const framing = multipartFraming(ranges, size, String(headers['Content-Type']), boundary);
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

  /** 404 with the root's `404.html` when there is one, else the built-in page. */
  async function notFoundAnswer(): Promise<Answer> {
    const page = await locator.lookupInside(notFoundPage).catch(() => undefined);
    const read = async (entry: Entry): Promise<Buffer | undefined> =>
      ((await cache?.contents(entry)) ?? (await readWhole(entry.realPath)))?.bytes;
    const body = page?.stats.isFile() ? await read(page).catch(() => undefined) : undefined;
    // The site's own 404 page reloads too under --watch (the built-in one runs no scripts).
    return pageAnswer(404, {}, body && live ? injectClient(body) : body);
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const status = statusForError(error);
    if (status === 500) onError(error, req.url ?? '');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    try {
      sendPage(req, res, status, status === 503 ? { 'Retry-After': '1' } : {});
    } catch (pageError) {
      onError(pageError, req.url ?? '');
      res.destroy();
    }
  }
}

/**
 * The answer cache's key: GET/HEAD without Range or If-Range (whose answers depend on more than
 * the file), by path and accepted codings. Undefined: do not cache.
 */
function answerKey(req: IncomingMessage, path: string): string | undefined {
  const { headers } = req;
  if (headers.range !== undefined || headers['if-range'] !== undefined) return undefined;
  // The decoded path (the query never changes a file's answer) and the codings the client takes.
  return `${path}\0${acceptedCodings(headers['accept-encoding']).join(',')}`;
}

/** What the answer cache keeps: the answer, and for a file the validators its preconditions need. */
interface CachedAnswer {
  answer: Answer;
  representation?: Representation;
}

/** Answers 304 or 412 when the request's preconditions say so (RFC 9110 §13.2.2); true if it did. */
function answeredByPreconditions(req: IncomingMessage, res: ServerResponse, representation: Representation): boolean {
  const outcome = evaluatePreconditions(req.headers, representation.etag, representation.lastModifiedSeconds);
  if (outcome === 'not-modified') sendNotModified(res, representation);
  else if (outcome === 'precondition-failed') sendPage(req, res, 412);
  return outcome !== 'proceed';
}

/** 304: no body, and the validators and caching headers the 200 would carry (RFC 9110 §15.4.5). */
function sendNotModified(res: ServerResponse, { headers }: Representation): void {
  const kept: Record<string, string | number> = {};
  for (const name of ['ETag', 'Last-Modified', 'Cache-Control', 'Vary', 'Date']) {
    if (headers[name] !== undefined) kept[name] = headers[name];
  }
  res.writeHead(304, kept);
  res.end();
}
