// The command line's flow, and the only module with side effects: argv → settings → serve (alone, as
// a worker, or as the workers' primary), then the banner, the request log and the signals. Every
// error ends in main's catch as one line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hideBin } from 'yargs/helpers';
import { createHandler, errorLine } from '../handler/handler.js';
import { baseUrl } from '../handler/base-path.js';
import { CLIENT_PATH, EVENTS_PATH, WORKER_PATH } from '../features/live-reload.js';
import { servePlan, type ServeHandle } from '../server/serve.js';
import type { AnyServer } from '../server/server.js';
import { ListenError } from '../server/listen.js';
import { loadTls, type TlsMaterial } from '../server/tls.js';
import { assignedPorts, isWorker, joinPool, runPrimary, signalWorkers } from '../server/workers.js';
import type { Endpoint } from '../server/endpoints.js';
import { UserError } from '../errors.js';
import { banner, listenErrorMessage, openUrl, startupNotes } from './banner.js';
import { keepYoungGenerationSmall } from './heap.js';
import { PLAIN, paletteFor, requestLogger, safeWriter, type Palette } from './log.js';
import { openLogFile } from './log-file.js';
import { lineFormat } from './log-formats.js';
import { openBrowser } from './open-browser.js';
import { parseArgs } from './parser.js';
import { runExport } from './export-command.js';
import { qrOutput } from './qr.js';
import { loadSettings, SELF_SIGNED, type Settings } from './settings.js';
import { selfSignedForCli, workerEnvironment } from './ssl.js';

/**
 * stdout and stderr, written so that a reader that leaves (`tiny-serve | head -2`) never stops the
 * server; stderr is taken when first written to (errors go there through `err`, the handler's too).
 */
const out = safeWriter(process.stdout);
const err = safeWriter(() => process.stderr);
const onError = (error: unknown, url: string): void => err(errorLine(error, url));
/** A problem that does not stop the server, as one line on stderr. */
const warn = (line: string): void => err(`tiny-serve: ${line}\n`);

function fatal(message: string): never {
  err(`tiny-serve: ${message}\n`);
  process.exit(1);
}

/** Live reload's own requests (under the base), several on every page load: plumbing, not the site (only under --watch). */
function livePlumbing(base = '/'): (url?: string) => boolean {
  const paths = new Set([EVENTS_PATH, CLIENT_PATH, WORKER_PATH].map((path) => baseUrl(base) + path.slice(1)));
  return (url = '') => paths.has(url.split('?')[0]!);
}

/** The request log (none with --quiet), in its format, which leaves live reload's plumbing out. */
function requestLog(settings: Settings, write: (text: string) => void, palette: Palette): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
  if (settings.quiet) return undefined;
  const logRequest = requestLogger(write, lineFormat(settings.logFormat, palette));
  const watching = settings.handlerOptions.watch === true;
  const isLivePlumbing = livePlumbing(settings.handlerOptions.base);
  return (req, res) => {
    if (!(watching && isLivePlumbing(req.url))) logRequest(req, res);
  };
}

/**
 * Where the request log goes: stdout (coloured on a terminal, in the dev format only), or --log-file,
 * reopened on SIGHUP so that logrotate can move it away (a SIGHUP no longer stops the server then).
 */
function logDestination(settings: Settings, palette: Palette): { write: (text: string) => void; palette: Palette } {
  if (settings.quiet || settings.logFile === undefined) return { write: out, palette };
  const file = openLogFile(settings.logFile, warn);
  process.on('SIGHUP', () => file.reopen());
  return { write: file.write, palette: PLAIN };
}

/** The address a server bound (`0.0.0.0`, `192.168.1.5`, `::1`) and its port; '' and 0 for a Unix socket. */
function boundTo(server: AnyServer): { address: string; port: number } {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address : { address: '', port: 0 };
}

/** --qr's code of the Network URL under the banner, or its line saying why there is none. */
async function showQr(palette: Palette, settings: Settings, ports: number[], addresses: string[]): Promise<void> {
  const shown = await qrOutput(settings, ports, addresses, process.stdout, process.env);
  if ('note' in shown) out(`  ${palette.yellow(shown.note)}\n`);
  else out(`${shown.code.map((line) => `  ${line}\n`).join('')}  ${palette.dim(`Scan to open ${shown.url}`)}\n\n`);
}

/** The startup notes and banner, then --qr and --open. */
async function announce(palette: Palette, settings: Settings, tls: TlsMaterial | undefined, ports: number[], addresses: string[]): Promise<void> {
  for (const note of startupNotes(settings, tls, ports)) out(`\n  ${palette.yellow(note)}\n`);
  out(banner(palette, settings, ports, addresses, tls));
  if (settings.qr) await showQr(palette, settings, ports, addresses);
  if (settings.open === undefined) return;
  const note = (line: string): void => out(`  ${palette.yellow(line)}\n`);
  const url = openUrl(settings, settings.open, ports);
  if (url === undefined) note('--open: nothing to open, the server listens on Unix sockets only');
  else openBrowser(url, note);
}

/** Serves the settings: a worker binds the ports the primary assigned it, strictly. */
async function serveSettings(settings: Settings, tls: TlsMaterial | undefined, palette: Palette): Promise<ServeHandle> {
  const log = logDestination(settings, palette);
  const assigned = assignedPorts();
  const endpoints = settings.endpoints.map((endpoint, index): Endpoint =>
    endpoint.kind === 'tcp' && assigned?.[index] !== undefined ? { ...endpoint, port: assigned[index]! } : endpoint,
  );
  try {
    return await servePlan({
      handlerOptions: { ...settings.handlerOptions, onError },
      endpoints,
      tls: tls && { options: tls.options, http2: settings.http2 },
      strictPort: settings.strictPort || assigned !== undefined,
      onRequest: requestLog(settings, log.write, log.palette),
    });
  } catch (error) {
    throw error instanceof ListenError ? new UserError(listenErrorMessage(error.cause, error.endpoint)) : error;
  }
}

/** Ctrl-C or SIGTERM: responses in flight finish, then exit 0; a second one leaves at once. */
function stopOnSignals(handle: ServeHandle, palette: Palette): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    out(`\n  ${palette.dim(`${signal}: stopping (Ctrl+C again to force)`)}\n`);
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(): Promise<void> {
  keepYoungGenerationSmall();
  // A worker takes the primary's stop from the start, before anything else can keep it waiting.
  const listening = isWorker() ? joinPool() : undefined;
  const argv = hideBin(process.argv);
  const parsed = parseArgs(argv);
  const settings = loadSettings(parsed, process.env);
  if (parsed.export) return runExport(parsed.export, settings, argv, { out, warn });
  const palette = paletteFor(process.stdout, process.env);
  const tls = settings.tls === SELF_SIGNED ? await selfSignedForCli(settings.endpoints) : settings.tls && (await loadTls(settings.tls));
  if (settings.workers > 1 && !isWorker()) {
    createHandler(settings.handlerOptions).close(); // the primary only checks the options: workers serve
    if (settings.logFile !== undefined && !settings.quiet) {
      openLogFile(settings.logFile, warn).close(); // checked here too: the workers open it for themselves
      process.on('SIGHUP', () => signalWorkers('SIGHUP'));
    }
    runPrimary({
      count: settings.workers,
      log: (line) => out(`\n  ${palette.dim(line)}\n`),
      onListening: (ports, addresses) => void announce(palette, settings, tls, ports, addresses).catch(onFatal),
      env: workerEnvironment(tls),
    });
    return;
  }
  const handle = await serveSettings(settings, tls, palette);
  for (const server of handle.servers) server.on('error', (error: Error) => fatal(`server error: ${error.message}`));
  const ports = handle.servers.map((server) => boundTo(server).port);
  const addresses = handle.servers.map((server) => boundTo(server).address);
  if (listening) {
    // The other workers ask for the ports this one bound, or 0 where it asked for 0.
    const shareAs = settings.endpoints.map((endpoint, index) => (endpoint.kind === 'tcp' && endpoint.port !== 0 ? ports[index]! : 0));
    listening(ports, addresses, shareAs, () => void handle.close().then(() => process.exit(0)));
    return;
  }
  stopOnSignals(handle, palette);
  await announce(palette, settings, tls, ports, addresses);
}

// Every error ends here, as one line: a UserError's message is that line. Anything else (a watch limit
// reached, a bug) is shown by its message too, so that the terminal never gets a stack trace.
function onFatal(error: unknown): never {
  fatal(error instanceof Error ? error.message : String(error));
}

main().catch(onFatal);
