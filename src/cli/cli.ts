// The command line, and the only module with side effects: argv → options, one-line errors,
// the startup banner, the request log and signal handling. A thin layer over the library.
import { existsSync } from 'node:fs';
import { availableParallelism, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { dirname, relative, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createHandler } from '../handler/handler.js';
import { loadConfig } from './config.js';
import type { HandlerOptions } from '../types.js';
import { assignedPorts, isWorker, joinPool, runPrimary } from '../server/workers.js';
import { openBrowser } from './open-browser.js';
import { ALL_INTERFACES, PORT_RULE, describeEndpoint, parseEndpoint, portFromText, urlFor, type Endpoint } from '../server/endpoints.js';
import { ListenError, type AnyServer } from '../server/server.js';
import { servePlan } from '../server/serve.js';
import { loadTls, tlsFiles, type TlsFiles, type TlsMaterial } from '../server/tls.js';
import { UserError } from '../errors.js';
import { paletteFor, requestLogger, safeWriter, type Palette } from './log.js';
import { CLIENT_PATH, EVENTS_PATH, WORKER_PATH } from '../features/live-reload.js';

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;

const DEFAULT_PORT = 3000;

/**
 * The flags as yargs parses them (CLI types, kept apart from the handler's options). Only `dir` has a
 * yargs default: every other flag is undefined unless given, so the config file can fill it in and
 * CLI flags override the file.
 */
interface CliArgs {
  dir: string;
  port?: string;
  host?: string;
  listen?: string[];
  strictPort?: boolean;
  quiet?: boolean;
  compress?: boolean;
  cache?: string;
  cacheHashed?: boolean;
  etag?: boolean;
  fileCache?: boolean;
  listing?: boolean;
  single?: string;
  cleanUrls?: boolean;
  config?: string;
  workers?: string;
  cors?: boolean;
  header?: string[];
  auth?: string;
  watch?: boolean;
  watchIgnore?: string[];
  open?: string;
  sslCert?: string;
  sslKey?: string;
  sslPass?: string;
  http2?: boolean;
}

/** stdout and stderr, written so that a reader that leaves (`tiny-serve | head -2`) never stops the server. */
const out = safeWriter(process.stdout);
const err = safeWriter(process.stderr);

function fatal(message: string): never {
  err(`tiny-serve: ${message}\n`);
  process.exit(1);
}

/** The parser: the one table of flags, from which help, "did you mean", completion and the repeat check come. */
function cliParser(argv: string[]): Argv {
  const parser: Argv = yargs(argv)
    .scriptName('tiny-serve')
    .command('$0 [dir]', 'Serve a directory over HTTP', (command) =>
      command.positional('dir', {
        type: 'string',
        default: '.',
        describe: 'Directory to serve',
        defaultDescription: 'the current directory',
      }),
    )
    .options({
      port: {
        alias: 'p',
        type: 'string',
        describe: 'Port to listen on; 0 picks any free port. A busy port moves to the next free one',
        defaultDescription: `${DEFAULT_PORT}, or $PORT`,
      },
      host: {
        alias: 'H',
        type: 'string',
        describe: 'Host to bind; a bare --host (or 0.0.0.0, ::) exposes the server on the network',
        defaultDescription: 'localhost',
      },
      listen: {
        alias: 'l',
        type: 'string',
        array: true,
        describe: 'Endpoint to listen on (repeatable): 3000, tcp://host:port, tcp://[::1]:port, unix:/path/to.sock',
        defaultDescription: 'localhost:3000',
      },
      'strict-port': { type: 'boolean', describe: 'Exit with an error if a port is busy instead of trying the next one' },
      quiet: { alias: 'q', type: 'boolean', describe: 'Do not log requests' },
      workers: {
        type: 'string',
        describe: 'Server processes sharing the port (node:cluster); auto = one per CPU core',
        defaultDescription: '1',
      },
      config: {
        type: 'string',
        describe: 'Config file to read',
        defaultDescription: 'tiny-serve.json or serve.json in dir',
      },
    })
    .group(['port', 'host', 'listen', 'strict-port', 'quiet', 'workers', 'config'], 'Server:')
    .options({
      listing: { type: 'boolean', describe: 'List directories without index.html; --no-listing answers 404', defaultDescription: 'true' },
      single: {
        type: 'string',
        describe: 'Single-page app: serve this file for missing paths without an extension (bare flag: index.html)',
      },
      'clean-urls': { type: 'boolean', describe: 'Serve /about from about.html and redirect /about.html to /about' },
    })
    .group(['listing', 'single', 'clean-urls'], 'Files:')
    .options({
      compress: {
        type: 'boolean',
        describe: 'Compress text responses on the fly (brotli, gzip); --no-compress turns it off. Precompressed .br/.gz files are always used',
        defaultDescription: 'true',
      },
      cache: { type: 'string', describe: 'Cache-Control: public, max-age=<seconds> for every file', defaultDescription: 'no-cache: always revalidate' },
      'cache-hashed': {
        type: 'boolean',
        describe: 'Cache files with a content hash in their name (app.3f9a1c2b.js) for a year, immutable; never HTML',
      },
      etag: { type: 'boolean', describe: 'Send ETags; --no-etag leaves Last-Modified alone', defaultDescription: 'true' },
      'file-cache': {
        type: 'boolean',
        describe: 'Keep small files and lookups in memory, invalidated by file watches; --no-file-cache asks the disk every time (for file systems whose changes are not reported, e.g. some network mounts)',
        defaultDescription: 'true',
      },
    })
    .group(['compress', 'cache', 'cache-hashed', 'etag', 'file-cache'], 'Caching:')
    .options({
      cors: { type: 'boolean', describe: 'Allow cross-origin requests from any origin (Access-Control-Allow-Origin: *)' },
      header: { type: 'string', array: true, describe: 'Add a header to every response: --header "Name: value" (repeatable)' },
      auth: { type: 'string', describe: 'Require HTTP Basic auth, user:password (or set TINY_SERVE_AUTH)' },
      'ssl-cert': { type: 'string', describe: 'Serve HTTPS with this PEM certificate (with --ssl-key), or a .pfx/.p12 bundle alone' },
      'ssl-key': { type: 'string', describe: 'PEM private key of --ssl-cert' },
      'ssl-pass': { type: 'string', describe: 'File holding the passphrase of the key or .pfx bundle' },
      http2: {
        type: 'boolean',
        describe: 'With HTTPS, speak HTTP/2 to clients that offer it and HTTP/1.1 to the rest; --no-http2 (or --http2=false): HTTP/1.1 only',
        defaultDescription: 'true',
      },
    })
    .group(['cors', 'header', 'auth', 'ssl-cert', 'ssl-key', 'ssl-pass', 'http2'], 'Security:')
    .options({
      watch: {
        alias: 'live',
        type: 'boolean',
        describe: 'Live reload: reload open pages when files change (stylesheets are swapped in place)',
      },
      'watch-ignore': { type: 'string', array: true, describe: 'Glob of paths whose changes never reload (repeatable)' },
      open: { alias: 'o', type: 'string', describe: 'Open the default browser at the served URL (optionally at a path: --open /docs/)' },
    })
    .group(['watch', 'watch-ignore', 'open'], 'Dev:')
    .example('$0', 'Serve the current directory on http://localhost:3000')
    .example('$0 ./public -p 8080', 'Serve ./public on port 8080')
    .example('$0 dist --host', 'Serve dist to other devices on the network')
    .example('$0 dist --single', 'Preview a single-page app (client-side routes get index.html)')
    .example('$0 --ssl-cert c.pem --ssl-key k.pem', 'Serve over HTTPS and HTTP/2')
    .example('$0 -l 8080 -l unix:/tmp/s.sock', 'Listen on a port and on a Unix socket')
    .completion('completion', 'Print a shell completion script (add its output to ~/.bashrc or ~/.zshrc)', (current: string) =>
      completeFlags(flagsOf(parser), current, argv.slice(argv.indexOf(`--${COMPLETION_KEY}`) + 1, -1)),
    )
    .strict()
    .help()
    .alias('help', 'h')
    .version(__VERSION__)
    .alias('version', 'v')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      throw new UserError(message ?? error?.message ?? 'invalid arguments');
    });
  return parser;
}

/** The option that the generated completion scripts call the program with (yargs' protocol). */
const COMPLETION_KEY = 'get-yargs-completions';

/** yargs' own option table, as `getOptions()` returns it (which @types/yargs does not declare). */
interface OptionTable {
  key: Record<string, unknown>;
  alias: Record<string, string[] | undefined>;
  boolean: string[];
  array: string[];
  hiddenOptions: string[];
  defaultDescription: Record<string, string | undefined>;
}

/** One flag as the parser knows it. */
interface Flag {
  /** The long name: `strict-port`. */
  name: string;
  /** `p`, `live`. */
  aliases: string[];
  boolean: boolean;
  /** Given several times, a list (`--listen`, `--header`, `--watch-ignore`). */
  repeatable: boolean;
  /** On unless turned off (`--no-compress`); its default is documented as `true`. */
  onByDefault: boolean;
}

/** The flags, read from the parser's option table rather than listed again by hand. */
function flagsOf(parser: Argv): Flag[] {
  const table = (parser as unknown as { getOptions(): OptionTable }).getOptions();
  const aliases = new Set(Object.values(table.alias).flat());
  return Object.keys(table.key)
    .filter((key) => !aliases.has(key) && !table.hiddenOptions.includes(key))
    .map((name) => ({
      name,
      aliases: table.alias[name] ?? [],
      boolean: table.boolean.includes(name),
      repeatable: table.array.includes(name),
      onByDefault: table.defaultDescription[name] === 'true',
    }));
}

/** `-p` for a one-letter name, `--port` for the rest. */
const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** How a flag can be written: `--port`, `-p`; `--no-compress` for one that is on by default. */
function spellings(flag: Flag): string[] {
  return [flag.name, ...flag.aliases].map(dashed).concat(flag.boolean && flag.onByDefault ? [`--no-${flag.name}`] : []);
}

/**
 * Completions for the word being typed: every spelling of every flag not given yet (repeatable ones
 * always). Any other word (the directory, a flag's value) gets none, so the shell completes file names.
 */
function completeFlags(flags: Flag[], current: string, before: string[]): string[] {
  if (!current.startsWith('-')) return [];
  const given = new Set(before.map((word) => word.split('=')[0]));
  return flags
    .flatMap((flag) => {
      const forms = spellings(flag);
      return !flag.repeatable && forms.some((form) => given.has(form)) ? [] : forms;
    })
    .filter((form) => form.startsWith(current));
}

/** Flags with a value that `--no-<flag>` may still turn off: `--no-single` overrides the config file's `single`. */
const MAY_TURN_OFF = new Set(['single']);

/**
 * What yargs makes of value flags used the wrong way, as one line each: a single-value flag given
 * twice becomes a list (repeatable flags stay lists), and `--no-host` becomes `false`.
 */
function rejectMisusedValues(args: CliArgs, flags: Flag[]): void {
  for (const flag of flags) {
    if (flag.boolean) continue;
    const value = (args as unknown as Record<string, unknown>)[flag.name];
    if (!flag.repeatable && Array.isArray(value)) throw new UserError(`--${flag.name} was given ${value.length === 2 ? 'twice' : `${value.length} times`}`);
    const turnedOff = Array.isArray(value) ? value.includes(false) : value === false;
    if (turnedOff && !MAY_TURN_OFF.has(flag.name)) throw new UserError(`--no-${flag.name} is not an option: --${flag.name} takes a value`);
  }
}

/** Parses a port from the command line or $PORT: an integer 0..65535, or a one-line error. */
function parsePort(raw: string, source: string): number {
  if (raw === '') throw new UserError(`${source} needs a value: ${PORT_RULE}`);
  const port = portFromText(raw);
  if (port === undefined) throw new UserError(`invalid port ${JSON.stringify(raw)} from ${source}: use ${PORT_RULE}`);
  return port;
}

/** Parses --workers: a whole number from 1, or `auto` (one per core); a one-line error otherwise. */
function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1) throw new UserError(`invalid --workers ${JSON.stringify(raw)}: use a whole number from 1, or auto`);
  return Number(raw);
}

/** Parses --cache: whole seconds, or a one-line error. */
function parseCacheSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw)) throw new UserError(`invalid --cache ${JSON.stringify(raw)}: use a whole number of seconds`);
  return Number(raw);
}

/** External addresses of this machine, for the Network: lines (IPv6 only when bound to ::). */
function networkAddresses(host: string): string[] {
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4' || (host === '::' && !info.address.startsWith('fe80'))) addresses.push(info.address);
    }
  }
  return addresses;
}

/** The URL a browser on this machine opens for a TCP endpoint (localhost for an all-interfaces bind). */
function localUrl(settings: Settings, host: string, port: number): string {
  return urlFor(settings.tls ? 'https' : 'http', ALL_INTERFACES.has(host) ? 'localhost' : host, port);
}

/** Addresses only this machine reaches: localhost and the loopback range (127.0.0.0/8, ::1). */
function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/i.test(address);
}

/**
 * `Local:` for each TCP endpoint and `Network:` for where other devices reach it, `Socket:` for each
 * Unix socket. Exposure is judged by the address bound (`addresses`), not the name given: a host name
 * can stand for a loopback address.
 */
function endpointLines(palette: Palette, settings: Settings, ports: number[], addresses: string[]): string[] {
  const scheme = settings.tls ? 'https' : 'http';
  const lines: string[] = [];
  let exposed = false;
  settings.endpoints.forEach((endpoint, index) => {
    if (endpoint.kind === 'unix') {
      lines.push(`  Socket:   ${palette.cyan(`unix:${endpoint.path}`)}`);
      return;
    }
    const port = ports[index]!;
    lines.push(`  Local:    ${palette.cyan(localUrl(settings, endpoint.host, port))}`);
    const bound = addresses[index] || endpoint.host;
    if (ALL_INTERFACES.has(endpoint.host)) {
      exposed = true;
      for (const address of networkAddresses(endpoint.host)) lines.push(`  Network:  ${palette.cyan(urlFor(scheme, address, port))}`);
    } else if (!isLoopback(bound)) {
      exposed = true;
      // An address as given (with a link-local zone); a host name as the address others can reach.
      const shown = isIP(endpoint.host.split('%')[0]!) ? endpoint.host : bound;
      lines.push(`  Network:  ${palette.cyan(urlFor(scheme, shown, port))}`);
    }
  });
  if (!exposed && settings.endpoints.some((endpoint) => endpoint.kind === 'tcp')) {
    lines.push(`  Network:  ${palette.dim('use --host to expose')}`);
  }
  return lines;
}

function banner(palette: Palette, settings: Settings, ports: number[], addresses: string[]): string {
  const { handlerOptions: options } = settings;
  const shown = relative(process.cwd(), options.root) || '.';
  const lines = [
    '',
    `  ${palette.bold('tiny-serve')} ${palette.dim(`v${__VERSION__}`)}  serving ${palette.cyan(shown)}`,
    '',
    ...endpointLines(palette, settings, ports, addresses),
  ];
  const notes = [
    settings.configPath && `config ${relative(process.cwd(), settings.configPath)}`,
    settings.tls && (settings.http2 ? 'HTTPS with HTTP/2' : 'HTTPS (HTTP/1.1)'),
    options.single && `single-page app (fallback ${options.single === true ? 'index.html' : options.single})`,
    options.auth && 'basic auth on',
    options.cors && 'CORS on',
    options.watch && 'live reload on',
    settings.workers > 1 && `${settings.workers} workers`,
  ].filter(Boolean);
  if (notes.length > 0) lines.push('', `  ${palette.dim(notes.join(' · '))}`);
  lines.push('', `  ${palette.dim('Press Ctrl+C to stop')}`, '', '');
  return lines.join('\n');
}

/** The startup banner, with notes first when a port moved or the certificate expired; then --open. */
function announce(palette: Palette, settings: Settings, tls: TlsMaterial | undefined, ports: number[], addresses: string[]): void {
  settings.endpoints.forEach((endpoint, index) => {
    if (endpoint.kind === 'tcp' && endpoint.port !== 0 && ports[index] !== endpoint.port) {
      out(`\n  ${palette.yellow(`Port ${endpoint.port} is in use, using ${ports[index]} instead.`)}\n`);
    }
  });
  if (tls?.validTo && tls.validTo.getTime() < Date.now()) {
    out(`\n  ${palette.yellow(`The certificate in --ssl-cert expired on ${tls.validTo.toISOString().slice(0, 10)}: browsers will refuse it.`)}\n`);
  }
  out(banner(palette, settings, ports, addresses));
  if (settings.open !== undefined) {
    const note = (line: string): void => out(`  ${palette.yellow(line)}\n`);
    const index = settings.endpoints.findIndex((endpoint) => endpoint.kind === 'tcp');
    const endpoint = settings.endpoints[index];
    if (endpoint?.kind !== 'tcp') return note('--open: nothing to open, the server listens on Unix sockets only');
    const url = localUrl(settings, endpoint.host, ports[index]!).replace(/\/$/, '') + encodeURI(settings.open);
    openBrowser(url, note);
  }
}

function listenErrorMessage(error: NodeJS.ErrnoException, endpoint: Endpoint): string {
  const where = describeEndpoint(endpoint);
  if (endpoint.kind === 'unix') {
    switch (error.code) {
      case 'EADDRINUSE':
        return `cannot listen on ${where}: another server is answering on that socket`;
      case 'ENOTSOCK':
        return `cannot listen on ${where}: the path exists and is not a socket (it is left alone)`;
      case 'EACCES':
      case 'EPERM':
      case 'ENOENT':
        // libuv reports a missing directory as EACCES too; startup only, so a sync check is fine here.
        return existsSync(dirname(endpoint.path))
          ? `cannot listen on ${where}: no permission to create the socket file there`
          : `cannot listen on ${where}: the directory ${dirname(endpoint.path)} does not exist`;
      default:
        return `cannot listen on ${where}: ${error.message}`;
    }
  }
  const { host, port } = endpoint;
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${host} (without --strict-port the next free port is used)`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to listen on port ${port}${port < 1024 ? ' (ports below 1024 need privileges; try --port 3000)' : ''}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: that address is not on this machine`;
    case 'EINVAL':
      return /^fe[89ab][0-9a-f]:/i.test(host) && !host.includes('%')
        ? `cannot listen on ${where}: a link-local IPv6 address needs its interface, as in tcp://[${host}%eth0]:${port}`
        : `cannot listen on ${where}: invalid address`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: unknown host`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}

/** Everything the CLI needs, from defaults < config file < environment < flags. */
interface Settings {
  /** Where to listen, in the order given; at least one. */
  endpoints: Endpoint[];
  strictPort: boolean;
  quiet: boolean;
  /** Path to open in the browser once listening (undefined: do not open). */
  open: string | undefined;
  workers: number;
  configPath: string | undefined;
  /** TLS files (undefined: plain HTTP). */
  tls: TlsFiles | undefined;
  http2: boolean;
  handlerOptions: HandlerOptions;
}

/** `watch-ignore` → `watchIgnore`: yargs's camelCase name for a flag. */
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Flags that take a value, and what to give: `--config` alone is a one-line error, not a surprise. */
const VALUE_HINTS: Record<string, string> = {
  config: 'a file path',
  cache: 'a number of seconds',
  workers: 'a number, or auto',
  auth: 'user:password',
  'ssl-cert': 'a certificate file',
  'ssl-key': 'a key file',
  'ssl-pass': 'a passphrase file',
  listen: 'an endpoint such as 3000 or unix:/tmp/site.sock',
  header: '"Name: value"',
  'watch-ignore': 'a glob',
};

function requireValues(args: CliArgs): void {
  for (const [flag, hint] of Object.entries(VALUE_HINTS)) {
    const value = (args as unknown as Record<string, unknown>)[camel(flag)];
    if (value === '' || (Array.isArray(value) && (value.length === 0 || value.includes('')))) throw new UserError(`--${flag} needs a value: ${hint}`);
  }
}

/**
 * The endpoints: every --listen (or the config's `listen`, whose relative socket paths are from the
 * file's directory), plus --port/--host when given, else host:port.
 */
function endpointsFrom(args: CliArgs, config: { port?: number; host?: string; listen?: string[]; dir?: string }): Endpoint[] {
  const given = args.host ?? config.host ?? 'localhost';
  const host = given === '' ? '0.0.0.0' : given; // a bare --host
  const flagPort = args.port === undefined ? undefined : parsePort(args.port, '--port');
  const [listen, base] = args.listen ? [args.listen, process.cwd()] : [config.listen, config.dir];
  const endpoints = (listen ?? []).map((uri) => parseEndpoint(uri, host, DEFAULT_PORT, base));
  if (endpoints.length > 0 && flagPort === undefined) return endpoints;
  const port = flagPort ?? (process.env.PORT ? parsePort(process.env.PORT, 'the PORT variable') : (config.port ?? DEFAULT_PORT));
  return [...endpoints, { kind: 'tcp', host, port }];
}

function settingsFrom(args: CliArgs): Settings {
  requireValues(args);
  const root = resolve(args.dir);
  const loaded = loadConfig(root, args.config);
  const { port, host, listen, strictPort, quiet, workers, sslCert, sslKey, sslPass, http2, ...fileOptions } = loaded.config;
  const given = <T>(value: T | undefined, fallback: T | undefined): T | undefined => (value === undefined ? fallback : value);
  // Paths in the config file are relative to the file; on the command line, to the current directory.
  const fromConfig = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(dirname(loaded.path!), path));
  const tls = tlsFiles(args.sslCert ?? fromConfig(sslCert), args.sslKey ?? fromConfig(sslKey), args.sslPass ?? fromConfig(sslPass), (alone) => new UserError(`--ssl-${alone} needs --ssl-cert`));
  const handlerOptions: HandlerOptions = {
    ...fileOptions,
    root,
    configFile: loaded.path,
    compress: given(args.compress, fileOptions.compress),
    cache: args.cache !== undefined ? parseCacheSeconds(args.cache) : fileOptions.cache,
    cacheHashed: given(args.cacheHashed, fileOptions.cacheHashed),
    etag: given(args.etag, fileOptions.etag),
    fileCache: given(args.fileCache, fileOptions.fileCache),
    listing: given(args.listing, fileOptions.listing),
    single: args.single === undefined ? fileOptions.single : args.single === '' ? true : args.single,
    cleanUrls: given(args.cleanUrls, fileOptions.cleanUrls),
    cors: given(args.cors, fileOptions.cors),
    header: [...(fileOptions.header ?? []), ...(args.header ?? [])],
    auth: args.auth ?? (process.env.TINY_SERVE_AUTH || undefined) ?? fileOptions.auth,
    watch: given(args.watch, fileOptions.watch),
    watchIgnore: [...(fileOptions.watchIgnore ?? []), ...(args.watchIgnore ?? [])],
  };
  return {
    endpoints: endpointsFrom(args, { port, host, listen, dir: loaded.path && dirname(loaded.path) }),
    strictPort: given(args.strictPort, strictPort) ?? false,
    quiet: given(args.quiet, quiet) ?? false,
    open: args.open === undefined ? undefined : `/${args.open.replace(/^\/+/, '')}`,
    workers: parseWorkers(args.workers ?? (workers === undefined ? undefined : String(workers))),
    configPath: loaded.path,
    tls,
    http2: given(args.http2, http2) ?? true,
    handlerOptions,
  };
}

/**
 * Flags of the peers (serve, http-server, sirv-cli) and a few natural guesses that tiny-serve has under
 * another name with the same meaning. Where the peers give one letter different meanings, both readings.
 */
const PEER_FLAGS = new Map<string, string[]>([
  ['-s', ['--single', '--quiet']], // serve and sirv: --single; http-server: --silent
  ['--spa', ['--single']],
  ['--silent', ['--quiet']], // http-server
  ['-L', ['--quiet']], // serve: --no-request-logging
  ['--no-request-logging', ['--quiet']],
  ['-a', ['--host']], // http-server: address to bind
  ['--address', ['--host']],
  ['-C', ['--cors', '--ssl-cert']], // serve: --cors; sirv and http-server: --cert
  ['-m', ['--cache']], // sirv: --maxage, in seconds
  ['--maxage', ['--cache']],
  ['--max-age', ['--cache']],
  ['--immutable', ['--cache-hashed']], // sirv: for uniquely named assets
  ['-u', ['--no-compress']], // serve: --no-compression
  ['--no-compression', ['--no-compress']],
  ['--no-port-switching', ['--strict-port']], // serve
  ['--cert', ['--ssl-cert']], // sirv, http-server
  ['--key', ['--ssl-key']],
  ['-K', ['--ssl-key']],
  ['--live-reload', ['--live']],
]);

/** Edits (insert, delete, substitute, swap two neighbours) to turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The unknown flags as the user typed them (`-s`, `--no-clipboard`, `-xy`, `--x` for `--x=1`; from
 * `-qs`, where -q is known, `-s`; `-single`, a long name with one dash, whole). yargs names them
 * without dashes, `--no-` or grouping (`s`, `clipboard`, `x, y`), and a kebab-case one twice (`cors-x,
 * corsX`); a name no flag word accounts for (an extra positional) is kept as yargs gave it.
 */
function typedUnknowns(names: string[], argv: string[], isLongName: (name: string) => boolean): string[] {
  const unknown = new Set(names);
  const accounted = new Set<string>();
  const typed = new Set<string>();
  const end = argv.indexOf('--');
  for (const word of end === -1 ? argv : argv.slice(0, end)) {
    const long = /^--([^=]+)/.exec(word)?.[1];
    const short = long === undefined ? /^-([A-Za-z]+)/.exec(word)?.[1] : undefined;
    const keys = long !== undefined ? [long, long.replace(/^no-/, '')].flatMap((key) => [key, camel(key)]) : [...(short ?? '')];
    const matched = keys.filter((key) => unknown.has(key));
    if (matched.length === 0) continue;
    for (const key of matched) accounted.add(key);
    if (long !== undefined) typed.add(`--${long}`);
    else if (matched.length === short!.length || isLongName(short!)) typed.add(`-${short}`);
    else for (const letter of matched) typed.add(`-${letter}`);
  }
  const rest = names.filter((name) => !accounted.has(name) && !names.some((other) => other !== name && camel(other) === name));
  return [...typed, ...rest];
}

/** Every flag under each of its long names (`watch`, `live`). */
const longNames = (flags: Flag[]): Flag[] =>
  flags.flatMap((flag) => [flag, ...flag.aliases.filter((alias) => alias.length > 1).map((alias) => ({ ...flag, name: alias }))]);

/** The flags an unknown one probably meant: a peer's name for it, else the closest of ours. */
function suggestionsFor(typed: string, flags: Flag[]): string[] {
  const name = typed.replace(/^-+/, '');
  const peer = PEER_FLAGS.get(typed) ?? PEER_FLAGS.get(`--${name}`);
  if (peer) return peer;
  if (!typed.startsWith('-') || (!typed.startsWith('--') && name.length === 1)) return [];
  const long = longNames(flags);
  if (long.some((flag) => flag.name === name)) return [`--${name}`]; // `-single`, one dash short
  const extended = name.length >= 3 ? long.find((flag) => flag.name.startsWith(name)) : undefined;
  if (extended) return [`--${extended.name}`];
  // `--no-etga` means a boolean flag turned off: --no-etag.
  const negated = name.startsWith('no-') ? name.slice(3) : undefined;
  let best: { flag: string; distance: number } | undefined;
  for (const flag of long) {
    const plain = editDistance(name, flag.name);
    const off = negated !== undefined && flag.boolean ? editDistance(negated, flag.name) : Infinity;
    const distance = Math.min(plain, off);
    if (!best || distance < best.distance) best = { flag: off < plain ? `no-${flag.name}` : flag.name, distance };
  }
  return best && best.distance <= (name.length <= 3 ? 1 : 2) ? [`--${best.flag}`] : [];
}

/** `Unknown argument: -s; did you mean --single or --quiet?` (one line, whatever was typed). */
function usageMessage(message: string, argv: string[], flags: Flag[]): string {
  const names = /^Unknown arguments?: (.+)$/.exec(message)?.[1]?.split(', ');
  if (!names) return message;
  const isLongName = (name: string): boolean => PEER_FLAGS.has(`--${name}`) || longNames(flags).some((flag) => flag.name === name);
  const unknown = typedUnknowns(names, argv, isLongName).map((typed) => ({ typed, meant: suggestionsFor(typed, flags).join(' or ') }));
  const list = `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.map(({ typed }) => typed).join(', ')}`;
  const hints = unknown.filter(({ meant }) => meant !== '').map(({ typed, meant }) => (unknown.length > 1 ? `${meant} for ${typed}` : meant));
  return hints.length > 0 ? `${list}; did you mean ${hints.join(', ')}?` : list;
}


/** Live reload's own requests, several on every page load: plumbing, not the site (only under --watch). */
const LIVE_PATHS = new Set([EVENTS_PATH, CLIENT_PATH, WORKER_PATH]);
const isLivePlumbing = (url = ''): boolean => LIVE_PATHS.has(url.split('?')[0]!);

/** The address a server bound (`0.0.0.0`, `192.168.1.5`, `::1`) and its port; '' and 0 for a Unix socket. */
function boundTo(server: AnyServer): { address: string; port: number } {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address : { address: '', port: 0 };
}

async function main(): Promise<void> {
  // A worker takes the primary's stop from the start, before anything else can keep it waiting.
  const listening = isWorker() ? joinPool() : undefined;
  const argv = hideBin(process.argv);
  const parser = cliParser(argv);
  let args: CliArgs;
  try {
    args = parser.parseSync() as unknown as CliArgs;
  } catch (error) {
    throw new UserError(`${usageMessage((error as Error).message, argv, flagsOf(parser))} (see tiny-serve --help)`);
  }
  rejectMisusedValues(args, flagsOf(parser));
  const settings = settingsFrom(args);
  const palette = paletteFor(process.stdout, process.env);
  const tls = settings.tls && (await loadTls(settings.tls));

  if (settings.workers > 1 && !isWorker()) {
    createHandler(settings.handlerOptions).close(); // the primary only checks the options; workers serve
    runPrimary({
      count: settings.workers,
      log: (line) => out(`\n  ${palette.dim(line)}\n`),
      onListening: (ports, addresses) => announce(palette, settings, tls, ports, addresses),
    });
    return;
  }
  const assigned = assignedPorts();
  const endpoints = settings.endpoints.map((endpoint, index): Endpoint =>
    endpoint.kind === 'tcp' && assigned?.[index] !== undefined ? { ...endpoint, port: assigned[index]! } : endpoint,
  );

  const logRequest = settings.quiet ? undefined : requestLogger(out, palette);
  const watching = settings.handlerOptions.watch === true;
  const handle = await servePlan({
    handlerOptions: settings.handlerOptions,
    endpoints,
    tls: tls && { options: tls.options, http2: settings.http2 },
    strictPort: settings.strictPort || assigned !== undefined,
    onRequest: logRequest && ((req, res) => (watching && isLivePlumbing(req.url) ? undefined : logRequest(req, res))),
  }).catch((error: unknown) => {
    throw error instanceof ListenError ? new UserError(listenErrorMessage(error.cause, error.endpoint)) : error;
  });
  for (const server of handle.servers) server.on('error', (error: Error) => fatal(`server error: ${error.message}`));
  const ports = handle.servers.map((server) => boundTo(server).port);
  const addresses = handle.servers.map((server) => boundTo(server).address);
  if (listening) {
    const shareAs = endpoints.map((endpoint, index) => (endpoint.kind === 'tcp' && endpoint.port !== 0 ? ports[index]! : 0));
    listening(ports, addresses, shareAs, () => void handle.close().then(() => process.exit(0)));
    return;
  }
  announce(palette, settings, tls, ports, addresses);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second Ctrl-C: leave at once
    stopping = true;
    out(`\n  ${palette.dim(`${signal}: stopping (Ctrl+C again to force)`)}\n`);
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Every error ends here, as one line: a UserError's message is that line. Anything else (a watch limit
// reached, a bug) is shown by its message too, so that the terminal never gets a stack trace.
main().catch((error: unknown) => fatal(error instanceof Error ? error.message : String(error)));
