// Live reload (`--watch`): every directory of the root watched, debounced change events pushed to
// browsers over Server-Sent Events from one reserved path, and the small client script injected into HTML.
import { access } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { clientGone } from '../http/streams.js';
import { compilePattern, type PathPattern } from '../http/patterns.js';
import type { DirectoryWatches } from '../files/watches.js';

/** The reserved prefix: only these three exact paths are taken from the site. */
export const LIVE_PREFIX = '/__tiny-serve/';
export const EVENTS_PATH = `${LIVE_PREFIX}events`;
export const CLIENT_PATH = `${LIVE_PREFIX}client.js`;
export const WORKER_PATH = `${LIVE_PREFIX}shared-worker.js`;

/** One save often touches several files (editor temp files, a bundler's outputs): one reload. */
const DEBOUNCE_MS = 80;
/** A comment line this often keeps idle connections (and proxies) from timing them out. */
const KEEP_ALIVE_MS = 25_000;
/**
 * Files editors write while saving, never the page's own: backups (`page.html~`), vim's swap files and
 * its `4913` probe, JetBrains' safe-write files, temp files.
 */
const EDITOR_FILE = /(?:~|\.sw[a-p]x?|___jb_(?:tmp|old)___|\.tmp|\.crswap)$|^4913$|^#.*#$/;
/** Never watched: dependencies, VCS data, dotfiles. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git']);

/**
 * The tag injected into HTML, for a site served under `base` (as URLs write it: `/`, `/repo/`). Its
 * length is what the injection adds: the response length is known from the file's size alone.
 */
export function clientTag(base = '/'): Buffer {
  return Buffer.from(`<script src="${base}${CLIENT_PATH.slice(1)}"></script>`);
}
const SCRIPT_TAG = clientTag();
/** Bytes the injection adds without a base. */
export const LIVE_SCRIPT_LENGTH = SCRIPT_TAG.length;

/**
 * One connection for all tabs: a SharedWorker holds the single EventSource and relays its events to
 * every page of the site. Browsers allow about six HTTP/1.1 connections per host, so one stream per
 * tab would stall the seventh tab's page loads. It tells pages when the stream is (dis)connected and
 * when it came back after the server went away.
 */
const sharedWorker = (eventsUrl: string): string => `const ports = new Set();
let lost = false;
let connected = false;
const source = new EventSource(${JSON.stringify(eventsUrl)});
const send = (message) => { for (const port of ports) port.postMessage(message); };
source.addEventListener('open', () => {
  connected = true;
  send({ type: 'status', connected });
  if (lost) send({ type: 'reconnected' });
  lost = false;
});
source.addEventListener('error', () => {
  lost = true;
  connected = false;
  send({ type: 'status', connected });
});
source.addEventListener('change', (event) => send({ type: 'change', paths: JSON.parse(event.data).paths }));
onconnect = (event) => {
  const port = event.ports[0];
  ports.add(port);
  port.onmessage = (message) => { if (message.data === 'bye') ports.delete(port); };
  port.start();
  port.postMessage({ type: 'status', connected });
};
`;

/**
 * The page side: on a change of stylesheets only, swaps each same-origin <link rel=stylesheet> in
 * place (no reload, scroll kept); on any other change reloads; after the server was away, reloads
 * once it is back. Uses the shared worker, or its own EventSource where SharedWorker is missing.
 * `window.__tinyServe.connected` says whether the stream is up.
 */
const client = (eventsUrl: string, workerUrl: string): string => `(() => {
  const state = (window.__tinyServe = { connected: false });
  const swapStylesheets = () => {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set('tiny-serve', String(Date.now()));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      fresh.addEventListener('load', () => link.remove());
      fresh.addEventListener('error', () => link.remove());
      link.after(fresh);
    }
  };
  const apply = (message) => {
    if (message.type === 'status') state.connected = message.connected;
    else if (message.type === 'reconnected') location.reload();
    else if (message.type === 'change') {
      const onlyCss = message.paths.length > 0 && message.paths.every((path) => path.endsWith('.css'));
      if (onlyCss) swapStylesheets();
      else location.reload();
    }
  };
  addEventListener('pageshow', (event) => { if (event.persisted) location.reload(); });
  if (typeof SharedWorker === 'function') {
    try {
      const worker = new SharedWorker(${JSON.stringify(workerUrl)}, { name: 'tiny-serve-live-reload' });
      worker.port.onmessage = (event) => apply(event.data);
      worker.port.start();
      addEventListener('pagehide', () => worker.port.postMessage('bye'));
      return;
    } catch {}
  }
  let lost = false;
  const source = new EventSource(${JSON.stringify(eventsUrl)});
  source.addEventListener('open', () => {
    apply({ type: 'status', connected: true });
    if (lost) apply({ type: 'reconnected' });
  });
  source.addEventListener('error', () => {
    lost = true;
    apply({ type: 'status', connected: false });
  });
  source.addEventListener('change', (event) => apply({ type: 'change', paths: JSON.parse(event.data).paths }));
})();
`;
const RETRY = 'retry: 1000\n\n';

const CLOSE_TAG_END = /\s*>/y;

/**
 * Where the last `</body>` starts (-1 if none), searching backwards: linear in the page, however
 * many `</body` it holds. `text` is lower-cased latin1, one character per byte.
 */
function lastBodyEnd(text: string): number {
  for (let at = text.lastIndexOf('</body'); at !== -1; at = at === 0 ? -1 : text.lastIndexOf('</body', at - 1)) {
    CLOSE_TAG_END.lastIndex = at + '</body'.length;
    if (CLOSE_TAG_END.test(text)) return at;
  }
  return -1;
}

/**
 * Inserts the client script before the last `</body>` (any case), or at the end when there is none.
 * Works on bytes, so any encoding and a BOM pass through untouched.
 */
export function injectClient(html: Buffer, tag: Buffer = SCRIPT_TAG): Buffer {
  const index = lastBodyEnd(html.toString('latin1').toLowerCase());
  return index === -1 ? Buffer.concat([html, tag]) : Buffer.concat([html.subarray(0, index), tag, html.subarray(index)]);
}

export interface LiveReload {
  /** Answers the reserved paths (`path` relative to the base); false for every other request. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** The script tag to inject into HTML (`clientTag` for this base). */
  readonly tag: Buffer;
  /** Open event streams (for tests and the banner). */
  readonly clients: number;
  close(): void;
}

/**
 * Starts watching every directory under `root` (absolute) through `watches`. `ignore` adds glob
 * patterns, matched against `/relative/path`. `base` is where the site is served, as URLs write it:
 * the scripts' URLs are under it, so nothing outside the base answers.
 */
export function createLiveReload(root: string, watches: DirectoryWatches, ignore: string[] = [], base = '/'): LiveReload {
  const under = (path: string): string => base + path.slice(1);
  const workerBody = Buffer.from(sharedWorker(under(EVENTS_PATH)));
  const clientBody = Buffer.from(client(under(EVENTS_PATH), under(WORKER_PATH)));
  const tag = clientTag(base);
  const patterns: PathPattern[] = ignore.map((source) => compilePattern(source));
  const clients = new Set<ServerResponse>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  /** `relative` uses `/` and has no leading slash. */
  const isIgnored = (relativePath: string): boolean => {
    const parts = relativePath.split('/');
    if (parts.some((part) => part.startsWith('.') || ALWAYS_IGNORED.has(part))) return true;
    const path = `/${relativePath}`;
    return patterns.some((pattern) => pattern.match(path) !== undefined);
  };

  /**
   * Sends one event for the paths gathered. Editors save through files that are gone by now or are
   * not the page's (a temp file renamed over the original, vim's backup and `4913` probe): only the
   * paths that still exist and are not such files are named, so a stylesheet saved that way is still
   * swapped in place. When none is left, the save may be half done (a loaded machine spreads its steps
   * over more than one window): the paths wait one window more for the rest, then go as they are.
   */
  const broadcast = async (): Promise<void> => {
    timer = undefined;
    const paths = [...pending];
    const exists = await Promise.all(paths.map((path) => access(join(root, path)).then(() => true, () => false)));
    const named = paths.filter((path, index) => exists[index] && !EDITOR_FILE.test(path.slice(path.lastIndexOf('/') + 1)));
    if (named.length === 0 && !held) {
      held = true;
      timer = setTimeout(() => void broadcast(), DEBOUNCE_MS);
      return;
    }
    held = false;
    pending = new Set();
    const message = `event: change\ndata: ${JSON.stringify({ paths: (named.length > 0 ? named : paths).map((path) => `/${path}`) })}\n\n`;
    for (const client of clients) client.write(message);
  };
  let held = false;

  const stopListening = watches.subscribe(({ directory, name }) => {
    const changed = relative(root, name === undefined ? directory : join(directory, name)).split(sep).join('/');
    if (changed.startsWith('..') || (changed !== '' && isIgnored(changed))) return;
    pending.add(changed);
    timer ??= setTimeout(() => void broadcast(), DEBOUNCE_MS);
  });
  const watching = watches.watchTree(isIgnored);
  let closed = false;

  const ping = setInterval(() => {
    for (const client of clients) client.write(': ping\n\n');
  }, KEEP_ALIVE_MS);
  ping.unref();

  return {
    handle(req, res, path) {
      const script = path === CLIENT_PATH ? clientBody : path === WORKER_PATH ? workerBody : undefined;
      if (script) {
        res.writeHead(200, {
          'Content-Type': 'text/javascript; charset=utf-8',
          'Content-Length': script.length,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(req.method === 'HEAD' ? undefined : script);
        return true;
      }
      if (path !== EVENTS_PATH) return false;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      // The first message says the stream is live: only once every directory is watched, so a change
      // made after it is never missed.
      void watching.then(() => {
        // A stream reset before this point has already emitted 'close' (HTTP/2): never keep it.
        if (clientGone(res)) return;
        // retry: how soon the browser reconnects after the server goes away (or stopped watching).
        if (closed) return void res.end(RETRY);
        res.write(RETRY);
        clients.add(res);
        res.on('close', () => clients.delete(res));
      });
      return true;
    },
    get clients() {
      return clients.size;
    },
    tag,
    close() {
      closed = true;
      stopListening();
      clearInterval(ping);
      if (timer) clearTimeout(timer);
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}
