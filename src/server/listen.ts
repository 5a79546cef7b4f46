// Binding: a port (moving on to the next free one unless strict), `localhost` on both loopback
// addresses, a Unix socket (one left by a dead process replaced, nothing else ever removed), and
// every endpoint of a list, or none.
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { lstat, unlink } from 'node:fs/promises';
import type { Endpoint } from './endpoints.js';
import { closeGracefully, type AnyServer } from './server.js';

/** One bind: resolves once listening, or rejects with its error (no listener of its own left behind). */
function listenOnce(server: NetServer, bind: (server: NetServer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    bind(server);
  });
}

export interface ListenOptions {
  port: number;
  host: string;
  /** Fail on a busy port instead of trying the next ones. */
  strictPort: boolean;
  /** How many consecutive ports to try before giving up. @default 20 */
  attempts?: number;
}

/**
 * Binds `port` on `host`; when it is busy (EADDRINUSE) and the port is not strict, binds the next
 * port on the same host, and so on. Binding is the test: there is no probe-then-listen race.
 * Resolves with the port actually bound.
 */
export async function listen(server: NetServer, { port, host, strictPort, attempts = 20 }: ListenOptions): Promise<number> {
  for (let candidate = port; ; candidate += 1) {
    try {
      await listenOnce(server, (s) => s.listen(candidate, host));
      return (server.address() as AddressInfo).port;
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      const canRetry = busy && !strictPort && port !== 0 && candidate < 65535 && candidate - port + 1 < attempts;
      if (!canRetry) throw error;
    }
  }
}

/** True when something accepts connections on the socket file (false: a file left by a crash). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'ECONNREFUSED'));
  });
}

/**
 * Binds a Unix domain socket. A socket file left behind by a process that died (nothing answers
 * on it) is removed and the bind retried once; one that answers stays EADDRINUSE. Only a socket
 * is ever removed: a regular file, FIFO or directory at the path is an error, with the code
 * ENOTSOCK like a system error's, for the caller to word as it words those.
 */
async function listenUnix(server: NetServer, path: string): Promise<void> {
  try {
    await listenOnce(server, (s) => s.listen(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const isSocket = await lstat(path).then((stats) => stats.isSocket(), () => false);
    if (!isSocket) throw Object.assign(new Error(`${path} exists and is not a socket`), { code: 'ENOTSOCK' });
    if (await socketAnswers(path)) throw error;
    await unlink(path);
    await listenOnce(server, (s) => s.listen(path));
  }
}

/** `localhost` is two addresses: a tool may connect to either, whichever its resolver put first. */
const LOOPBACKS = ['127.0.0.1', '::1'];
/** Bind errors that mean the machine lacks that address family (no IPv6 loopback, IPv6 disabled). */
const FAMILY_MISSING = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);
const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Binds `localhost` as 127.0.0.1 and ::1 on one port, skipping a family the machine lacks: the first
 * address finds the port (moving on when busy, unless strict), the other must take the same one; when
 * it is busy there, both move on together. Resolves with the servers (the first is the endpoint's).
 */
async function listenLocalhost(make: () => AnyServer, port: number, strictPort: boolean): Promise<{ servers: AnyServer[]; port: number }> {
  let candidate = port;
  for (let attempt = 1; ; attempt += 1) {
    const servers: AnyServer[] = [];
    let bound = candidate;
    let missing: unknown;
    try {
      for (const host of LOOPBACKS) {
        const server = make();
        try {
          if (servers.length === 0) bound = await listen(server, { port: candidate, host, strictPort });
          else await listenOnce(server, (s) => s.listen(bound, host));
          servers.push(server);
        } catch (error) {
          if (!FAMILY_MISSING.has(errorCode(error) ?? '')) throw error;
          missing = error;
        }
      }
      if (servers.length === 0) throw missing;
      return { servers, port: bound };
    } catch (error) {
      await Promise.all(servers.map((server) => closeGracefully(server, 0)));
      // Only the second address can be busy here: the first moved on by itself, or is strict.
      const canRetry = errorCode(error) === 'EADDRINUSE' && servers.length > 0 && !strictPort && attempt < 20 && bound < 65535;
      if (!canRetry) throw error;
      candidate = port === 0 ? 0 : bound + 1;
    }
  }
}

/** Binds `endpoint`; resolves with the servers listening (one, or `localhost`'s two) and the port bound (0 for a Unix socket). */
async function listenOn(endpoint: Endpoint, make: () => AnyServer, strictPort: boolean): Promise<{ servers: AnyServer[]; port: number }> {
  if (endpoint.kind === 'tcp' && endpoint.host === 'localhost') return listenLocalhost(make, endpoint.port, strictPort);
  const server = make();
  if (endpoint.kind === 'unix') {
    await listenUnix(server, endpoint.path);
    return { servers: [server], port: 0 };
  }
  return { servers: [server], port: await listen(server, { port: endpoint.port, host: endpoint.host, strictPort }) };
}

/** A server bound to one endpoint. */
export interface Bound {
  endpoint: Endpoint;
  server: AnyServer;
  /** More servers for the same endpoint: `localhost`'s ::1 beside its 127.0.0.1. */
  twins: AnyServer[];
  /** The port actually bound (the endpoint's, the next free one, or the OS's pick for 0); 0 for a Unix socket. */
  port: number;
}

/** Binding an endpoint failed: the error, and the endpoint it was for. */
export class ListenError extends Error {
  constructor(
    readonly endpoint: Endpoint,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(cause.message);
  }
}

/**
 * Binds servers from `make()` for each endpoint (a server listens once). If any endpoint fails, the
 * ones already bound are closed and a ListenError names the failing endpoint.
 */
export async function listenAll(endpoints: Endpoint[], make: () => AnyServer, strictPort: boolean): Promise<Bound[]> {
  const bound: Bound[] = [];
  for (const endpoint of endpoints) {
    try {
      const { servers, port } = await listenOn(endpoint, make, strictPort);
      const [server, ...twins] = servers as [AnyServer, ...AnyServer[]];
      // A twin's errors are its endpoint's: whoever listens for the server's hears them.
      for (const twin of twins) twin.on('error', (error: Error) => server.emit('error', error));
      bound.push({ endpoint, server, twins, port });
    } catch (error) {
      await Promise.all(bound.flatMap(({ server, twins }) => [server, ...twins]).map((open) => closeGracefully(open, 0)));
      throw new ListenError(endpoint, error as NodeJS.ErrnoException);
    }
  }
  return bound;
}
