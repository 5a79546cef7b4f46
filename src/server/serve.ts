// `serve()`: a handler on listening servers (one per endpoint, HTTP or HTTPS/HTTP/2), and a handle
// to stop them. In two steps: the options checked into a plan, then the plan served; the CLI makes
// its own plan (its defaults, its request log) and serves it with the same second step.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler } from '../handler/handler.js';
import { PORT_RULE, isPort, parseEndpoint, urlFor, type Endpoint } from './endpoints.js';
import { CLOSE_GRACE_MS, closeGracefully, createServer, type AnyServer, type ServerTls } from './server.js';
import { ListenError, listenAll, type Bound } from './listen.js';
import { loadTls, tlsFiles } from './tls.js';
import type { HandlerOptions } from '../types.js';
import { baseUrl, parseBase } from '../handler/base-path.js';
import { UserError } from '../errors.js';

/** Options of `serve`: where and how to listen, and every option of `createHandler`. */
export interface ServeOptions extends HandlerOptions {
  /**
   * Port to listen on. `0` lets the OS pick a free port (read it back from the handle's `port`
   * or `url`), which suits tests and tools that start servers side by side. The CLI's 3000 is a
   * default for people typing a URL; pass it here when you want that.
   * @default 0
   */
  port?: number;
  /**
   * Address to bind (and the host of bare ports in `listen`). `localhost` keeps the server on this
   * machine, on 127.0.0.1 and ::1 alike (a family the machine lacks is skipped); `0.0.0.0` or `::`
   * exposes it on the network.
   * @default 'localhost'
   */
  host?: string;
  /**
   * Endpoints to listen on instead of `port`/`host`, as the CLI's `--listen` takes them: `3000`,
   * `tcp://host:port`, `tcp://[::1]:port`, `unix:/path/to.sock`. One server per endpoint.
   * @default undefined (`host`:`port`)
   */
  listen?: string | string[];
  /**
   * When a port is busy, reject (with the `EADDRINUSE` error) instead of binding the next free
   * port on the same host (up to 20 tried), as the CLI's `--strict-port` does.
   * @default false
   */
  strictPort?: boolean;
  /** Serve HTTPS with this PEM certificate (with `sslKey`), or PKCS#12 bundle (`.pfx`/`.p12`). @default undefined */
  sslCert?: string;
  /** The PEM private key for `sslCert`. @default undefined */
  sslKey?: string;
  /** A file holding the passphrase of `sslKey` (or of the `.pfx` bundle). @default undefined */
  sslPass?: string;
  /**
   * With TLS, offer HTTP/2 (ALPN `h2`) beside HTTP/1.1 on the same port; `false` serves HTTP/1.1 only.
   * @default true
   */
  http2?: boolean;
}

/** A running server started by `serve`. */
export interface ServeHandle {
  /**
   * Base URL of the first endpoint, ending in `/`: `http://localhost:54321/`, `https://…` with TLS,
   * `http://localhost:54321/repo/` with `base: '/repo/'`, or `unix:/path/to.sock` for a socket.
   */
  url: string;
  /** Base URLs of every endpoint, in the order given. */
  urls: string[];
  /** The port the first TCP endpoint actually bound (differs from the option when it was 0 or busy); 0 with only sockets. */
  port: number;
  /** The server of the first endpoint (node:http, node:https or node:http2), for logging or inspecting connections. */
  server: AnyServer;
  /**
   * One server per endpoint, in the order given. `localhost` listens on 127.0.0.1 and ::1: this is
   * the first of the two (the other closes with it and reports its errors on it).
   */
  servers: AnyServer[];
  /**
   * Stops accepting connections, ends live-reload streams, lets responses in flight finish (3 s
   * at most) and stops the file cache's watches. Resolves once every endpoint is free. Safe to call twice.
   */
  close(): Promise<void>;
}

/** A URL a client on this machine can use for a bound endpoint, whose host may be unspecified. */
function reachableUrl({ endpoint, port }: Bound, scheme: 'http' | 'https'): string {
  if (endpoint.kind === 'unix') return `unix:${endpoint.path}`;
  const host = endpoint.host === '0.0.0.0' ? '127.0.0.1' : endpoint.host === '::' ? '::1' : endpoint.host;
  return urlFor(scheme, host, port);
}

function endpointsOf(listen: string | string[] | undefined, host: string, port: number): Endpoint[] {
  if (listen === undefined) return [{ kind: 'tcp', host, port }];
  const uris = Array.isArray(listen) ? listen : [listen];
  if (uris.length === 0) throw new TypeError('serve: `listen` must name at least one endpoint');
  try {
    return uris.map((uri) => parseEndpoint(String(uri), host, port));
  } catch (error) {
    throw error instanceof UserError ? new TypeError(`serve: ${error.message}`) : error;
  }
}

/** What serving needs once the options are checked. */
export interface ServePlan {
  handlerOptions: HandlerOptions;
  /** Where to listen, in order: one server each. */
  endpoints: Endpoint[];
  /** The loaded certificate and whether to offer HTTP/2; undefined for plain HTTP. */
  tls: ServerTls | undefined;
  /** A busy port is an error, instead of a move to the next free one. */
  strictPort: boolean;
  /** Called as each request arrives, before the handler sees it (the CLI's request log). */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Checks `serve`'s own options (TypeErrors name them) and loads the certificate: the plan to serve. */
async function planFor(options: ServeOptions): Promise<ServePlan> {
  const { port = 0, host = 'localhost', listen, strictPort = false, sslCert, sslKey, sslPass, http2 = true, ...handlerOptions } = options;
  if (!isPort(port)) throw new TypeError(`serve: \`port\` must be ${PORT_RULE}, got ${String(port)}`);
  const files = tlsFiles(sslCert, sslKey, sslPass, () => new TypeError('serve: `sslKey` and `sslPass` need `sslCert`'));
  const endpoints = endpointsOf(listen, host, port);
  const tls = files && { options: (await loadTls(files)).options, http2 };
  return { handlerOptions, endpoints, tls, strictPort };
}

/**
 * Serves a plan: one handler, on a listening server per endpoint. Rejects when the handler options
 * are invalid, or with a ListenError naming the endpoint that could not be bound (any bound
 * before it are closed again).
 */
export async function servePlan({ handlerOptions, endpoints, tls, strictPort, onRequest }: ServePlan): Promise<ServeHandle> {
  const handler = createHandler(handlerOptions);
  const respond = onRequest
    ? (req: IncomingMessage, res: ServerResponse) => {
        onRequest(req, res);
        handler(req, res);
      }
    : handler;
  let bound: Bound[];
  try {
    // The request log sees every request as a request and response: HTTP/2 answers from memory skip those.
    const recall = onRequest ? undefined : handler.recallAnswer;
    bound = await listenAll(endpoints, () => createServer(respond, tls, handler.upgrades, recall), strictPort);
  } catch (error) {
    handler.close();
    throw error;
  }
  // A TCP endpoint's URL is the site's: under the base (a socket's names the socket alone).
  const site = baseUrl(parseBase(handlerOptions.base ?? '/')).slice(1);
  const urls = bound.map((one) => reachableUrl(one, tls ? 'https' : 'http') + (one.endpoint.kind === 'tcp' ? site : ''));
  let closing: Promise<void> | undefined;
  return {
    url: urls[0]!,
    urls,
    port: bound.find(({ endpoint }) => endpoint.kind === 'tcp')?.port ?? 0,
    server: bound[0]!.server,
    servers: bound.map(({ server }) => server),
    close() {
      if (!closing) {
        // Ending live-reload streams first keeps them from holding the close for the whole grace period.
        handler.close();
        closing = Promise.all(bound.flatMap(({ server, twins }) => [server, ...twins]).map((open) => closeGracefully(open, CLOSE_GRACE_MS))).then(() => undefined);
      }
      return closing;
    },
  };
}

/**
 * Serves `root` on each endpoint with the same handler and server limits as the CLI (no request
 * log, no banner, no signal handling). Rejects when the options are invalid (`root` missing or not a
 * directory, a bad `cache`, an unreadable certificate…) or an endpoint cannot be bound (with the
 * system's error: `EADDRINUSE`…).
 */
export async function serve(options: ServeOptions): Promise<ServeHandle> {
  return servePlan(await planFor(options)).catch((error: unknown) => {
    throw error instanceof ListenError ? error.cause : error;
  });
}
