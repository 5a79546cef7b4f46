// The request pipeline and its wiring: method → target → answer cache → locate → representation →
// file response. `createHandler` does all option work once; each request only reads prepared values.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { lookup, readHead } from '../files/fs-access.js';
import { createFileCache } from '../files/file-cache.js';
import { createWatches } from '../files/watches.js';
import { createLiveReload } from '../features/live-reload.js';
import { createProxy } from '../features/proxy.js';
import { listingAnswer, listingOrder, readListing, wantsJson } from '../features/listing.js';
import { SNIFF_BYTES, typeFromName } from '../http/mime.js';
import { acceptMethod, sendAnswer, sendPage, sendRedirect } from '../http/pages.js';
import { makeRoot, parseTarget, relativeInside, type Root } from '../http/target.js';
import type { Answer, HandlerOptions, Representation } from '../types.js';
import { UserError } from '../errors.js';
import { createAnswerCache, type KeptAnswer } from './answer-cache.js';
import { basicAuth, parseCredentials } from './auth.js';
import { basePathOf, locationUnderBase, scopeToBase, type OutsideBase } from './base-path.js';
import { cachePolicy } from './cache-policy.js';
import { answeredByPreconditions, createFileResponse, preconditionAnswer } from './file-response.js';
import { createNotFound } from './not-found.js';
import { NOT_FOUND_CODES, createLocator, type Located } from './locate.js';
import { awaitTurn } from './pipelining.js';
import { selectLiveRepresentation, selectRepresentation, type SelectionPolicy } from './representation.js';
import { headerRewriter, isPreflight, proxiedIsolationHeaders, responseHeaders, sendPreflight } from './response-headers.js';

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
  /** True when a proxy is configured: upgrade requests (WebSocket) should reach the handler, to be tunnelled. */
  readonly upgrades: boolean;
  /**
   * For a server that can write an answer without a request and response object (HTTP/2's core
   * streams): the answer the pipeline would replay from the answer cache (its 200 or 404, or the
   * 304 or 412 its preconditions call for, with the option headers). Undefined when the request
   * needs the pipeline. Otherwise a promise that resolves, once pending file-system events are
   * applied (the pipeline waits for them too), to the answer, or to undefined when a change took it
   * away. HEAD gets the same answer: send its headers only.
   */
  recallAnswer(request: RequestHead): Promise<Answer | undefined> | undefined;
};

/** What a request's kept answer depends on: its method, raw target and headers. */
export interface RequestHead {
  method: string | undefined;
  url: string;
  headers: IncomingHttpHeaders;
}


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

/** Answers an error that escaped the pipeline (see statusForError); never throws. */
function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown, onError: NonNullable<HandlerOptions['onError']>): void {
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

/** The line an unexpected error serving `url` is reported with. */
export function errorLine(error: unknown, url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return `tiny-serve: error serving ${JSON.stringify(url)}: ${message}\n`;
}

function defaultOnError(error: unknown, url: string): void {
  process.stderr.write(errorLine(error, url));
}

/** Resolves the root once: absolute, symlinks followed, and a directory (or a clear error). */
function resolveRoot(root: string): string {
  if (typeof root !== 'string' || root === '') throw new TypeError('createHandler: `root` must be a directory path');
  const absolute = resolve(root);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    throw new UserError(`directory not found: ${absolute}`);
  }
  if (!statSync(real).isDirectory()) throw new UserError(`not a directory: ${absolute}`);
  try {
    // Once, at creation: a root the server cannot list or enter would answer every request with 403.
    accessSync(real, constants.R_OK | constants.X_OK);
  } catch {
    throw new UserError(`cannot read directory: ${absolute} (permission denied)`);
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
  if (relativeInside(root, path) === undefined) throw new UserError(`single-page fallback ${name} is outside the served directory`);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // missing: said below
  }
  if (!isFile) throw new UserError(`single-page fallback not found: ${path}`);
}

export function createHandler(options: HandlerOptions): RequestHandler {
  validateOptions(options);
  // Undefined for `/`: without a base, no step of it runs.
  const base = basePathOf(options.base);
  const root = makeRoot(resolveRoot(options.root));
  checkFallback(root, options.single);
  // One watch per directory, shared: the file cache's invalidation and live reload's events.
  const watches = options.fileCache === false && !options.watch ? undefined : createWatches(root.path);
  const cache = watches && options.fileCache !== false ? createFileCache(root.path, watches) : undefined;
  const answers = createAnswerCache(cache);
  const locator = createLocator(root, options, cache ? cache.lookup : lookup);
  const checkAuth = options.auth === undefined ? undefined : basicAuth(parseCredentials(options.auth));
  const cors = options.cors ?? false;
  const decorate = responseHeaders(options);
  const rewriteHeaders = headerRewriter(options);
  const live = watches && options.watch ? createLiveReload(root.path, watches, options.watchIgnore, base?.url) : undefined;
  const onError = options.onError ?? defaultOnError;
  const proxy = createProxy(options.proxy, { dropAuthorization: checkAuth !== undefined, answerDefaults: proxiedIsolationHeaders(options) });
  const policy: SelectionPolicy = {
    compress: options.compress ?? true,
    etag: options.etag ?? true,
    cacheControlFor: cachePolicy(options),
    findSibling: locator.lookupInside,
    headOf: cache ? cache.head : async (entry) => (await readHead(entry.realPath, SNIFF_BYTES)).bytes,
    liveTag: live?.tag ?? Buffer.alloc(0),
  };
  const sendFile = createFileResponse(cache, policy);
  const sendNotFound = createNotFound(root, locator, cache, { liveTag: live?.tag, single: Boolean(options.single) });

  function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void {
    // A pipelined request opens nothing until the responses before it are done.
    const turn = awaitTurn(req, res);
    const answered = turn === true ? answer(req, res, next) : turn.then((ready) => (ready ? answer(req, res, next) : undefined));
    answered.catch((error: unknown) => answerFailure(req, res, error, onError));
  }
  // HTTP/2's compatibility request and response carry every member the pipeline uses.
  return Object.assign(handle, {
    upgrades: proxy !== undefined,
    recallAnswer,
    close: () => {
      proxy?.close();
      cache?.close();
      live?.close();
      watches?.close();
    },
  }) as RequestHandler;

  /** The pipeline: what every request goes through, in order, until a step answers it. */
  async function answer(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    await cache?.settle();
    const stamp = cache?.stamp() ?? 0;
    const requested = parseTarget(req.url ?? '/');
    // Every step after this one sees paths relative to the base, as if the site were at `/`.
    const target = base ? scopeToBase(base, requested) : requested;
    // Proxied requests skip every file step: never cached, compressed, given ETags or rewritten, and
    // the backend's answer goes back as it is (its own CORS, its Cache-Control; COOP and COEP under
    // --cross-origin-isolated when it has none). Their prefixes are
    // absolute: matched on the path as requested, before the base is taken off. --auth guards them.
    const proxied = requested.ok ? proxy?.ruleFor(req, requested) : undefined;
    if (proxy && proxied && requested.ok) {
      if (!checkAuth || checkAuth(req, res)) proxy.forward(req, res, requested, proxied);
      return;
    }
    // Option headers go on every response, 401/405/400 included (a cross-origin client must be able
    // to read those too); path rules need a path.
    decorate?.(req, res, target.ok ? target.path : undefined);
    // A preflight carries no credentials by design, and reveals nothing: it skips auth.
    if (cors && isPreflight(req)) return sendPreflight(req, res);
    if (checkAuth && !checkAuth(req, res)) return;
    if (next && req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!acceptMethod(req, res)) return;
    if (!target.ok) return 'outside' in target ? answerOutsideBase(req, res, target, next) : sendPage(req, res, 400);
    if (live?.handle(req, res, target.path)) return;
    const key = answers.keyOf(req, target.path);
    const kept = key === undefined ? undefined : answers.recall(key);
    // A kept 404 is the app's to answer when there is a next().
    if (kept?.kind === 'missing' && next) return next();
    if (kept) return replay(req, res, kept);

    const located = await locator.locate(req, target);
    if (located.kind === 'redirect') return sendRedirect(req, res, base ? locationUnderBase(base, located.location) : located.location, located.status);
    if (located.kind === 'listing') return sendAnswer(req, res, await listing(located, wantsJson(req, located.query), stamp));
    // The fallback target answers what the site has no file for (its answer bypasses the option headers).
    if (located.kind === 'missing' && requested.ok && proxy?.fallbackRule) return proxy.forward(req, res, requested, proxy.fallbackRule);
    if (located.kind === 'missing' && next) return next();
    const sent = located.kind === 'missing' ? await sendNotFound(req, res) : await sendFile(req, res, await representationOf(req, located));
    if (sent && key !== undefined) answers.keep(key, sent, stamp);
  }

  /**
   * A request outside the base: `/repo` and `/` redirect into it, anything else is not the site's (a
   * 404, or the app's with `next`, which then owns `/` too).
   */
  function answerOutsideBase(req: IncomingMessage, res: ServerResponse, { location, status }: OutsideBase, next?: (error?: unknown) => void): void {
    if (next && status !== 301) return next();
    if (location === undefined) return sendPage(req, res, 404);
    sendRedirect(req, res, location, status);
  }

  /** HTML under live reload gets the client script; every other file is served as it is. */
  function representationOf(req: IncomingMessage, { entry, vary }: Extract<Located, { kind: 'file' }>): Promise<Representation> | Representation {
    const named = typeFromName(entry.realPath);
    if (live && named?.startsWith('text/html')) return selectLiveRepresentation(req, entry, named, policy, vary);
    return selectRepresentation(req, entry, policy, vary);
  }

  /** A kept answer, after the preconditions that apply to it. */
  function replay(req: IncomingMessage, res: ServerResponse, kept: KeptAnswer): void {
    if (kept.kind === 'file' && answeredByPreconditions(req, res, kept.representation)) return;
    sendAnswer(req, res, kept.answer);
  }

  function recallAnswer(request: RequestHead): Promise<Answer | undefined> | undefined {
    const found = cache && keptKeyOf(request);
    if (!found || !answers.recall(found.key)) return undefined;
    return cache.settle().then(() => {
      const kept = answers.recall(found.key);
      return kept && replayed(request, found.path, kept);
    });
  }

  /**
   * The answer-cache key of a request that reaches the answer cache in `answer` with nothing to do
   * before it but option headers: a GET or HEAD inside the base. With a proxy, --auth or live reload,
   * whose steps come first, every request goes through the pipeline.
   */
  function keptKeyOf({ method, url, headers }: RequestHead): { path: string; key: string } | undefined {
    if (proxy || checkAuth || live || (method !== 'GET' && method !== 'HEAD')) return undefined;
    const requested = parseTarget(url);
    const target = base ? scopeToBase(base, requested) : requested;
    if (!target.ok) return undefined;
    const key = answers.keyOf({ headers }, target.path);
    return key === undefined ? undefined : { path: target.path, key };
  }

  /** What `replay` sends for a kept answer, as an answer: its preconditions' 304 or 412, or itself, with the option headers. */
  function replayed({ headers }: RequestHead, path: string, kept: KeptAnswer): Answer {
    const answer = (kept.kind === 'file' && preconditionAnswer(headers, kept.representation)) || kept.answer;
    return rewriteHeaders ? { ...answer, headers: rewriteHeaders(path, answer.headers) as Answer['headers'] } : answer;
  }

  /** A directory listing, kept until anything in the directory changes. */
  function listing(located: Extract<Located, { kind: 'listing' }>, json: boolean, stamp: number): Promise<Answer> {
    const { directory, urlPath, query } = located;
    const order = listingOrder(query);
    const key = `${directory.realPath}\0${urlPath}\0${json}\0${order.sort}\0${order.order}`;
    return answers.listing(key, stamp, async () => {
      const watched = cache?.watchDirectory(directory.realPath) ?? false;
      // `unlisted` patterns are root-relative, as every rule is; the links are the client's URLs: under the base.
      const isListed = (name: string): boolean => locator.isListed(directory.realPath, name, urlPath);
      const shown = base ? base.path + urlPath.slice(1) : urlPath;
      const entries = await readListing(directory.realPath, shown, isListed, locator.lookupInside);
      return { answer: listingAnswer(shown, entries, json, order, base?.path), watched };
    });
  }

}
