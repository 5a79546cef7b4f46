// The request pipeline: method → target → lookup → preconditions → headers → body.
// `createHandler` does all option work once; the returned function only reads prepared values.
import { realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lookup, openForReading, readSmallFile } from './fs-access.js';
import { etagFor, evaluatePreconditions, formatHttpDate, lastModifiedSecondsFor } from './conditional.js';
import { contentTypeFor } from './mime.js';
import { acceptMethod, sendPage, sendRedirect, sendUserPage } from './pages.js';
import { isHidden, locationFor, makeRoot, parseTarget, relativeInside, toFsPath, type Target } from './resolve.js';
import { streamFile } from './body.js';
import type { Entry, HandlerOptions, Representation } from './types.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** fs error codes that mean "there is nothing to serve here". */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The status for an error that escaped the pipeline: 403, 404, 503 (out of descriptors) or 500. */
export function statusForError(error: unknown): number {
  const code = errorCode(error);
  if (code !== undefined && NOT_FOUND_CODES.has(code)) return 404;
  if (code === 'EACCES' || code === 'EPERM') return 403;
  if (code === 'EMFILE' || code === 'ENFILE') return 503;
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
  return real;
}

/** What a target maps to: a regular file, a redirect to the slash form, or nothing. */
type Located = { kind: 'file'; entry: Entry } | { kind: 'redirect'; location: string } | { kind: 'missing' };
const MISSING: Located = { kind: 'missing' };

export function createHandler(options: HandlerOptions): RequestHandler {
  const root = makeRoot(resolveRoot(options.root));
  const onError = options.onError ?? defaultOnError;
  const notFoundPage = `${root.prefix}404.html`;

  return function handle(req, res) {
    serve(req, res).catch((error: unknown) => fail(req, res, error));
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!acceptMethod(req, res)) return;
    const target = parseTarget(req.url ?? '/');
    if (!target.ok) return sendPage(req, res, 400);
    const located = await locate(target);
    if (located.kind === 'redirect') return sendRedirect(req, res, located.location);
    if (located.kind === 'missing') return sendNotFound(req, res);

    const representation = describe(located.entry);
    const outcome = evaluatePreconditions(req.headers, representation.etag, representation.lastModifiedSeconds);
    if (outcome === 'not-modified') return sendNotModified(res, representation);
    if (outcome === 'precondition-failed') return sendPage(req, res, 412);
    return sendFile(req, res, representation);
  }

  /** Looks a path up and accepts it only if its real path is inside the root and not hidden. */
  async function lookupInside(path: string): Promise<Entry | undefined> {
    let entry: Entry;
    try {
      entry = await lookup(path);
    } catch (error) {
      if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return undefined;
      throw error;
    }
    const relative = relativeInside(root, entry.realPath);
    return relative === undefined || isHidden(relative) ? undefined : entry;
  }

  async function locate(target: Extract<Target, { ok: true }>): Promise<Located> {
    if (isHidden(target.path.slice(1))) return MISSING;
    let entry = await lookupInside(toFsPath(root, target.path));
    if (!entry) return MISSING;
    if (entry.stats.isDirectory()) {
      if (!target.directoryForm) return { kind: 'redirect', location: locationFor(`${target.path}/`, target.query) };
      entry = await lookupInside(`${entry.realPath}${sep}index.html`);
    } else if (target.directoryForm) {
      return MISSING; // `/file.txt/` names no file
    }
    // Only regular files: FIFOs, sockets and devices are refused from stat, never opened.
    return entry?.stats.isFile() ? { kind: 'file', entry } : MISSING;
  }

  async function sendNotFound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const page = await lookupInside(notFoundPage).catch(() => undefined);
    const body = page?.stats.isFile() ? await readSmallFile(page.realPath).catch(() => undefined) : undefined;
    if (body) sendUserPage(req, res, 404, body);
    else sendPage(req, res, 404);
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

/** Validators and headers of a file, from its metadata alone. */
function describe(entry: Entry): Representation {
  const { stats } = entry;
  const etag = etagFor(stats);
  const now = Date.now();
  const lastModifiedSeconds = lastModifiedSecondsFor(stats, now);
  return {
    entry,
    etag,
    lastModifiedSeconds,
    headers: {
      // A future mtime is clamped to now: send Date from the same clock, since Node's cached Date
      // string can lag a second behind and would then precede Last-Modified.
      ...(stats.mtimeMs > now ? { Date: formatHttpDate(Math.floor(now / 1000)) } : {}),
      'Content-Type': contentTypeFor(entry.realPath),
      'Content-Length': stats.size,
      'Last-Modified': formatHttpDate(lastModifiedSeconds),
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    },
  };
}

/** 304: no body, and the validators and caching headers the 200 would carry (RFC 9110 §15.4.5). */
function sendNotModified(res: ServerResponse, { headers }: Representation): void {
  res.writeHead(304, {
    ETag: headers.ETag!,
    'Last-Modified': headers['Last-Modified']!,
    'Cache-Control': headers['Cache-Control']!,
  });
  res.end();
}

/** 200 with the file. HEAD and empty files never open it; an unreadable file becomes 403 here. */
async function sendFile(req: IncomingMessage, res: ServerResponse, representation: Representation): Promise<void> {
  const { size } = representation.entry.stats;
  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(200, representation.headers);
    res.end();
    return;
  }
  const handle = await openForReading(representation.entry.realPath);
  if (res.destroyed) {
    await handle.close();
    return;
  }
  res.writeHead(200, representation.headers);
  streamFile(handle, 0, size - 1, res);
}
