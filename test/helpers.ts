// Test helpers shared by every feature file: servers on port 0, raw requests, temp copies of fixtures.
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createHandler } from '../src/handler/handler.js';
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

/** Reads a whole response into a RawResponse. */
export function collect(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    res.on('error', fail);
  });
}

/** Descriptors of this process (the in-process server) that point at `path`. */
export function openDescriptorsOf(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count += 1;
    } catch {
      // the descriptor closed while we looked
    }
  }
  return count;
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes; returns its last value. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((done) => setTimeout(done, 20));
  }
  return condition();
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
      collect(res).then(done, fail);
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

/** A served private copy of the fixture site, as `useServedCopy` keeps it. */
export interface ServedCopy {
  readonly root: string;
  readonly server: TestServer;
}

/**
 * Registers hooks that serve a fresh copy of the fixture site, per test (`each`) or per describe
 * (`all`), and close the server and remove the copy afterwards. Read `root`/`server` inside tests.
 */
export function useServedCopy(options: Partial<HandlerOptions> = {}, scope: 'each' | 'all' = 'each'): ServedCopy {
  let site: ReturnType<typeof copySite> | undefined;
  let server: TestServer | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    site = copySite();
    server = await startServer({ ...options, root: site.root });
  });
  after(async () => {
    await server?.close();
    site?.cleanup();
  });
  return {
    get root() {
      return site!.root;
    },
    get server() {
      return server!;
    },
  };
}

/** One keep-alive connection for a whole test: a request right after a write rides an open socket. */
export function keepAliveClient(port: number): {
  get(path: string, headers?: Record<string, string>): Promise<RawResponse>;
  close(): void;
} {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
    new Promise((done, fail) => {
      const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        collect(res).then(done, fail);
      });
      req.on('error', fail);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

/**
 * Writes `head` on a raw socket and returns everything the server sent until it closed the
 * connection, split at the blank line: a body an HTTP client would hide (after 204 or HEAD) shows.
 * The socket is half-closed after writing, unless `pipelined`: node:http drops pipelined requests
 * when the client half-closes, so then the last request must ask for `Connection: close`.
 */
export function exchange(port: number, head: string, { pipelined = false } = {}): Promise<{ head: string; body: string }> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1', () => (pipelined ? socket.write(head) : socket.end(head)));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', fail);
    socket.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) fail(new Error(`no complete response head in ${JSON.stringify(text)}`));
      else done({ head: text.slice(0, split), body: text.slice(split + 4) });
    });
  });
}

/** The body with its Content-Encoding undone (fails on a coding this server should never send). */
export function decoded(res: RawResponse): Buffer {
  const coding = res.headers['content-encoding'];
  if (coding === undefined) return res.body;
  if (coding === 'gzip') return gunzipSync(res.body);
  if (coding === 'br') return brotliDecompressSync(res.body);
  throw new Error(`unexpected Content-Encoding ${coding}`);
}

/** TLS files made by `makeCertificates`, for HTTPS tests and every bad-certificate case. */
export interface Certificates {
  dir: string;
  /** Self-signed certificate for localhost, 127.0.0.1 and ::1 (PEM), and its key. */
  cert: string;
  key: string;
  /** The same key, encrypted with the passphrase in `pass`. */
  encryptedKey: string;
  pass: string;
  /** A file with a wrong passphrase. */
  wrongPass: string;
  /** A key of another certificate. */
  otherKey: string;
  /** `cert` and `key` in a PKCS#12 bundle protected by `pass`. */
  pfx: string;
  /** A file that is neither PEM nor PKCS#12. */
  junk: string;
  cleanup(): void;
}

/** Generates self-signed TLS files with openssl into a temporary directory (test setup only). */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-tls-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const selfSigned = (key: string, cert: string, subject: string): void =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(key), '-out', at(cert), '-days', '30', '-subj', subject,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1');
  selfSigned('key.pem', 'cert.pem', '/CN=localhost');
  selfSigned('other-key.pem', 'other-cert.pem', '/CN=other');
  writeFileSync(at('pass.txt'), 'correct horse\n');
  writeFileSync(at('wrong.txt'), 'battery staple\n');
  openssl('pkey', '-in', at('key.pem'), '-aes256', '-passout', 'pass:correct horse', '-out', at('encrypted-key.pem'));
  openssl('pkcs12', '-export', '-in', at('cert.pem'), '-inkey', at('key.pem'), '-passout', 'pass:correct horse', '-out', at('site.p12'));
  writeFileSync(at('junk.bin'), 'not a certificate\n');
  return {
    dir,
    cert: at('cert.pem'),
    key: at('key.pem'),
    encryptedKey: at('encrypted-key.pem'),
    pass: at('pass.txt'),
    wrongPass: at('wrong.txt'),
    otherKey: at('other-key.pem'),
    pfx: at('site.p12'),
    junk: at('junk.bin'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
