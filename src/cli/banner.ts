// What the CLI says about its servers: the startup banner (where each endpoint is reached, and
// how the site is served), the notes before it, the --open URL, and the wording of a listen error.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, relative } from 'node:path';
import { baseUrl } from '../handler/base-path.js';
import { ALL_INTERFACES, describeEndpoint, urlFor, type Endpoint } from '../server/endpoints.js';
import type { TlsMaterial } from '../server/tls.js';
import type { SelfSignedInfo } from '../server/tls.js';
import type { Palette } from './log.js';
import type { Settings } from './settings.js';

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;

/** External addresses of this machine, for the Network: lines (IPv6 only when bound to ::). */
export function networkAddresses(host: string): string[] {
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4' || (host === '::' && !info.address.startsWith('fe80'))) addresses.push(info.address);
    }
  }
  return addresses;
}

/** The site's URL at an address: under the base (`http://localhost:3000/my-repo/`). */
function siteUrl(settings: Settings, host: string, port: number): string {
  return urlFor(settings.tls ? 'https' : 'http', host, port) + baseUrl(settings.handlerOptions.base ?? '/').slice(1);
}

/** The URL a browser on this machine opens for a TCP endpoint (localhost for an all-interfaces bind). */
function localUrl(settings: Settings, host: string, port: number): string {
  return siteUrl(settings, ALL_INTERFACES.has(host) ? 'localhost' : host, port);
}

/** Addresses only this machine reaches: localhost and the loopback range (127.0.0.0/8, ::1). */
function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/i.test(address);
}

/**
 * Where other devices reach a TCP endpoint bound to `bound`: every network address of the machine
 * for an all-interfaces bind, else the address itself; undefined when the endpoint is not exposed.
 */
function networkUrls(settings: Settings, host: string, port: number, bound: string): string[] | undefined {
  if (ALL_INTERFACES.has(host)) return networkAddresses(host).map((address) => siteUrl(settings, address, port));
  if (isLoopback(bound)) return undefined;
  // An address as given (with a link-local zone); a host name as the address others can reach.
  return [siteUrl(settings, isIP(host.split('%')[0]!) ? host : bound, port)];
}

/** The first URL other devices reach the site at (what --qr shows); undefined when none is exposed or the machine has no network address. */
export function firstNetworkUrl(settings: Settings, ports: number[], addresses: string[]): { exposed: boolean; url: string | undefined } {
  let exposed = false;
  for (const [index, endpoint] of settings.endpoints.entries()) {
    if (endpoint.kind !== 'tcp') continue;
    const urls = networkUrls(settings, endpoint.host, ports[index]!, addresses[index] || endpoint.host);
    if (urls === undefined) continue;
    exposed = true;
    if (urls[0] !== undefined) return { exposed, url: urls[0] };
  }
  return { exposed, url: undefined };
}

/**
 * `Local:` for each TCP endpoint and `Network:` for where other devices reach it, `Socket:` for each
 * Unix socket. Exposure is judged by the address bound (`addresses`), not the name given: a host name
 * can stand for a loopback address.
 */
function endpointLines(palette: Palette, settings: Settings, ports: number[], addresses: string[]): string[] {
  const lines: string[] = [];
  let exposed = false;
  settings.endpoints.forEach((endpoint, index) => {
    if (endpoint.kind === 'unix') {
      lines.push(`  Socket:   ${palette.cyan(`unix:${endpoint.path}`)}`);
      return;
    }
    const port = ports[index]!;
    lines.push(`  Local:    ${palette.cyan(localUrl(settings, endpoint.host, port))}`);
    const network = networkUrls(settings, endpoint.host, port, addresses[index] || endpoint.host);
    if (network !== undefined) exposed = true;
    for (const url of network ?? []) lines.push(`  Network:  ${palette.cyan(url)}`);
  });
  if (!exposed && settings.endpoints.some((endpoint) => endpoint.kind === 'tcp')) {
    lines.push(`  Network:  ${palette.dim('use --host to expose')}`);
  }
  return lines;
}

/**
 * What the banner says of `--ssl`'s own certificate: whether it is new or kept from an earlier start,
 * where it lives (or why only in memory), and the fingerprint a browser's certificate viewer shows.
 */
function certificateLines(palette: Palette, info: SelfSignedInfo): string[] {
  const where =
    info.certFile === undefined
      ? palette.yellow(`self-signed, in memory only (${info.unsaved}): browsers will ask again after a restart`)
      : `self-signed, ${info.made ? 'new' : 'reused'}, valid until ${info.validTo.toISOString().slice(0, 10)}: ${info.certFile}`;
  return ['', `  Cert:     ${where}`, `  SHA-256:  ${palette.dim(info.fingerprint)}`];
}

/** The banner: what is served, where (`ports` and `addresses` as bound, one per endpoint), and how. */
export function banner(palette: Palette, settings: Settings, ports: number[], addresses: string[], tls?: TlsMaterial): string {
  const { handlerOptions: options } = settings;
  const shown = relative(process.cwd(), options.root) || '.';
  const lines = [
    '',
    `  ${palette.bold('tiny-serve')} ${palette.dim(`v${__VERSION__}`)}  serving ${palette.cyan(shown)}`,
    '',
    ...endpointLines(palette, settings, ports, addresses),
    ...(tls?.selfSigned ? certificateLines(palette, tls.selfSigned) : []),
  ];
  const notes = [
    settings.configPath && `config ${relative(process.cwd(), settings.configPath)}`,
    settings.tls && (settings.http2 ? 'HTTPS with HTTP/2' : 'HTTPS (HTTP/1.1)'),
    options.single && `single-page app (fallback ${options.single === true ? 'index.html' : options.single})`,
    options.auth && 'basic auth on',
    options.cors && 'CORS on',
    options.crossOriginIsolated && 'cross-origin isolated',
    options.watch && 'live reload on',
    settings.workers > 1 && `${settings.workers} workers`,
  ].filter(Boolean);
  if (notes.length > 0) lines.push('', `  ${palette.dim(notes.join(' · '))}`);
  lines.push('', `  ${palette.dim('Press Ctrl+C to stop')}`, '', '');
  return lines.join('\n');
}

/** Lines for before the banner: a port that moved because it was busy, a certificate past its date. */
export function startupNotes(settings: Settings, tls: TlsMaterial | undefined, ports: number[]): string[] {
  const notes: string[] = [];
  settings.endpoints.forEach((endpoint, index) => {
    if (endpoint.kind === 'tcp' && endpoint.port !== 0 && ports[index] !== endpoint.port) {
      notes.push(`Port ${endpoint.port} is in use, using ${ports[index]} instead.`);
    }
  });
  if (tls?.validTo && tls.validTo.getTime() < Date.now()) {
    notes.push(`The certificate in --ssl-cert expired on ${tls.validTo.toISOString().slice(0, 10)}: browsers will refuse it.`);
  }
  return notes;
}

/**
 * Where --open points the browser: the first TCP endpoint, at the path asked for (relative to the
 * base, as every site path is); undefined with sockets only.
 */
export function openUrl(settings: Settings, open: string, ports: number[]): string | undefined {
  const index = settings.endpoints.findIndex((endpoint) => endpoint.kind === 'tcp');
  const endpoint = settings.endpoints[index];
  if (endpoint?.kind !== 'tcp') return undefined;
  return localUrl(settings, endpoint.host, ports[index]!).replace(/\/$/, '') + encodeURI(open);
}

/** The one line for an endpoint that could not be bound, from the system's error. */
export function listenErrorMessage(error: NodeJS.ErrnoException, endpoint: Endpoint): string {
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
