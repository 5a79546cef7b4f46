// The command line, and the only module with side effects: argv → options, one-line errors,
// the startup banner, the request log and signal handling. A thin layer over the library.
import { networkInterfaces } from 'node:os';
import { relative, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createHandler } from './handler.js';
import { closeGracefully, createServer, listen } from './server.js';
import { paletteFor, requestLogger, type Palette } from './log.js';

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;

/** How long in-flight responses get to finish after Ctrl-C / SIGTERM. */
const SHUTDOWN_GRACE_MS = 3_000;
const DEFAULT_PORT = 3000;
const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

/** The flags as yargs parses them (CLI types, kept apart from the handler's options). */
interface CliArgs {
  dir: string;
  port?: string;
  host?: string;
  strictPort: boolean;
  quiet: boolean;
  compress: boolean;
  cache?: string;
  cacheHashed: boolean;
  etag: boolean;
}

class UsageError extends Error {}

function fatal(message: string): never {
  process.stderr.write(`tiny-serve: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): CliArgs {
  return yargs(argv)
    .scriptName('tiny-serve')
    .command('$0 [dir]', 'Serve a directory over HTTP', (command) =>
      command.positional('dir', {
        type: 'string',
        default: '.',
        describe: 'Directory to serve',
        defaultDescription: 'the current directory',
      }),
    )
    .option('port', {
      alias: 'p',
      type: 'string',
      describe: 'Port to listen on; 0 picks any free port. A busy port moves to the next free one',
      defaultDescription: `${DEFAULT_PORT}, or $PORT`,
    })
    .option('host', {
      alias: 'H',
      type: 'string',
      // No yargs default: with one, a bare --host would read as the default instead of ''.
      defaultDescription: 'localhost',
      describe: 'Host to bind; a bare --host (or 0.0.0.0, ::) exposes the server on the network',
    })
    .option('strict-port', {
      type: 'boolean',
      default: false,
      describe: 'Exit with an error if the port is busy instead of trying the next one',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Do not log requests' })
    .option('compress', {
      type: 'boolean',
      default: true,
      describe: 'Compress text responses on the fly (brotli, gzip); --no-compress turns it off. Precompressed .br/.gz files are always used',
    })
    .option('cache', {
      type: 'string',
      describe: 'Cache-Control: public, max-age=<seconds> for every file',
      defaultDescription: 'no-cache: always revalidate',
    })
    .option('cache-hashed', {
      type: 'boolean',
      default: false,
      describe: 'Cache files with a content hash in their name (app.3f9a1c2b.js) for a year, immutable; never HTML',
    })
    .option('etag', { type: 'boolean', default: true, describe: 'Send ETags; --no-etag leaves Last-Modified alone' })
    .example('$0', 'Serve the current directory on http://localhost:3000')
    .example('$0 ./public -p 8080', 'Serve ./public on port 8080')
    .example('$0 dist --host', 'Serve dist to other devices on the network')
    .strict()
    .help()
    .alias('help', 'h')
    .version(__VERSION__)
    .alias('version', 'v')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      throw new UsageError(message ?? error?.message ?? 'invalid arguments');
    })
    .parseSync() as unknown as CliArgs;
}

/** Parses a port from the command line or $PORT: an integer 0..65535, or a one-line error. */
function parsePort(raw: string, source: string): number {
  if (raw === '') fatal(`${source} needs a value: a whole number from 0 to 65535`);
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    fatal(`invalid port ${JSON.stringify(raw)} from ${source}: use a whole number from 0 to 65535`);
  }
  return Number(raw);
}

/** Parses --cache: whole seconds, or a one-line error. */
function parseCacheSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw)) fatal(`invalid --cache ${JSON.stringify(raw)}: use a whole number of seconds`);
  return Number(raw);
}

function urlFor(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
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

function banner(palette: Palette, root: string, host: string, port: number): string {
  const exposed = ALL_INTERFACES.has(host);
  const shown = relative(process.cwd(), root) || '.';
  const lines = [
    '',
    `  ${palette.bold('tiny-serve')} ${palette.dim(`v${__VERSION__}`)}  serving ${palette.cyan(shown)}`,
    '',
    `  Local:    ${palette.cyan(urlFor(exposed ? 'localhost' : host, port))}`,
  ];
  if (exposed) {
    for (const address of networkAddresses(host)) lines.push(`  Network:  ${palette.cyan(urlFor(address, port))}`);
  } else {
    lines.push(`  Network:  ${palette.dim('use --host to expose')}`);
  }
  lines.push('', `  ${palette.dim('Press Ctrl+C to stop')}`, '', '');
  return lines.join('\n');
}

function listenErrorMessage(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${host} (without --strict-port the next free port is used)`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to listen on port ${port}${port < 1024 ? ' (ports below 1024 need privileges; try --port 3000)' : ''}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: that address is not on this machine`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: unknown host`;
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`;
  }
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(hideBin(process.argv));
  } catch (error) {
    fatal(`${(error as Error).message} (see tiny-serve --help)`);
  }
  const port =
    args.port !== undefined
      ? parsePort(args.port, '--port')
      : process.env.PORT
        ? parsePort(process.env.PORT, 'the PORT variable')
        : DEFAULT_PORT;
  const host = args.host === undefined ? 'localhost' : args.host === '' ? '0.0.0.0' : args.host;

  let handler;
  try {
    handler = createHandler({
      root: args.dir,
      compress: args.compress,
      cache: parseCacheSeconds(args.cache),
      cacheHashed: args.cacheHashed,
      etag: args.etag,
    });
  } catch (error) {
    fatal((error as Error).message);
  }

  const palette = paletteFor(process.stdout, process.env);
  const logRequest = args.quiet ? undefined : requestLogger((line) => process.stdout.write(line), palette);
  const server = createServer((req, res) => {
    logRequest?.(req, res);
    handler(req, res);
  });

  let bound: number;
  try {
    bound = await listen(server, { port, host, strictPort: args.strictPort });
  } catch (error) {
    fatal(listenErrorMessage(error as NodeJS.ErrnoException, host, port));
  }
  server.on('error', (error) => fatal(`server error: ${error.message}`));
  if (port !== 0 && bound !== port) {
    process.stdout.write(`\n  ${palette.yellow(`Port ${port} is in use, using ${bound} instead.`)}\n`);
  }
  process.stdout.write(banner(palette, resolve(args.dir), host, bound));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second Ctrl-C: leave at once
    stopping = true;
    process.stdout.write(`\n  ${palette.dim(`${signal}: stopping (Ctrl+C again to force)`)}\n`);
    void closeGracefully(server, SHUTDOWN_GRACE_MS).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
