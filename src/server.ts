// Listening and stopping: a node:http server with deliberate limits, port fallback, graceful close.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server limits, set on purpose. Node enforces the header and request timeouts by a sweep every
 * `connectionsCheckingInterval`, so a slowloris client is dropped within headersTimeout + interval
 * (11 s) rather than up to 30 s later with Node's defaults.
 */
export const SERVER_LIMITS = {
  /** Request line + headers; larger requests get 431. */
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  /** A socket with no activity at all for this long (a client that stopped reading) is closed. */
  socketTimeout: 120_000,
} as const;

export function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const { socketTimeout, ...options } = SERVER_LIMITS;
  // requireHostHeader (Node's default) answers an HTTP/1.1 request without Host with 400.
  const server = createHttpServer({ ...options, requireHostHeader: true }, handler);
  server.setTimeout(socketTimeout);
  return server;
}

function listenOnce(server: Server, port: number, host: string): Promise<void> {
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
    server.listen(port, host);
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
export async function listen(server: Server, { port, host, strictPort, attempts = 20 }: ListenOptions): Promise<number> {
  for (let candidate = port; ; candidate += 1) {
    try {
      await listenOnce(server, candidate, host);
      return (server.address() as AddressInfo).port;
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      const canRetry = busy && !strictPort && port !== 0 && candidate < 65535 && candidate - port + 1 < attempts;
      if (!canRetry) throw error;
    }
  }
}

/**
 * Stops accepting connections, lets in-flight responses finish, closes keep-alive connections as
 * soon as they are idle, and force-closes whatever is left after `graceMs`.
 */
export function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    sweep.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
