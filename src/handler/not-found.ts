// The 404 answer: the root's own `404.html` when there is one (with the live-reload client under
// --watch), else the built-in page; varying on Accept where an SPA fallback makes "missing" depend on it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { injectClient } from '../features/live-reload.js';
import type { FileCache } from '../files/file-cache.js';
import { readWhole } from '../files/fs-access.js';
import { pageAnswer, sendAnswer } from '../http/pages.js';
import type { Root } from '../http/target.js';
import type { Entry } from '../types.js';
import type { KeptAnswer } from './answer-cache.js';
import type { Locator } from './locate.js';

export interface NotFoundOptions {
  /** Under --watch: the live-reload script tag, injected into the site's own 404 page. */
  liveTag: Buffer | undefined;
  /** An SPA fallback is on: a path is missing or not depending on Accept. */
  single: boolean;
}

export function createNotFound(root: Root, locator: Locator, cache: FileCache | undefined, { liveTag, single }: NotFoundOptions) {
  const page = `${root.prefix}404.html`;
  const read = async (entry: Entry): Promise<Buffer | undefined> => ((await cache?.contents(entry)) ?? (await readWhole(entry.realPath)))?.bytes;

  /** Sends the 404; resolves with it, for the answer cache. */
  return async function sendNotFound(req: IncomingMessage, res: ServerResponse): Promise<KeptAnswer> {
    const found = await locator.lookupInside(page).catch(() => undefined);
    const body = found?.stats.isFile() ? await read(found).catch(() => undefined) : undefined;
    // The site's own 404 page reloads too under --watch (the built-in one runs no scripts).
    const answer = pageAnswer(404, {}, body && liveTag ? injectClient(body, liveTag) : body);
    if (single) answer.headers = { ...answer.headers, Vary: 'Accept' };
    sendAnswer(req, res, answer);
    return { kind: 'missing', answer };
  };
}
