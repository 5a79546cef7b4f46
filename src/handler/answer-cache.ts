// The answer cache: ready-made answers (status, headers, body) replayed without asking the file system,
// kept on the file cache's store until the next change. `mayReplay` is the one rule for what may be kept.
import type { IncomingMessage } from 'node:http';
import type { FileCache } from '../files/file-cache.js';
import { createInFlight } from '../files/in-flight.js';
import { preferredCodings } from '../http/encoding.js';
import type { Answer, Representation } from '../types.js';

/** A kept answer to a request for a path: a file's (with the validators its preconditions need), or a 404. */
export type KeptAnswer =
  | { kind: 'file'; answer: Answer; representation: Representation }
  | { kind: 'missing'; answer: Answer };

/** What a key stands for beside the path: the codings accepted (answers), or the format asked (listings). */
const ANSWER_KEY_HOLDS = new Set(['accept-encoding']);
const LISTING_KEY_HOLDS = new Set(['accept']);

/**
 * What may be kept and replayed: a whole 200 or 404 (a 206 answers one Range only) whose headers
 * depend on nothing but what its key holds: no Vary on another request header (the SPA fallback
 * varies on Accept, and the key does not say what the client accepts) and no Date of its own (one
 * set for a future mtime ties the headers to the clock). Requests with Range or If-Range get no key.
 */
export function mayReplay({ status, headers }: Answer, keyHolds: ReadonlySet<string>): boolean {
  if ((status !== 200 && status !== 404) || headers.Date !== undefined) return false;
  const varies = headers.Vary === undefined ? [] : String(headers.Vary).split(',');
  return varies.every((name) => keyHolds.has(name.trim().toLowerCase()));
}

export interface AnswerCache {
  /** The key of a request whose answer may be replayed: by decoded path and accepted codings; else undefined. */
  keyOf(req: Pick<IncomingMessage, 'headers'>, path: string): string | undefined;
  recall(key: string): KeptAnswer | undefined;
  /** Keeps an answer if `mayReplay` allows it and nothing changed since `stamp`. */
  keep(key: string, kept: KeptAnswer, stamp: number): void;
  /**
   * A directory listing under `key` (what it lists, for which format and order): the kept one, or one
   * build shared by the requests that arrive while it runs (only with those of the same generation:
   * a build begun before a change may miss it), kept if its directory is watched.
   */
  listing(key: string, stamp: number, build: () => Promise<{ answer: Answer; watched: boolean }>): Promise<Answer>;
}

/** The answer cache on `cache`'s store; without a file cache it keeps nothing (listings are still shared while built). */
export function createAnswerCache(cache: FileCache | undefined): AnswerCache {
  const answers = cache?.shelf<KeptAnswer>('answer');
  const listings = cache?.shelf<Answer>('listing');
  const building = createInFlight<Answer>();

  return {
    keyOf(req, path) {
      const { headers } = req;
      if (!answers || headers.range !== undefined || headers['if-range'] !== undefined) return undefined;
      // The query never changes a file's answer.
      return `${path}\0${preferredCodings(headers['accept-encoding']).join(',')}`;
    },
    recall: (key) => answers?.recall(key),
    keep(key, kept, stamp) {
      if (mayReplay(kept.answer, ANSWER_KEY_HOLDS)) answers?.keep(key, kept, stamp, kept.answer.body.length);
    },
    listing(key, stamp, build) {
      const kept = listings?.recall(key);
      if (kept) return Promise.resolve(kept);
      return building(`${key}\0${stamp}`, async () => {
        const { answer, watched } = await build();
        if (watched && mayReplay(answer, LISTING_KEY_HOLDS)) listings?.keep(key, answer, stamp, answer.body.length);
        return answer;
      });
    },
  };
}
