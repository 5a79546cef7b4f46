// The one table of flags: name, alias, type, group, help text, default shown, value hint, repeatable.
// The parser and its help, the type of the parsed flags, the known-flag list ("did you mean",
// completion) and the missing-value messages are all made from it: a new flag is a row here, and
// its use in settings.ts.
import { PORT_RULE } from '../server/endpoints.js';

/** The port when none is given anywhere (the library's default is 0, any free port). */
export const DEFAULT_PORT = 3000;

/** A flag as the parser knows it: enough to complete it and to suggest it. */
export interface Flag {
  /** The long name: `strict-port`. */
  name: string;
  /** Its other spelling: `p`, `live`. */
  alias?: string;
  type: 'boolean' | 'string';
  /** Given several times, a list (`--listen`, `--header`, `--watch-ignore`). */
  repeatable?: boolean;
  /** The default the help shows; `'true'` marks a boolean that is on unless turned off (`--no-compress`). */
  defaultDescription?: string;
}

/** One of tiny-serve's own flags, with what the help and the error messages say about it. */
export interface Option extends Flag {
  group: 'Server:' | 'Files:' | 'Caching:' | 'Security:' | 'Dev:';
  describe: string;
  /** For a flag that cannot go without a value: what to give (`--config needs a value: a file path`). */
  valueHint?: string;
  /** A value flag that `--no-<name>` may still turn off: `--no-single` overrides the config file's `single`. */
  mayTurnOff?: boolean;
}

const TABLE = [
  {
    name: 'port',
    alias: 'p',
    type: 'string',
    group: 'Server:',
    describe: 'Port to listen on; 0 picks any free port. A busy port moves to the next free one',
    defaultDescription: `${DEFAULT_PORT}, or $PORT`,
    valueHint: PORT_RULE,
  },
  {
    name: 'host',
    alias: 'H',
    type: 'string',
    group: 'Server:',
    describe: 'Host to bind; a bare --host (or 0.0.0.0, ::) exposes the server on the network',
    defaultDescription: 'localhost',
  },
  {
    name: 'qr',
    type: 'boolean',
    group: 'Server:',
    describe: 'With --host, print the first Network URL as a QR code under the banner, for a phone camera (only when the output is a terminal)',
  },
  {
    name: 'listen',
    alias: 'l',
    type: 'string',
    repeatable: true,
    group: 'Server:',
    describe: 'Endpoint to listen on (repeatable): 3000, tcp://host:port, tcp://[::1]:port, unix:/path/to.sock',
    defaultDescription: 'localhost:3000',
    valueHint: 'an endpoint such as 3000 or unix:/tmp/site.sock',
  },
  { name: 'strict-port', type: 'boolean', group: 'Server:', describe: 'Exit with an error if a port is busy instead of trying the next one' },
  { name: 'quiet', alias: 'q', type: 'boolean', group: 'Server:', describe: 'Do not log requests' },
  {
    name: 'log-format',
    type: 'string',
    group: 'Server:',
    describe: 'Request log format: dev (for people), combined (Apache/nginx, for log tools) or json (one object per line)',
    defaultDescription: 'dev',
    valueHint: 'dev, combined or json',
  },
  {
    name: 'log-file',
    type: 'string',
    group: 'Server:',
    describe: 'Append the request log to this file instead of stdout; SIGHUP reopens it (log rotation)',
    valueHint: 'a file path',
  },
  {
    name: 'workers',
    type: 'string',
    group: 'Server:',
    describe: 'Server processes sharing the port (node:cluster); auto = one per CPU core',
    defaultDescription: '1',
    valueHint: 'a number, or auto',
  },
  {
    name: 'config',
    type: 'string',
    group: 'Server:',
    describe: 'Config file to read',
    defaultDescription: 'tiny-serve.json or serve.json in dir',
    valueHint: 'a file path',
  },
  {
    name: 'listing',
    type: 'boolean',
    group: 'Files:',
    describe: 'List directories without index.html; --no-listing answers 404',
    defaultDescription: 'true',
  },
  {
    name: 'single',
    type: 'string',
    group: 'Files:',
    describe: 'Single-page app: serve this file to navigations (Accept: text/html) of missing paths (bare flag: index.html)',
    mayTurnOff: true,
  },
  { name: 'clean-urls', type: 'boolean', group: 'Files:', describe: 'Serve /about from about.html and redirect /about.html to /about' },
  {
    name: 'base',
    type: 'string',
    group: 'Files:',
    describe: 'Serve the site under this path, as GitHub Pages serves a project site (/ and /my-repo redirect to /my-repo/)',
    defaultDescription: '/',
    valueHint: 'a path such as /my-repo/',
  },
  {
    name: 'compress',
    type: 'boolean',
    group: 'Caching:',
    describe: 'Compress text responses on the fly (brotli, gzip); --no-compress turns it off. Precompressed .br/.gz files are always used',
    defaultDescription: 'true',
  },
  {
    name: 'cache',
    type: 'string',
    group: 'Caching:',
    describe: 'Cache-Control: public, max-age=<seconds> for every file',
    defaultDescription: 'no-cache: always revalidate',
    valueHint: 'a number of seconds',
  },
  {
    name: 'cache-hashed',
    type: 'boolean',
    group: 'Caching:',
    describe: 'Cache files with a content hash in their name (app.3f9a1c2b.js) for a year, immutable; never HTML',
  },
  { name: 'etag', type: 'boolean', group: 'Caching:', describe: 'Send ETags; --no-etag leaves Last-Modified alone', defaultDescription: 'true' },
  {
    name: 'file-cache',
    type: 'boolean',
    group: 'Caching:',
    describe:
      'Keep small files and lookups in memory, invalidated by file watches; --no-file-cache asks the disk every time (for file systems whose changes are not reported, e.g. some network mounts)',
    defaultDescription: 'true',
  },
  { name: 'cors', type: 'boolean', group: 'Security:', describe: 'Allow cross-origin requests from any origin (Access-Control-Allow-Origin: *)' },
  {
    name: 'cross-origin-isolated',
    type: 'boolean',
    group: 'Security:',
    describe: 'Make pages cross-origin isolated (SharedArrayBuffer, precise timers): sends COOP same-origin, COEP require-corp and CORP same-origin',
  },
  {
    name: 'header',
    type: 'string',
    repeatable: true,
    group: 'Security:',
    describe: 'Add a header to every response: --header "Name: value" (repeatable)',
    valueHint: '"Name: value"',
  },
  {
    name: 'auth',
    type: 'string',
    group: 'Security:',
    describe: 'Require HTTP Basic auth, user:password (or set TINY_SERVE_AUTH)',
    valueHint: 'user:password',
  },
  {
    name: 'ssl',
    type: 'boolean',
    group: 'Security:',
    describe:
      'Serve HTTPS with a self-signed certificate made for this machine (and its network addresses with --host), kept in the user cache directory and reused across restarts',
  },
  {
    name: 'ssl-cert',
    type: 'string',
    group: 'Security:',
    describe: 'Serve HTTPS with this PEM certificate (with --ssl-key), or a .pfx/.p12 bundle alone',
    valueHint: 'a certificate file',
  },
  { name: 'ssl-key', type: 'string', group: 'Security:', describe: 'PEM private key of --ssl-cert', valueHint: 'a key file' },
  {
    name: 'ssl-pass',
    type: 'string',
    group: 'Security:',
    describe: 'File holding the passphrase of the key or .pfx bundle',
    valueHint: 'a passphrase file',
  },
  {
    name: 'http2',
    type: 'boolean',
    group: 'Security:',
    describe: 'With HTTPS, speak HTTP/2 to clients that offer it and HTTP/1.1 to the rest; --no-http2 (or --http2=false): HTTP/1.1 only',
    defaultDescription: 'true',
  },
  {
    name: 'watch',
    alias: 'live',
    type: 'boolean',
    group: 'Dev:',
    describe: 'Live reload: reload open pages when files change (stylesheets are swapped in place)',
  },
  {
    name: 'watch-ignore',
    type: 'string',
    repeatable: true,
    group: 'Dev:',
    describe: 'Glob of paths whose changes never reload (repeatable)',
    valueHint: 'a glob',
  },
  {
    name: 'proxy',
    type: 'string',
    repeatable: true,
    group: 'Dev:',
    describe:
      'Forward a path prefix to a backend (repeatable): --proxy /api=http://127.0.0.1:8080. A bare URL gets every request that would be a 404, and methods other than GET/HEAD',
    valueHint: '/prefix=http://host:port, or http://host:port',
  },
  {
    name: 'proxy-insecure',
    type: 'boolean',
    group: 'Dev:',
    describe: 'Accept self-signed certificates from https proxy targets',
  },
  {
    name: 'open',
    alias: 'o',
    type: 'string',
    group: 'Dev:',
    describe: 'Open the default browser at the served URL (optionally at a path: --open /docs/)',
  },
] as const satisfies readonly Option[];

/** The rows of the table. */
export const OPTIONS: readonly Option[] = TABLE;

/** yargs' own flags (its `.help()` and `.version()`), known for completion and suggestions too. */
export const YARGS_FLAGS: readonly Flag[] = [
  { name: 'help', alias: 'h', type: 'boolean' },
  { name: 'version', alias: 'v', type: 'boolean' },
];

/** Every flag the command line takes. */
export const FLAGS: readonly Flag[] = [...OPTIONS, ...YARGS_FLAGS];

/** `watch-ignore` → `watchIgnore`: yargs's camelCase name for a flag. */
export const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

type Camel<Name extends string> = Name extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : Name;

/** What yargs makes of a flag: a boolean, a list for a repeatable one, `false` for `--no-single`. */
type ValueOf<O extends Option> = O['type'] extends 'boolean'
  ? boolean
  : O extends { repeatable: true }
    ? string[]
    : O extends { mayTurnOff: true }
      ? string | false
      : string;

/**
 * The flags as yargs parses them (CLI types, kept apart from the handler's options), by their
 * camelCase names. Only `dir` has a yargs default: every other flag is undefined unless given, so
 * the config file can fill it in and the flags override the file.
 */
export type CliArgs = { dir: string } & { [O in (typeof TABLE)[number] as Camel<O['name']>]?: ValueOf<O> };
