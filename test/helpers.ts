// Test helpers shared by every feature file: servers on port 0, raw requests, temp copies of fixtures.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../src/handler.js';
import type { HandlerOptions } from '../src/types.js';

/** The fixture site every feature test serves (read-only: copy it before writing). */
export const SITE = resolve(import.meta.dirname, '../fixtures/site');
/** The built bundle, for CLI tests (npm test builds it before vitest runs). */
export const CLI = resolve(import.meta.dirname, '../dist/tiny-serve.js');

export interface TestServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts the handler on an ephemeral loopback port. Always `await close()` (afterEach/finally). */
export async function startServer(options: Partial<HandlerOptions> = {}): Promise<TestServer> {
  const handler = createHandler({ root: SITE, ...options });
  const server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        handler.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sends `path` exactly as given (no URL normalization: `..`, `//`, `\` and `%2e` reach the server as
 * written), which supertest and `new URL()` would collapse first.
 */
export function rawRequest(
  port: number,
  path: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** A private, writable copy of the fixture site; remove it with the returned `cleanup`. */
export function copySite(): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'tiny-serve-test-'));
  cpSync(SITE, root, { recursive: true });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
