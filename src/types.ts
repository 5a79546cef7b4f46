// Shared types: the handler's public options and the values passed between request-pipeline steps.
import type { Stats } from 'node:fs';

/** Options of `createHandler`. Every field is optional except `root`. */
export interface HandlerOptions {
  /**
   * Directory to serve. Resolved to an absolute, symlink-free path once, when the handler is
   * created; the handler throws if it does not exist or is not a directory.
   */
  root: string;
  /**
   * Compress compressible responses (text, JS, JSON, SVG, wasm…) on the fly with brotli or gzip when
   * the client accepts it. Precompressed `file.br` / `file.gz` siblings are served either way.
   * @default true
   */
  compress?: boolean;
  /**
   * Send an `ETag` (from size, mtime and inode; never a hash). Without it `Last-Modified` still
   * answers conditional requests.
   * @default true
   */
  etag?: boolean;
  /**
   * Seconds for `Cache-Control: public, max-age=<cache>` on every file. Unset means `no-cache`:
   * browsers revalidate every time, so a preview never shows a stale file.
   * @default undefined
   */
  cache?: number;
  /**
   * Files whose names carry a content hash (`app.3f9a1c2b.js`, `chunk-BX3k9aQz.js`) get
   * `Cache-Control: public, max-age=31536000, immutable`. HTML never does.
   * @default false
   */
  cacheHashed?: boolean;
  /**
   * A directory without `index.html` shows a listing (HTML, or JSON when asked for); `false` → 404.
   * A list of patterns (serve.json's `directoryListing: ["/assets/**"]`) lists only the directories
   * whose path (`/assets/img/`, with or without its slash) matches one of them.
   * @default true
   */
  listing?: boolean | string[];
  /**
   * Patterns for entries left out of listings (HTML and JSON), matched against `/<name>` (so
   * `"*.map"` hides every source map) and against the entry's whole path (`/docs/drafts`). They are
   * still served when asked for by name.
   * @default []
   */
  unlisted?: string[];
  /**
   * A directory without `index.html` whose only entry is a file serves that file (an image, a PDF)
   * instead of a listing; works whether listings are on or off.
   * @default false
   */
  renderSingle?: boolean;
  /**
   * Follow symlinks that lead out of the root too (the link itself must be inside it, and neither the
   * link's path nor its target's name may be hidden). Links within the root are always followed; without
   * this, one leaving the root answers 404. An explicit opt-in: it serves whatever the links reach.
   * @default false
   */
  symlinks?: boolean;
  /**
   * Single-page-app fallback: a navigation (a GET/HEAD whose Accept lists `text/html`) to a missing
   * path gets this file (relative to the root) with 200; other requests get the 404. `true` means `index.html`.
   * Existing files always win; `/.well-known/` is never rewritten.
   * @default false
   */
  single?: boolean | string;
  /**
   * `/about` serves `about.html`, and `/about.html` redirects (301) to `/about`. A list of patterns
   * (`["/app/**"]`) turns clean URLs on only for request paths matching one of them.
   * @default false
   */
  cleanUrls?: boolean | string[];
  /**
   * `true`: directories are addressed with a trailing slash (`/docs` → 301 `/docs/`). `false`: the
   * opposite (`/docs/` → 301 `/docs`, which serves the directory).
   * @default true
   */
  trailingSlash?: boolean;
  /**
   * The path the site is served under, as GitHub Pages serves a project site: with `/repo/` (also
   * given as `repo` or `/repo`), the root appears at `/repo/`; `/repo` redirects (301) there, `/`
   * too (302), and every other path outside it is a 404. Rules, `single` and the watch globs stay
   * relative to the root; Locations and listing links get the base. A value that is not a path (with
   * `?`, `#`, `%` once decoded, `\`, `.`/`..` or empty segments, control characters) throws.
   * @default '/'
   */
  base?: string;
  /** Paths that match no file are served from `destination` (`:param`s substituted). @default [] */
  rewrites?: Rewrite[];
  /** Paths matching `source` redirect to `destination` with `type` (301 by default). @default [] */
  redirects?: Redirect[];
  /** Headers to set (a string) or remove (null) on responses for paths matching `source`. @default [] */
  headers?: HeaderRule[];
  /** `Name: value` headers added to every response. @default [] */
  header?: string[];
  /** CORS for any origin (`Access-Control-Allow-Origin: *`, never with credentials) and preflights. @default false */
  cors?: boolean;
  /**
   * Cross-origin isolation, so pages get `crossOriginIsolated` (SharedArrayBuffer, precise timers):
   * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` on every
   * response, proxied answers included unless the backend sends its own, and
   * `Cross-Origin-Resource-Policy: same-origin` (`cross-origin` with `cors`) on the server's own.
   * `header` and `headers` rules can still change or remove each of them.
   * @default false
   */
  crossOriginIsolated?: boolean;
  /** `user:password`: every request needs HTTP Basic authentication. @default undefined */
  auth?: string;
  /**
   * Keep lookups, misses and small files (and their compressed forms) in memory, invalidated by
   * file-system watches (`fs.watch`) on the directories looked into, so a hit costs no system call. `false` asks the
   * file system on every request.
   * @default true
   */
  fileCache?: boolean;
  /**
   * Live reload: watch the root and push changes to browsers over Server-Sent Events at
   * `/__tiny-serve/events`; HTML responses get a small client script (`/__tiny-serve/client.js`)
   * that swaps stylesheets in place on CSS changes and reloads the page on any other change.
   * @default false
   */
  watch?: boolean;
  /** Glob patterns (matched against `/relative/path`) whose changes never reload. `node_modules`, `.git` and dotfiles are always ignored. @default [] */
  watchIgnore?: string[];
  /**
   * Forward requests to backends (a dev server's API proxy): each rule with a `prefix` takes the
   * requests under it; one rule without a prefix is the fallback, for requests the site has no file
   * for and methods other than GET and HEAD. Streamed both ways, WebSocket upgrades tunnelled (with
   * `serve`), never cached, compressed or given ETags.
   * @default []
   */
  proxy?: ProxyRule[];
  /** Absolute path of the config file in use: never served and never listed. @default undefined */
  configFile?: string;
  /**
   * Called once for every unexpected error that becomes a 500 (or an aborted response).
   * @default writes one line to stderr
   */
  onError?: (error: unknown, url: string) => void;
}

/** Where a proxy rule sends requests, and how. */
export interface ProxyRule {
  /**
   * Path prefix, matched on whole segments of the decoded, normalized path: `/api` takes `/api`,
   * `/api/…` and `/api?…`, never `/apix`. Unset: the fallback, which gets the requests that would
   * be `404` and every method other than GET and HEAD.
   * @default undefined
   */
  prefix?: string;
  /** The backend: an `http://` or `https://` URL; a path in it (`http://host/v2`) goes in front of the request's. */
  target: string;
  /** Send the client's `Host` header instead of the target's host. @default false */
  keepHost?: boolean;
  /** Seconds the backend may stay silent before it has answered (then `504`). @default 30 */
  timeout?: number;
  /** Verify an https target's certificate; `false` accepts a self-signed one. @default true */
  secure?: boolean;
}

/** A file found under the root: its real (symlink-resolved) path and its metadata. */
export interface Entry {
  realPath: string;
  stats: Stats;
}

/** Content codings this server produces or serves precompressed. */
export type Coding = 'br' | 'gzip';

/** What was chosen for a request, before any metadata: enough to describe the choice again. */
export interface RepresentationChoice {
  /** The requested file (its name decides Content-Type and Cache-Control). */
  original: Entry;
  contentType: string;
  /** Whether the type is compressible, so the response varies on Accept-Encoding. */
  negotiable: boolean;
  /** Further request headers the choice of this file depended on (the SPA fallback's Accept). */
  vary: string | undefined;
  coding: Coding | undefined;
  compressOnTheFly: boolean;
  /** Bytes added to the file's (the live-reload client script); 0 for the file as it is. */
  injected: number;
  /**
   * The request named the encoded file itself (`game.wasm.br`): `coding` labels the file's own bytes,
   * and ranges apply to them (RFC 9110 §14.1.1: a range is of the representation's, encoded, bytes).
   */
  byName?: boolean;
}

/** One representation of a file, chosen for a request, with everything decided from metadata. */
export interface Representation {
  choice: RepresentationChoice;
  /** The file whose bytes are read: the requested file, or its precompressed sibling. */
  file: Entry;
  /** The Content-Encoding sent, if any. */
  coding: Coding | undefined;
  /** True when `coding` is applied while sending (the file itself is not encoded). */
  compressOnTheFly: boolean;
  /** Undefined when ETags are turned off. */
  etag: string | undefined;
  /** Seconds since the epoch, clamped to "now" so Last-Modified never follows Date. */
  lastModifiedSeconds: number;
  /** Headers of the 200 response; no Content-Length when compressing on the fly. */
  headers: Record<string, string | number>;
}

/** A header rule of the config file: headers set (a string) or removed (null) on paths matching `source`. */
export interface HeaderRule {
  source: string;
  headers: { key: string; value: string | null }[];
}

/** A complete response held in memory: what the answer cache keeps and replays. */
export interface Answer {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

/** A config rewrite: paths matching `source` (that match no file) are served from `destination`. */
export interface Rewrite {
  source: string;
  destination: string;
}

/** A config redirect. `destination` is a path or an http(s) URL; `:param`s are substituted. */
export interface Redirect {
  source: string;
  destination: string;
  type?: 301 | 302 | 307 | 308;
}
