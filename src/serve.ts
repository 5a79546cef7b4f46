// `serve()`: the programmatic counterpart of the CLI: a handler on a listening server, and a handle to stop it.
import type { Server } from 'node:http';
import { createHandler } from './handler.js';
import { closeGracefully, createServer, listen } from './server.js';
import type { HandlerOptions } from './types.js';

/** How long `close()` lets responses in flight finish before it closes their connections. */
const CLOSE_GRACE_MS = 3_000;

/** Options of `serve`: where to listen, and every option of `createHandler`. */
export interface ServeOptions extends HandlerOptions {
  /**
   * Port to listen on. `0` lets the OS pick a free port (read it back from the handle's `port`
   * or `url`), which suits tests and tools that start servers side by side. The CLI's 3000 is a
   * default for people typing a URL; pass it here when you want that.
   * @default 0
   */
  port?: number;
  /**
   * Address to bind. `localhost` keeps the server on this machine; `0.0.0.0` or `::` exposes it
   * on the network.
   * @default 'localhost'
   */
  host?: string;
  /**
   * When `port` is busy, reject (with the `EADDRINUSE` error) instead of binding the next free
   * port on the same host (up to 20 tried), as the CLI's `--strict-port` does.
   * @default false
   */
  strictPort?: boolean;
}

/** A running server started by `serve`. */
export interface ServeHandle {
  /** Base URL of the server, ending in `/`: `http://localhost:54321/`. */
  url: string;
  /** The port actually bound (differs from the option when it was 0 or busy). */
  port: number;
  /** The underlying node:http server, for `on('request')` logging or inspecting connections. */
  server: Server;
  /**
   * Stops accepting connections, ends live-reload streams, lets responses in flight finish (3 s
   * at most) and stops the file cache's watches. Resolves once the port is free. Safe to call twice.
   */
  close(): Promise<void>;
}

/** A URL a client on this machine can use for `host`, which may be an unspecified address. */
function urlFor(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/`;
}

/**
 * Serves `root` on `host:port` with the same handler and server limits as the CLI (no request log,
 * no banner, no signal handling). Rejects when the options are invalid (`root` missing or not a
 * directory, a bad `cache`…) or the port cannot be bound.
 */
export async function serve(options: ServeOptions): Promise<ServeHandle> {
  const { port = 0, host = 'localhost', strictPort = false, ...handlerOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`serve: \`port\` must be a whole number from 0 to 65535, got ${String(port)}`);
  }
  const handler = createHandler(handlerOptions);
  const server = createServer(handler);
  let bound: number;
  try {
    bound = await listen(server, { port, host, strictPort });
  } catch (error) {
    handler.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: urlFor(host, bound),
    port: bound,
    server,
    close() {
      if (!closing) {
        // Ending live-reload streams first keeps them from holding the close for the whole grace period.
        handler.close();
        closing = closeGracefully(server, CLOSE_GRACE_MS);
      }
      return closing;
    },
  };
}
