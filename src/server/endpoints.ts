// Listen endpoints: parsing `--listen` URIs (`3000`, `tcp://host:port`, `tcp://[::1]:port`,
// `unix:/path.sock`) and naming an endpoint for people (banner URLs) and for errors.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';

/** Where a server listens: a TCP address, or a Unix domain socket file. */
export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const ENDPOINT_FORMS = 'use a port (3000), tcp://host:port, tcp://[::1]:port or unix:/path/to.sock';

/** What a port must be, in every message about one. */
export const PORT_RULE = 'a whole number from 0 to 65535';

/** A port number, from any source: a whole number from 0 to 65535. */
export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
}

/** A port as typed (`--port`, $PORT, in a listen endpoint): digits only, and a port; undefined otherwise. */
export function portFromText(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) && isPort(Number(text)) ? Number(text) : undefined;
}

function portFrom(raw: string, uri: string): number {
  const port = portFromText(raw);
  if (port === undefined) throw new UserError(`invalid port ${JSON.stringify(raw)} in listen endpoint ${JSON.stringify(uri)}: use ${PORT_RULE}`);
  return port;
}

/** The longest socket path the kernel keeps (sun_path less its NUL); a longer one is cut short silently. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

/**
 * Parses one listen URI. A bare port, `host:port` or `tcp://` without a host binds `defaultHost`; a
 * `tcp://` endpoint without a port binds `defaultPort`. A relative `unix:` path is resolved against
 * `base` (the current directory, or a config file's directory). Throws a UserError with a
 * one-line message.
 */
export function parseEndpoint(uri: string, defaultHost: string, defaultPort: number, base = process.cwd()): Endpoint {
  const text = uri.trim();
  if (text === '') throw new UserError(`empty listen endpoint: ${ENDPOINT_FORMS}`);
  if (/^unix:/i.test(text)) {
    const path = text.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new UserError(`listen endpoint ${JSON.stringify(uri)} names no socket file: ${ENDPOINT_FORMS}`);
    const absolute = resolve(base, path);
    if (Buffer.byteLength(absolute) > MAX_SOCKET_PATH) {
      throw new UserError(`socket path ${absolute} is too long: Unix sockets allow ${MAX_SOCKET_PATH} bytes, it has ${Buffer.byteLength(absolute)}`);
    }
    return { kind: 'unix', path: absolute };
  }
  if (/^\d+$/.test(text)) return { kind: 'tcp', host: defaultHost, port: portFrom(text, uri) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme && scheme[1]!.toLowerCase() !== 'tcp') {
    throw new UserError(`unsupported listen endpoint ${JSON.stringify(uri)}: ${ENDPOINT_FORMS}`);
  }
  const address = scheme ? text.slice(scheme[0].length).replace(/\/$/, '') : text;
  // [v6]:port, [v6%zone]:port (a link-local address names its interface), [v6], host:port, host, :port
  const match = /^(?:\[([0-9a-f:.]+(?:%[\w.-]+)?)\]|([^:[\]/\s]*))(?::(\d*))?$/i.exec(address);
  if (!match || (!scheme && match[3] === undefined)) {
    throw new UserError(`cannot read listen endpoint ${JSON.stringify(uri)}: ${ENDPOINT_FORMS}`);
  }
  const host = match[1] ?? (match[2] || defaultHost);
  const port = match[3] === undefined || match[3] === '' ? defaultPort : portFrom(match[3], uri);
  return { kind: 'tcp', host, port };
}

/** Hosts that mean "every interface". */
export const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

/** `host:port`, with an IPv6 address in brackets. */
const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** `http://host:port/` with IPv6 addresses in brackets, a zone's `%` written `%25` (RFC 6874). */
export function urlFor(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${hostPort(host.replace('%', '%25'), port)}/`;
}

/** How an endpoint is named in messages: `localhost:3000`, `[::1]:3000`, `unix:/tmp/site.sock`. */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : hostPort(endpoint.host, endpoint.port);
}
